"""Reference augmentations: label-preserving, per-image randomness, no wrap-around, no mutation."""

import math

import pytest
import torch

from course_lib.augment import (
    AugmentedLoader,
    Compose,
    add_noise,
    cutout,
    make_transform,
    random_crop,
    random_rotation,
    random_shift,
    rotate,
    shift,
)
from course_lib.data.images import load_digit_images


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_shift_moves_pixels_and_fills_with_zeros():
    x = torch.arange(1, 17.0).reshape(1, 1, 4, 4)
    out = shift(x, torch.tensor([1]), torch.tensor([-1]))
    expected = torch.tensor([[0, 5, 6, 7], [0, 9, 10, 11], [0, 13, 14, 15], [0, 0, 0, 0.]])
    assert torch.equal(out[0, 0], expected)
    assert not torch.equal(out, torch.roll(x, (-1, 1), (2, 3)))  # no wrap-around


def test_random_shift_draws_every_offset_per_image():
    x = torch.zeros(400, 1, 7, 7)
    x[:, :, 3, 3] = 1
    out = random_shift(x, 2, _gen())
    where = out[:, 0].flatten(1).argmax(1)
    rows, cols = where // 7 - 3, where % 7 - 3
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == {
        (r, c) for r in range(-2, 3) for c in range(-2, 3)}
    assert torch.equal(x[:, :, 3, 3], torch.ones(400, 1))  # input unchanged


def test_rotate_by_90_degrees_is_a_counter_clockwise_quarter_turn():
    x = torch.rand(3, 2, 8, 8)
    assert torch.allclose(rotate(x, torch.full((3,), 90.0)), torch.rot90(x, 1, (-2, -1)),
                          atol=1e-5)
    assert torch.allclose(rotate(x, torch.zeros(3)), x, atol=1e-6)


def test_random_rotation_stays_within_the_angle_range():
    x, _ = load_digit_images()
    x = x[:64]
    small = random_rotation(x, 10, _gen())
    exact = [min((rotate(x[i:i + 1], torch.tensor([a])) - small[i]).abs().max().item()
                 for a in torch.linspace(-10, 10, 201).tolist()) for i in range(8)]
    assert max(exact) < 0.02
    assert (small - x).abs().amax((1, 2, 3)).min() > 0  # every image changed


def test_random_crop_pads_then_crops_and_covers_all_offsets():
    x = torch.rand(300, 1, 6, 6) + 1  # strictly positive: padding shows up as zeros
    out = random_crop(x, 6, 2, _gen())
    assert out.shape == x.shape
    zero_top_rows = (out[:, 0, :, :] == 0).all(2).sum(1)
    assert set(zero_top_rows.tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="larger than the padded image"):
        random_crop(x, 11, 2)


def test_noise_and_cutout():
    x = torch.full((50, 1, 16, 16), 0.5)
    noisy = add_noise(x, 0.1, _gen())
    assert 0.08 < (noisy - x).std().item() < 0.12 and noisy.min() >= 0
    holes = cutout(torch.ones(50, 1, 16, 16), 5, _gen())
    hidden = (holes == 0).sum((1, 2, 3))
    assert hidden.max().item() == 25 and hidden.min().item() > 0


def test_compose_applies_in_order_and_loader_augments_each_epoch_afresh():
    double = Compose([lambda x, g: x + 1, lambda x, g: x * 2])
    assert torch.equal(double(torch.zeros(1, 1, 2, 2)), torch.full((1, 1, 2, 2), 2.0))
    x = torch.rand(8, 1, 16, 16)
    loader = AugmentedLoader([(x, torch.zeros(8))], make_transform("shift", 2), seed=0)
    first, second = next(iter(loader))[0], next(iter(loader))[0]
    assert len(loader) == 1 and not torch.equal(first, second)
    again = next(iter(AugmentedLoader([(x, torch.zeros(8))], make_transform("shift", 2),
                                      seed=0)))[0]
    assert torch.equal(first, again)


@pytest.mark.parametrize("name", ["shift", "rotation", "crop", "noise", "cutout"])
def test_every_menu_transform_keeps_shape_and_range(name):
    x, _ = load_digit_images()
    out = make_transform(name, {"noise": 0.2, "rotation": 30}.get(name, 3))(x[:10], _gen())
    assert out.shape == (10, 1, 16, 16) and out.min() >= 0 and out.max() <= 1 + 1e-6
    assert not math.isclose((out - x[:10]).abs().sum().item(), 0.0)
    with pytest.raises(ValueError, match="unknown transform"):
        make_transform("flip", 1)
