"""The augmentation explorer: pick a transform and its strength, see a grid of augmented digits.

Each row of the grid is one digit: the original, then independent random draws of the chosen
transform. Drag the strength up until the digits stop being recognisable: that is where an
augmentation stops being label-preserving. Like the other course widgets, the figure is PNG
bytes in an `ipywidgets.Image`, redrawn in place, and everything shown is readable from Python
(`explorer.samples`, `explorer.transform`), which is how the tests drive it.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from course_lib.augment import TRANSFORMS, make_transform
from course_lib.plotting.images import augmentation_grid

__all__ = ["AugmentationExplorer", "augmentation_explorer"]


class AugmentationExplorer:
    """Controls (transform, strength, draw) + the grid image, recomputed when a control moves."""

    def __init__(self, images: torch.Tensor, transform: str = "rotation",
                 strength: float | None = None, copies: int = 7):
        if transform not in TRANSFORMS:
            raise ValueError(f"unknown transform {transform!r}; choose from {sorted(TRANSFORMS)}")
        self.images, self.copies = images, copies
        low, high, step, default = TRANSFORMS[transform][2]
        self.controls = {
            "transform": widgets.Dropdown(options=list(TRANSFORMS), value=transform,
                                          description="transform"),
            "strength": widgets.FloatSlider(value=default if strength is None else strength,
                                            min=low, max=high, step=step,
                                            description=TRANSFORMS[transform][1],
                                            continuous_update=False),
            "draw": widgets.IntSlider(value=0, min=0, max=20, description="random draw",
                                      continuous_update=False),
        }
        self._image = widgets.Image(format="png", layout=widgets.Layout(max_width="640px"))
        self.redraws = 0
        self._holding = False
        self._live = False
        self.controls["transform"].observe(self._on_transform, names="value")
        for name in ("strength", "draw"):
            self.controls[name].observe(self._on_change, names="value")
        self._box = widgets.VBox([widgets.HBox(list(self.controls.values())), self._image])
        self.refresh()

    def _on_transform(self, change) -> None:
        """A new transform gets its own slider range and default strength (one redraw)."""
        low, high, step, default = TRANSFORMS[change["new"]][2]
        slider = self.controls["strength"]
        self._holding = True
        try:
            slider.min, slider.max = min(low, slider.min), max(high, slider.max)
            slider.value, slider.step = default, step
            slider.min, slider.max = low, high
            slider.description = TRANSFORMS[change["new"]][1]
        finally:
            self._holding = False
        self.refresh()

    def _on_change(self, change) -> None:
        if not self._holding:
            self.refresh()

    @property
    def transform(self):
        """The transform currently chosen, as a callable ``t(images, generator)``."""
        return make_transform(self.controls["transform"].value, self.controls["strength"].value,
                              image_size=self.images.shape[-1])

    def refresh(self) -> None:
        """Redraw the grid for the current controls (the same draw gives the same grid)."""
        generator = torch.Generator().manual_seed(self.controls["draw"].value)
        transform = self.transform
        self.samples = torch.stack([transform(img[None].expand(self.copies, *img.shape).clone(),
                                              generator) for img in self.images])
        if self._live:
            self._render()

    def _render(self) -> None:
        self._image.value = augmentation_grid(self.images, self.transform, self.copies,
                                              seed=self.controls["draw"].value).to_png()
        self.redraws += 1

    @property
    def widget(self) -> widgets.VBox:
        """The displayable widget; asking for it renders the image (headless runs skip that)."""
        if not self._live:
            self._live = True
            self._render()
        return self._box

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        c = self.controls
        return (f"AugmentationExplorer({c['transform'].value}, "
                f"{c['strength'].description}={c['strength'].value:g}, draw {c['draw'].value})")


def augmentation_explorer(images: torch.Tensor | None = None, transform: str = "rotation",
                          strength: float | None = None, copies: int = 7
                          ) -> AugmentationExplorer:
    """The lesson-06 widget. `images` (N, 1, H, W) defaults to one jittered digit of 0, 1, 6, 9.

    Display the returned object; ``explorer.controls["strength"].value = 45`` acts like
    dragging the slider, and ``explorer.samples`` (N, copies, 1, H, W) holds what is shown.
    """
    if images is None:
        from course_lib.data.images import load_digit_images

        x, y = load_digit_images(jitter=True)
        images = torch.stack([x[(y == d).nonzero()[0, 0]] for d in (0, 1, 6, 9)])
    return AugmentationExplorer(images, transform, strength, copies)
