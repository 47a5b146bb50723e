"""Grids of small images: samples of a data set, and augmented copies of a few examples."""

from __future__ import annotations

import torch

from course_lib.plotting._canvas import PNGFigure, new_figure

__all__ = ["image_grid", "augmentation_grid"]


def _as_grey(image: torch.Tensor):
    image = image.detach().cpu().float()
    if image.ndim == 3:
        if image.shape[0] != 1:
            raise ValueError(f"expected one grey channel, got an image of shape "
                             f"{tuple(image.shape)}")
        image = image[0]
    return image.numpy()


def image_grid(images: torch.Tensor, labels=None, *, ncols: int = 10, title: str | None = None,
               row_titles=None, size: float = 0.8) -> PNGFigure:
    """Show images (N, 1, H, W) or (N, H, W) in rows of `ncols`, labels above each if given.

    Pixels are shown on a fixed 0-1 scale (white = 0, black = 1), so a brighter augmentation
    (noise) looks brighter rather than being rescaled away.
    """
    n = len(images)
    if n == 0:
        raise ValueError("image_grid: no images to show")
    nrows = -(-n // ncols)
    figure = new_figure(figsize=(size * ncols + (1.0 if row_titles else 0), size * nrows + 0.4))
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index >= n:
            continue
        ax.imshow(_as_grey(images[index]), cmap="gray_r", vmin=0.0, vmax=1.0,
                  interpolation="nearest")
        if labels is not None:
            ax.set_title(str(labels[index]), fontsize=8, pad=2)
    if row_titles:
        for row, text in enumerate(row_titles[:nrows]):
            axes[row, 0].text(-0.15, 0.5, text, transform=axes[row, 0].transAxes,
                              ha="right", va="center", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    return PNGFigure(figure)


def augmentation_grid(images: torch.Tensor, transform, copies: int = 7, *, seed: int = 0,
                      title: str | None = None) -> PNGFigure:
    """One row per image: the original, then `copies` independently augmented versions."""
    generator = torch.Generator().manual_seed(seed)
    rows = [torch.cat([img[None], transform(img[None].expand(copies, *img.shape).clone(),
                                            generator)]) for img in images]
    name = getattr(transform, "__name__", type(transform).__name__)
    return image_grid(torch.cat(rows), ncols=copies + 1,
                      title=title or f"original, then {copies} draws of {name}")
