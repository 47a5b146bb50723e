"""The shipped network loads, matches its card, and the training script is deterministic."""

import json

import pytest
import torch
from torch import nn

from course_lib.data.images import SOURCE_GLYPHS, source_task
from course_lib.pretrained import (
    CARD_PATH,
    FEATURES,
    WEIGHTS_PATH,
    GlyphCNN,
    load_pretrained,
    pretrained_card,
)
from course_lib.pretrained.train import train
from course_lib.training import count_parameters, evaluate


def test_shipped_weights_reach_the_documented_source_accuracy():
    card = pretrained_card()
    model = load_pretrained()
    assert not model.training and model.head.out_features == len(SOURCE_GLYPHS)
    scores = evaluate(model, [source_task()], nn.CrossEntropyLoss(), device="cpu")
    assert scores["accuracy"] == pytest.approx(card["source_test_accuracy"], abs=0.005)
    assert scores["accuracy"] >= 0.95
    assert card["parameters"] == count_parameters(model, trainable_only=False)


def test_card_documents_source_seed_and_time_and_weights_are_small():
    card = json.loads(CARD_PATH.read_text())
    for key in ("source_task", "source_test_accuracy", "training_seconds", "command"):
        assert key in card, f"the model card lacks {key!r}"
    assert card["training"]["seed"] == 0
    assert 50_000 < WEIGHTS_PATH.stat().st_size < 3_000_000


def test_each_load_is_a_fresh_copy_and_bad_input_is_named():
    a, b = load_pretrained(), load_pretrained()
    a.head = nn.Linear(FEATURES, 10)
    assert b.head.out_features == 40
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\), got \(2, 16, 16\)"):
        b(torch.zeros(2, 16, 16))
    with pytest.raises(FileNotFoundError, match="pretrained.train"):
        load_pretrained("/nonexistent/weights.pt")


def test_training_script_is_deterministic_with_a_seed():
    threads = torch.get_num_threads()
    first, _ = train(epochs=1, seed=3, per_class=20)
    second, _ = train(epochs=1, seed=3, per_class=20)
    other, _ = train(epochs=1, seed=4, per_class=20)
    same = all(torch.equal(p, q) for p, q in zip(first.parameters(), second.parameters(),
                                                  strict=True))
    assert same, "two runs with the same seed gave different weights"
    assert not torch.equal(first.head.weight, other.head.weight)
    assert isinstance(first, GlyphCNN)
    assert torch.get_num_threads() == threads  # the one-thread setting does not leak
