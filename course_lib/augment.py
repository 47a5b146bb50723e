"""Label-preserving image augmentations on batches of torch image tensors (N, C, H, W).

Reference versions of what lesson 06 asks students to write, used by the widget, the
experiments and the pretraining script. Every random transform draws *one set of parameters
per image* from the `generator` it is given (so a batch holds differently shifted digits, and
a seeded generator reproduces them), and returns a new tensor: inputs are never modified.

Each transform is a callable ``t(images, generator) -> images``; `Compose` chains them.
`AugmentedLoader` applies one on the fly to every training batch, so each epoch sees freshly
transformed copies; the validation and test loaders are left alone.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

__all__ = ["shift", "random_shift", "rotate", "random_rotation", "random_crop", "add_noise",
           "cutout", "Compose", "AugmentedLoader", "make_transform", "TRANSFORMS",
           "lesson_pipeline", "small_mlp", "train_on_subset"]


def _check_images(images: torch.Tensor, name: str = "images") -> None:
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)
        raise ValueError(f"{name} must be a tensor of shape (N, C, H, W), got {shape}")


def _windows(padded: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor, h: int, w: int):
    """Cut window i of size h x w at (tops[i], lefts[i]) out of each padded image, at once."""
    n = len(padded)
    rows = (tops.view(n, 1) + torch.arange(h)).view(n, 1, h, 1)
    cols = (lefts.view(n, 1) + torch.arange(w)).view(n, 1, 1, w)
    batch = torch.arange(n).view(n, 1, 1, 1)
    channels = torch.arange(padded.shape[1]).view(1, -1, 1, 1)
    return padded[batch, channels, rows, cols]


def shift(images: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Move image i right by ``dx[i]`` and down by ``dy[i]`` pixels, filling with zeros.

    Pixels pushed over the edge are lost and the vacated ones are black: a digit does not
    reappear on the other side (that is what `torch.roll` would do, and it is not a shift).
    """
    _check_images(images)
    n, _, h, w = images.shape
    dx, dy = torch.as_tensor(dx).long().reshape(n), torch.as_tensor(dy).long().reshape(n)
    pad = int(max(dx.abs().max().item(), dy.abs().max().item())) if n else 0
    padded = F.pad(images, (pad, pad, pad, pad))
    return _windows(padded, pad - dy, pad - dx, h, w)


def random_shift(images: torch.Tensor, max_shift: int, generator=None) -> torch.Tensor:
    """Shift each image by integers dx, dy drawn uniformly from [-max_shift, max_shift]."""
    n = len(images)
    dx = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator)
    dy = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator)
    return shift(images, dx, dy)


def rotate(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate image i counter-clockwise by ``degrees[i]`` about its centre (bilinear, zero fill).

    `affine_grid` maps each output pixel to where it samples the input, in coordinates from -1
    to 1 with y pointing down; sampling from the point rotated by -angle in screen terms turns
    the picture counter-clockwise, which is the matrix [[cos, -sin], [sin, cos]] below.
    """
    _check_images(images)
    radians = torch.as_tensor(degrees, dtype=images.dtype) * (math.pi / 180.0)
    cos, sin = torch.cos(radians), torch.sin(radians)
    zero = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zero], -1),
                         torch.stack([sin, cos, zero], -1)], -2)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def random_rotation(images: torch.Tensor, max_degrees: float, generator=None) -> torch.Tensor:
    """Rotate each image by an angle drawn uniformly from [-max_degrees, max_degrees] degrees."""
    angles = (torch.rand(len(images), generator=generator) * 2 - 1) * max_degrees
    return rotate(images, angles)


def random_crop(images: torch.Tensor, size: int, padding: int, generator=None) -> torch.Tensor:
    """Zero-pad every side by `padding`, then cut a random `size` x `size` window per image.

    With ``size`` equal to the image size this is torchvision's ``RandomCrop(size, padding)``:
    the digit may move by up to `padding` pixels in each direction.
    """
    _check_images(images)
    n, _, h, w = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))
    if size > h + 2 * padding or size > w + 2 * padding:
        raise ValueError(f"crop size {size} is larger than the padded image "
                         f"({h + 2 * padding}x{w + 2 * padding})")
    tops = torch.randint(0, h + 2 * padding - size + 1, (n,), generator=generator)
    lefts = torch.randint(0, w + 2 * padding - size + 1, (n,), generator=generator)
    return _windows(padded, tops, lefts, size, size)


def add_noise(images: torch.Tensor, std: float, generator=None) -> torch.Tensor:
    """Add Gaussian pixel noise of standard deviation `std`, clipped back to [0, 1]."""
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    return (images + std * noise).clamp(0.0, 1.0)


def cutout(images: torch.Tensor, size: int, generator=None) -> torch.Tensor:
    """Black out one `size` x `size` square per image at a random place (DeVries & Taylor 2017).

    The square's centre may lie anywhere in the image, so near an edge part of it falls
    outside and less is hidden; the label must still be readable from what remains.
    """
    _check_images(images)
    n, _, h, w = images.shape
    cy = torch.randint(0, h, (n, 1, 1), generator=generator)
    cx = torch.randint(0, w, (n, 1, 1), generator=generator)
    rows, cols = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
    inside = ((rows - cy).abs() * 2 < size) & ((cols - cx).abs() * 2 < size)
    return images * (~inside)[:, None].to(images.dtype)


class Compose:
    """Apply transforms one after the other: ``Compose([t1, t2])(x, g) == t2(t1(x, g), g)``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, images: torch.Tensor, generator=None) -> torch.Tensor:
        for transform in self.transforms:
            images = transform(images, generator)
        return images

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


class AugmentedLoader:
    """Wrap a training loader so each batch's inputs pass through `transform` on the fly.

    Iterating again (the next epoch) transforms the same images anew, so the model never sees
    exactly the same copy twice. `seed` seeds the augmentation's own generator (reproducible
    runs without touching torch's global generator). Targets pass through unchanged.
    """

    def __init__(self, loader, transform, seed: int | None = None):
        self.loader, self.transform = loader, transform
        self.generator = torch.Generator()
        if seed is not None:
            self.generator.manual_seed(seed)
        else:
            self.generator.seed()

    def __iter__(self):
        for inputs, targets in self.loader:
            yield self.transform(inputs, self.generator), targets

    def __len__(self) -> int:
        return len(self.loader)


def _partial(fn, name, **params):
    def transform(images, generator=None):
        return fn(images, generator=generator, **params)

    details = ", ".join(f"{k}={v}" for k, v in params.items())
    transform.__name__ = transform.__qualname__ = f"{name}({details})"
    return transform


TRANSFORMS = {
    "shift": (random_shift, "max_shift", (0, 6, 1, 2)),
    "rotation": (random_rotation, "max_degrees", (0, 90, 5, 15)),
    "crop": (random_crop, "padding", (0, 6, 1, 2)),
    "noise": (add_noise, "std", (0.0, 0.5, 0.05, 0.1)),
    "cutout": (cutout, "size", (0, 12, 1, 5)),
}
"""name -> (function, strength parameter, (min, max, step, default)): the widget's menu."""


def make_transform(name: str, strength, image_size: int = 16):
    """A one-argument-pair transform ``t(images, generator)`` from a name and a strength."""
    if name not in TRANSFORMS:
        raise ValueError(f"unknown transform {name!r}; choose from {sorted(TRANSFORMS)}")
    fn, param, _ = TRANSFORMS[name]
    params = {param: strength}
    if name == "crop":
        params = {"size": image_size, "padding": int(strength)}
    elif param in ("max_shift", "size"):
        params = {param: int(strength)}
    return _partial(fn, name, **params)


def lesson_pipeline():
    """Lesson 06's augmentation: a shift of up to 2 pixels, then a tilt of up to 10 degrees."""
    return Compose([make_transform("shift", 2), make_transform("rotation", 10)])


def small_mlp():
    """256 -> 128 -> 10 fully connected network: no built-in notion that shifted digits match."""
    from torch import nn

    return nn.Sequential(nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def train_on_subset(transform=None, seed: int = 0, *, epochs: int = 60, per_class: int = 10,
                    progress: bool = False):
    """Lesson 06's experiment: `small_mlp` on `per_class` jittered digits of each class.

    The first 500 of the other digits are the validation set. `transform` (None: none) is
    applied on the fly to the training batches only. Returns ``(model, history)``.
    """
    from torch import nn
    from torch.utils.data import TensorDataset

    from course_lib.data.images import labelled_subset, load_digit_images
    from course_lib.training import fit, make_loader, seed_everything

    x_train, y_train, x_val, y_val = labelled_subset(*load_digit_images(jitter=True),
                                                     per_class=per_class, seed=seed)
    seed_everything(seed)
    model = small_mlp()
    train_loader = make_loader(TensorDataset(x_train, y_train), batch_size=50, shuffle=True,
                               seed=seed)
    if transform is not None:
        train_loader = AugmentedLoader(train_loader, transform, seed=seed)
    val_loader = make_loader(TensorDataset(x_val[:500], y_val[:500]), batch_size=500)
    history = fit(model, train_loader, val_loader, epochs=epochs,
                  optimizer=torch.optim.Adam(model.parameters(), lr=3e-3),
                  loss_fn=nn.CrossEntropyLoss(), progress=progress)
    return model, history
