"""Reference transfer learning for lesson 07: new head, frozen backbone, fine-tuning, baseline.

The lesson's exercises ask students to write `replace_head`, `freeze_backbone`, `train_head`
and `fine_tune_optimizer`; the notebook's own measurements (outside the exercises) use these
versions, and `compare_transfer` runs the whole comparison the lesson reports.

Recipe (the protocol of the lesson's claim): the target task is `target_task(per_class, seed)`
(10 unseen glyphs); batches of 25; from scratch: a fresh `GlyphCNN`, Adam(3e-3), 40 epochs;
frozen features: the pretrained network with a new head, backbone frozen, Adam(1e-2) on the
head for 20 epochs; fine-tuning: then everything unfrozen, Adam with the head at 1e-3 and the
backbone at 3e-4, 10 more epochs.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.utils.data import TensorDataset

from course_lib.data.images import target_task
from course_lib.pretrained.model import GlyphCNN, load_pretrained
from course_lib.training import evaluate, fit, freeze, make_loader, seed_everything, unfreeze

__all__ = ["replace_head", "freeze_backbone", "train_head", "fine_tune_optimizer",
           "target_loaders", "train_from_scratch", "frozen_and_fine_tuned", "compare_transfer"]

HEAD_LR, FINE_TUNE_HEAD_LR, BACKBONE_LR = 1e-2, 1e-3, 3e-4
SCRATCH_EPOCHS, HEAD_EPOCHS, FINE_TUNE_EPOCHS = 40, 20, 10


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """A copy of `model` whose ``head`` is a new, randomly initialised linear layer."""
    new = copy.deepcopy(model)
    new.head = nn.Linear(new.head.in_features, num_classes)
    return new


def freeze_backbone(model: nn.Module) -> nn.Module:
    """Backbone parameters stop receiving gradients; the head's do (returns `model`)."""
    freeze(model.backbone)
    unfreeze(model.head)
    return model


def train_head(model: nn.Module, train_loader, epochs: int = HEAD_EPOCHS, lr: float = HEAD_LR):
    """Train the parameters that require gradients (the head) with `fit`; return the history."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    return fit(model, train_loader, epochs=epochs, optimizer=torch.optim.Adam(trainable, lr=lr),
               loss_fn=nn.CrossEntropyLoss(), progress=False)


def fine_tune_optimizer(model: nn.Module, head_lr: float = FINE_TUNE_HEAD_LR,
                        backbone_lr: float = BACKBONE_LR) -> torch.optim.Optimizer:
    """Unfreeze everything; Adam with the backbone at `backbone_lr`, the head at `head_lr`."""
    unfreeze(model)
    return torch.optim.Adam([{"params": model.backbone.parameters(), "lr": backbone_lr},
                             {"params": model.head.parameters(), "lr": head_lr}])


def target_loaders(per_class: int = 5, seed: int = 0):
    """``(train_loader, validation_batches)`` for the target task with `per_class` labels."""
    x_train, y_train, x_val, y_val = target_task(per_class, seed)
    train = make_loader(TensorDataset(x_train, y_train), batch_size=25, shuffle=True, seed=seed)
    return train, [(x_val, y_val)]


def _accuracy(model, val) -> float:
    return evaluate(model, val, metrics=["accuracy"])["accuracy"]


def train_from_scratch(seed: int = 0, per_class: int = 5) -> float:
    """Validation accuracy of a fresh `GlyphCNN` trained on the target labels only."""
    train, val = target_loaders(per_class, seed)
    seed_everything(seed)
    model = GlyphCNN(num_classes=10)
    fit(model, train, epochs=SCRATCH_EPOCHS, loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=3e-3), progress=False)
    return _accuracy(model, val)


def frozen_and_fine_tuned(seed: int = 0, per_class: int = 5) -> tuple[float, float]:
    """Validation accuracy with frozen pretrained features, then after fine-tuning."""
    train, val = target_loaders(per_class, seed)
    seed_everything(seed)
    model = freeze_backbone(replace_head(load_pretrained(), 10))
    train_head(model, train)
    frozen = _accuracy(model, val)
    fit(model, train, epochs=FINE_TUNE_EPOCHS, optimizer=fine_tune_optimizer(model),
        loss_fn=nn.CrossEntropyLoss(), progress=False)
    return frozen, _accuracy(model, val)


def compare_transfer(seeds=(0, 1, 2), per_class: int = 5) -> dict[str, list[float]]:
    """Validation accuracies per seed: from scratch, frozen features, fine-tuned."""
    results = {"from scratch": [], "frozen features": [], "fine-tuned": []}
    for seed in seeds:
        results["from scratch"].append(train_from_scratch(seed, per_class))
        frozen, tuned = frozen_and_fine_tuned(seed, per_class)
        results["frozen features"].append(frozen)
        results["fine-tuned"].append(tuned)
    return results
