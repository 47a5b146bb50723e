"""The course's pretrained network: a small CNN for 16x16 grey images (lesson 07).

It is split the way transfer learning needs: ``backbone`` (two convolution blocks and a fully
connected feature layer, producing a 64-number description of the image) and ``head`` (one
linear layer from those features to the class scores). Replacing ``head`` adapts the network
to a new task; freezing ``backbone`` keeps what it learned.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

__all__ = ["GlyphCNN", "load_pretrained", "pretrained_card", "WEIGHTS_PATH", "CARD_PATH",
           "FEATURES"]

HERE = Path(__file__).resolve().parent
WEIGHTS_PATH = HERE / "glyph_cnn.pt"
CARD_PATH = HERE / "glyph_cnn.json"
FEATURES = 64


class GlyphCNN(nn.Module):
    """conv(1->16) - pool - conv(16->32) - pool - linear(512->64) = features; linear(64->classes).

    Input (N, 1, 16, 16), output (N, num_classes) class scores (logits).
    """

    def __init__(self, num_classes: int = 40):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 8 x 8
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 4 x 4
            nn.Flatten(), nn.Linear(32 * 4 * 4, FEATURES), nn.ReLU(),
        )
        self.head = nn.Linear(FEATURES, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1:] != (1, 16, 16):
            raise ValueError(f"GlyphCNN expects images of shape (N, 1, 16, 16), got "
                             f"{tuple(x.shape)}")
        return self.head(self.backbone(x))


def pretrained_card() -> dict:
    """The JSON card shipped with the weights: source task, seed, accuracy, training time."""
    if not CARD_PATH.exists():
        raise FileNotFoundError(f"no model card at {CARD_PATH}: run "
                                f"`python -m course_lib.pretrained.train` to create it")
    return json.loads(CARD_PATH.read_text())


def load_pretrained(path=None) -> GlyphCNN:
    """The network trained on the 40 source glyphs, weights loaded from package data, in eval mode.

    Each call returns a fresh copy, so changing it (a new head, fine-tuning) never affects
    the next caller.
    """
    path = Path(path) if path is not None else WEIGHTS_PATH
    if not path.exists():
        raise FileNotFoundError(f"no pretrained weights at {path}: run "
                                f"`python -m course_lib.pretrained.train` to create them")
    model = GlyphCNN(num_classes=40)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()
