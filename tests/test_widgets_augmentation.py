"""The augmentation explorer redraws when its controls move and shows what it says it shows."""

import torch

from course_lib.widgets import augmentation_explorer


def test_explorer_samples_follow_the_controls():
    explorer = augmentation_explorer(copies=5)
    assert explorer.samples.shape == (4, 5, 1, 16, 16)
    explorer.controls["strength"].value = 0
    assert torch.allclose(explorer.samples, explorer.images[:, None].expand(-1, 5, -1, -1, -1),
                          atol=1e-6)  # rotation by 0 degrees: the originals
    explorer.controls["strength"].value = 60
    assert (explorer.samples - explorer.images[:, None]).abs().amax((2, 3, 4)).mean() > 0.3


def test_switching_transform_resets_the_strength_range_and_redraws_once():
    explorer = augmentation_explorer()
    widget = explorer.widget
    assert explorer.redraws == 1 and widget.children
    explorer.controls["transform"].value = "cutout"
    slider = explorer.controls["strength"]
    assert (slider.description, slider.max, slider.value) == ("size", 12, 5)
    assert explorer.redraws == 2
    assert explorer._image.value[:4] == b"\x89PNG"
    before = explorer.samples.clone()
    explorer.controls["draw"].value = 3
    assert not torch.equal(before, explorer.samples) and explorer.redraws == 3
    assert "cutout" in repr(explorer)
