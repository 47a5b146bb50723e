"""Small image data sets as torch tensors, built offline from scikit-learn's digits.

scikit-learn ships 1 797 handwritten digits of 8x8 pixels. `load_digit_images` enlarges each to
12x12 and centres it on a 16x16 black canvas: the 2-pixel margin leaves room for the shifts and
rotations of lesson 06 without cutting strokes off, and 16x16 is still small enough to train a
CNN in seconds on a CPU. Pixel values are in [0, 1]; images have shape (N, 1, 16, 16).

scikit-learn's digits were size-normalised and centred by their authors; real scans are not.
``load_digit_images(jitter=True)`` puts that variation back with a fixed seed (each digit moved
by up to 1 pixel and tilted by up to 10 degrees): the setting of lesson 06, where a few labelled
examples cannot cover every position and angle and augmentation has something to teach.

Lesson 07 uses *glyphs*, made-up characters in the spirit of Omniglot (Lake et al. 2015): each
class is a fixed set of three pen strokes, and every example is drawn with its own wobble,
position, tilt, size and stroke width. The pretrained network learned 40 glyph classes from
unlimited examples (the *source* task); the *target* task is 10 glyphs it has never seen, with
a handful of labels each. All data are deterministic functions of their seeds.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch.nn import functional as F

__all__ = ["load_digit_images", "labelled_subset", "glyph_strokes", "render_glyphs",
           "glyph_images", "source_task", "target_task", "IMAGE_SIZE", "SOURCE_GLYPHS",
           "TARGET_GLYPHS"]

IMAGE_SIZE = 16
SOURCE_GLYPHS = range(0, 40)   # the pretrained network's 40 classes
TARGET_GLYPHS = range(40, 50)  # 10 classes it has never seen
_JITTER_SEED = 7
_GLYPH_SEED = 0
_SOURCE_TEST_SEED = 2024  # the pretrained card's accuracy is measured on these examples


@lru_cache(maxsize=1)
def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0
    big = F.interpolate(images, size=(12, 12), mode="bilinear", align_corners=False)
    margin = (IMAGE_SIZE - 12) // 2
    canvas = F.pad(big, (margin, margin, margin, margin)).clamp_(0.0, 1.0)
    return canvas, torch.tensor(digits.target, dtype=torch.long)


@lru_cache(maxsize=1)
def _jittered_digits() -> torch.Tensor:
    from course_lib.augment import rotate, shift

    images, _ = _digits()
    generator = torch.Generator().manual_seed(_JITTER_SEED)
    n = len(images)
    dx = torch.randint(-1, 2, (n,), generator=generator)
    dy = torch.randint(-1, 2, (n,), generator=generator)
    angles = (torch.rand(n, generator=generator) * 2 - 1) * 10
    return rotate(shift(images, dx, dy), angles)


def load_digit_images(classes=None, *, jitter: bool = False
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """All digits as ``(images, labels)``: float32 (N, 1, 16, 16) in [0, 1] and int64 (N,).

    With `classes` (e.g. ``(5, 6, 7, 8, 9)``) only those digits are returned, relabelled
    0, 1, ... in the order given, as a classifier with ``len(classes)`` outputs expects.
    ``jitter=True`` returns the same digits, each moved by up to 1 pixel and tilted by up to
    10 degrees (always the same way: the jitter has a fixed seed).
    """
    images, labels = _digits()
    if jitter:
        images = _jittered_digits()
    if classes is None:
        return images.clone(), labels.clone()
    classes = tuple(int(c) for c in classes)
    if not classes or any(c not in range(10) for c in classes):
        raise ValueError(f"classes must be digits 0-9, got {classes}")
    mask = torch.isin(labels, torch.tensor(classes))
    relabel = torch.full((10,), -1, dtype=torch.long)
    relabel[list(classes)] = torch.arange(len(classes))
    return images[mask].clone(), relabel[labels[mask]]


def labelled_subset(images: torch.Tensor, labels: torch.Tensor, per_class: int, seed: int = 0):
    """Pick `per_class` random examples of every class: ``(x_small, y_small, x_rest, y_rest)``.

    The small set is what a model may learn from; the rest (disjoint from it) is the
    validation set. The choice depends only on `seed`.
    """
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=generator)
    chosen = []
    for cls in labels.unique().tolist():
        members = order[labels[order] == cls]
        if len(members) < per_class:
            raise ValueError(f"class {cls} has only {len(members)} examples, fewer than "
                             f"per_class={per_class}")
        chosen.append(members[:per_class])
    small = torch.cat(chosen).sort().values
    rest = torch.ones(len(labels), dtype=torch.bool)
    rest[small] = False
    return images[small], labels[small], images[rest], labels[rest]


def glyph_strokes(num_classes: int = 50, seed: int = _GLYPH_SEED) -> torch.Tensor:
    """The stroke skeletons of `num_classes` glyphs: (classes, 3 strokes, 2 ends, xy).

    Each stroke joins two points of a 4x4 grid in [-0.65, 0.65]^2; classes are distinct sets
    of strokes. Class k is the same for any `num_classes` > k (the draws are sequential).
    """
    generator = torch.Generator().manual_seed(seed)
    grid = torch.linspace(-0.65, 0.65, 4)
    points = torch.stack(torch.meshgrid(grid, grid, indexing="xy"), -1).reshape(-1, 2)
    classes, seen = [], set()
    while len(classes) < num_classes:
        ends = torch.randint(0, 16, (3, 2), generator=generator)
        key = frozenset(frozenset(pair) for pair in ends.tolist())
        if any(a == b for a, b in ends.tolist()) or len(key) < 3 or key in seen:
            continue
        seen.add(key)
        classes.append(torch.stack([points[ends[:, 0]], points[ends[:, 1]]], 1))
    return torch.stack(classes)


def render_glyphs(strokes: torch.Tensor, generator=None, *, size: int = IMAGE_SIZE,
                  wobble: float = 0.06, max_degrees: float = 25.0, max_shift: float = 0.3
                  ) -> torch.Tensor:
    """Draw one image per stroke skeleton (N, 3, 2, 2) -> (N, 1, size, size) in [0, 1].

    Every image gets its own wobble of the stroke ends, tilt (up to `max_degrees`), scale
    (0.85-1.15), shift (up to `max_shift` of the half-width, i.e. 2.4 pixels at 16x16) and pen
    width; a pixel's brightness falls off with its distance to the nearest stroke.
    """
    n = len(strokes)
    ends = strokes + wobble * torch.randn(strokes.shape, generator=generator)
    angle = (torch.rand(n, generator=generator) * 2 - 1) * max_degrees * math.pi / 180
    scale = 0.85 + 0.3 * torch.rand(n, generator=generator)
    offset = (torch.rand(n, 1, 1, 2, generator=generator) * 2 - 1) * max_shift
    rotation = torch.stack([torch.stack([angle.cos(), -angle.sin()], -1),
                            torch.stack([angle.sin(), angle.cos()], -1)], -2)
    ends = torch.einsum("nij,nsej->nsei", rotation * scale[:, None, None], ends) + offset
    centres = (torch.arange(size) + 0.5) / size * 2 - 1
    pixels = torch.stack(torch.meshgrid(centres, centres, indexing="xy"), -1).reshape(1, 1, -1, 2)
    start, end = ends[:, :, 0, None], ends[:, :, 1, None]
    along = end - start
    t = (((pixels - start) * along).sum(-1) / along.pow(2).sum(-1).clamp_min(1e-9)).clamp(0, 1)
    distance = (pixels - (start + t[..., None] * along)).norm(dim=-1).min(dim=1).values
    width = 0.09 * (0.8 + 0.5 * torch.rand(n, 1, generator=generator))
    return (1 - (distance - width) / (2 / size)).clamp(0, 1).reshape(n, 1, size, size)


def glyph_images(classes, per_class: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`per_class` fresh drawings of each glyph class in `classes`, labelled 0, 1, ... in order.

    Returns ``(images, labels)`` (images grouped by class); the drawings depend only on `seed`.
    """
    classes = list(classes)
    strokes = glyph_strokes(max(classes) + 1)[classes]
    labels = torch.arange(len(classes)).repeat_interleave(per_class)
    generator = torch.Generator().manual_seed(seed)
    return render_glyphs(strokes[labels], generator), labels


def source_task(per_class: int = 50, seed: int = _SOURCE_TEST_SEED):
    """Drawings of the 40 source glyphs (the pretrained network's task): ``(images, labels)``.

    The default is the fixed test set on which the model card's accuracy is measured; the
    training script draws fresh examples every epoch with other seeds.
    """
    return glyph_images(SOURCE_GLYPHS, per_class, seed)


def target_task(per_class: int = 5, seed: int = 0, val_per_class: int = 50):
    """The 10 unseen glyphs: ``(x_train, y_train, x_val, y_val)`` with `per_class` labels each.

    The validation drawings (`val_per_class` of each class) are different drawings, from a
    seed derived from `seed`; labels are 0-9.
    """
    x_train, y_train = glyph_images(TARGET_GLYPHS, per_class, seed=10_000 + seed)
    x_val, y_val = glyph_images(TARGET_GLYPHS, val_per_class, seed=20_000 + seed)
    return x_train, y_train, x_val, y_val
