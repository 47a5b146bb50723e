"""Train the shipped network: ``python -m course_lib.pretrained.train [--epochs 15] [--seed 0]``.

The source task is the 40 source glyphs of `course_lib.data.images`, with fresh drawings every
epoch (12 000 per epoch: the data set is unlimited, which is what makes the features general).
The run is deterministic for a given seed, torch build and machine: every generator is seeded
and torch runs on one thread (multi-threaded CPU reductions may add up in a different order).
It writes ``glyph_cnn.pt`` (the state dict) and ``glyph_cnn.json`` (the model card) next to
this file; the card records the source task, seed, accuracy on the fixed source test set and
the training time (203 s on one core of a heavily loaded 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
from torch import nn

from course_lib.data.images import SOURCE_GLYPHS, glyph_images, source_task
from course_lib.pretrained.model import CARD_PATH, WEIGHTS_PATH, GlyphCNN
from course_lib.training import count_parameters, evaluate, fit, seed_everything

PER_CLASS = 300
BATCH_SIZE = 128


class FreshGlyphs:
    """A training "loader" that draws a new set of source glyphs each time it is iterated."""

    def __init__(self, per_class: int, batch_size: int, seed: int):
        self.per_class, self.batch_size, self.seed = per_class, batch_size, seed
        self.epoch = 0
        self.batches = -(-per_class * len(SOURCE_GLYPHS) // batch_size)

    def __len__(self) -> int:
        return self.batches

    def __iter__(self):
        images, labels = glyph_images(SOURCE_GLYPHS, self.per_class,
                                      seed=1_000 * self.seed + self.epoch)
        self.epoch += 1
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(
            self.seed * 7919 + self.epoch))
        for index in order.split(self.batch_size):
            yield images[index], labels[index]


def train(epochs: int = 15, seed: int = 0, per_class: int = PER_CLASS) -> tuple[GlyphCNN, dict]:
    """Train a fresh `GlyphCNN` on the source glyphs; return it and its model card.

    Runs on one CPU thread (restored afterwards) so that the result is bit-for-bit repeatable.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(epochs, seed, per_class)
    finally:
        torch.set_num_threads(threads)


def _train(epochs: int, seed: int, per_class: int) -> tuple[GlyphCNN, dict]:
    seed_everything(seed)
    model = GlyphCNN(num_classes=len(SOURCE_GLYPHS))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    test_x, test_y = source_task()
    test = [(test_x, test_y)]
    start = time.perf_counter()
    history = fit(model, FreshGlyphs(per_class, BATCH_SIZE, seed), test, epochs=epochs,
                  optimizer=optimizer, loss_fn=nn.CrossEntropyLoss(), scheduler=scheduler,
                  device="cpu", progress=True)
    seconds = time.perf_counter() - start
    scores = evaluate(model, test, nn.CrossEntropyLoss(), device="cpu")
    card = {
        "name": "GlyphCNN",
        "architecture": "conv3x3(1->16)-relu-maxpool-conv3x3(16->32)-relu-maxpool-"
                        "linear(512->64)-relu = backbone; linear(64->40) = head",
        "input": "(N, 1, 16, 16) grey images in [0, 1]",
        "source_task": f"classify the {len(SOURCE_GLYPHS)} source glyphs "
                       f"(course_lib.data.images.SOURCE_GLYPHS), fresh drawings every epoch",
        "training": {"epochs": epochs, "examples_per_epoch": per_class * len(SOURCE_GLYPHS),
                     "batch_size": BATCH_SIZE, "optimizer": "Adam(lr=3e-3)",
                     "scheduler": f"CosineAnnealingLR(T_max={epochs})", "seed": seed,
                     "threads": 1},
        "source_test_set": "course_lib.data.images.source_task() (50 drawings per class)",
        "source_test_accuracy": round(scores["accuracy"], 4),
        "source_test_loss": round(scores["loss"], 4),
        "train_accuracy_last_epoch": round(history["accuracy"][-1], 4),
        "parameters": count_parameters(model, trainable_only=False),
        "training_seconds": round(seconds, 1),
        "trained_with": {"torch": torch.__version__, "python": platform.python_version(),
                         "machine": platform.machine()},
        "command": f"python -m course_lib.pretrained.train --epochs {epochs} --seed {seed}",
    }
    return model, card


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Train the pretrained network of lesson 07.")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the weights and card (default: the package folder)")
    args = parser.parse_args(argv)
    model, card = train(args.epochs, args.seed)
    weights = WEIGHTS_PATH if args.out is None else args.out / WEIGHTS_PATH.name
    card_path = CARD_PATH if args.out is None else args.out / CARD_PATH.name
    weights.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), weights)
    card["weights_bytes"] = weights.stat().st_size
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"source-task accuracy {card['source_test_accuracy']:.4f}; wrote {weights} "
          f"({card['weights_bytes']} bytes) and {card_path} in {card['training_seconds']} s")


if __name__ == "__main__":
    main()
