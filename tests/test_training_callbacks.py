"""EarlyStopping and Checkpoint: stopping, restoring the best weights, resuming a run exactly."""

import copy

import pytest
import torch
from test_training_fixtures import loaders, params_equal, tiny_mlp
from torch import nn

from course_lib.training import Callback, Checkpoint, EarlyStopping, fit, load_checkpoint


class Snapshots(Callback):
    """Keeps a copy of the weights after every epoch (to compare with what was restored)."""

    def __init__(self):
        self.states = []

    def on_epoch_end(self, run, logs):
        self.states.append(copy.deepcopy(run.model.state_dict()))


def _fit(model, epochs, callbacks=(), resume_from=None, lr=0.5):
    train, val = loaders(seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return fit(model, train, val, epochs=epochs, optimizer=optimizer, scheduler=scheduler,
               loss_fn=nn.CrossEntropyLoss(), callbacks=callbacks, progress=False,
               device="cpu", resume_from=resume_from)


class ScriptedLoss(Callback):
    """Replaces the logged val_loss by a script, so the stopping epoch is known in advance."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, run, logs):
        logs["val_loss"] = self.values[run.epoch]

    order = -1


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    script = [1.0, 0.5, 0.4, 0.45, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
    stopper, snapshots = EarlyStopping(patience=2), Snapshots()
    model = tiny_mlp()
    history = _fit(model, epochs=10, callbacks=[snapshots, stopper, ScriptedLoss(script)])
    assert len(history) == 5  # best at epoch 2, then 3 and 4 without improvement -> stop at 4
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 4
    assert stopper.best == pytest.approx(0.4)
    assert params_equal_state(model, snapshots.states[2])
    assert not params_equal_state(model, snapshots.states[4])


def test_early_stopping_without_restore_keeps_the_last_weights_and_max_mode_works():
    stopper, snapshots = EarlyStopping("val_accuracy", patience=0, restore_best=False), \
        Snapshots()
    model = tiny_mlp()
    history = _fit(model, epochs=30, callbacks=[snapshots, stopper], lr=0.05)
    assert stopper.mode == "max"
    assert stopper.stopped_epoch == len(history) - 1 < 29
    assert params_equal_state(model, snapshots.states[-1])


def test_monitoring_a_missing_quantity_names_what_was_logged():
    model = tiny_mlp()
    train, _ = loaders()
    with pytest.raises(KeyError, match="pass a val_loader"):
        fit(model, train, epochs=2, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            loss_fn=nn.CrossEntropyLoss(), callbacks=[EarlyStopping()], progress=False,
            device="cpu")


def params_equal_state(model, state):
    return all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def test_checkpoint_keeps_the_best_model_on_disk(tmp_path):
    script = [1.0, 0.3, 0.5, 0.6]
    checkpoint, snapshots = Checkpoint(tmp_path / "best.pt"), Snapshots()
    _fit(tiny_mlp(), epochs=4, callbacks=[snapshots, ScriptedLoss(script), checkpoint])
    restored = tiny_mlp(seed=9)
    state = load_checkpoint(tmp_path / "best.pt", restored)
    assert state["epoch"] == 1 and checkpoint.best_epoch == 1
    assert params_equal_state(restored, snapshots.states[1])
    assert load_checkpoint(checkpoint.last_path)["epoch"] == 3
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_resume_continues_exactly_where_the_interrupted_run_left_off(tmp_path):
    """Train 6 epochs straight, or 3 + resume to 6: same weights, history and callbacks."""
    straight = tiny_mlp(dropout=0.2)
    stop_a = EarlyStopping(patience=10)
    history_a = _fit(straight, epochs=6, callbacks=[stop_a, Checkpoint(tmp_path / "a.pt")])

    first = tiny_mlp(dropout=0.2)
    checkpoint = Checkpoint(tmp_path / "b.pt")
    _fit(first, epochs=3, callbacks=[EarlyStopping(patience=10), checkpoint])
    # a fresh process would rebuild the model and optimizer: different weights, other RNG state
    torch.manual_seed(1234)
    resumed = tiny_mlp(seed=77, dropout=0.2)
    stop_b = EarlyStopping(patience=10)
    history_b = _fit(resumed, epochs=6, callbacks=[stop_b, Checkpoint(tmp_path / "b.pt")],
                     resume_from=checkpoint.last_path)

    assert history_b.epoch == list(range(6))
    assert history_b.history == history_a.history
    assert params_equal(straight, resumed)
    assert stop_b.best_epoch == stop_a.best_epoch and stop_b.wait == stop_a.wait
    assert history_b["lr"] == [0.5, 0.5, 0.25, 0.25, 0.125, 0.125]  # scheduler state resumed


def test_resume_rejects_a_file_that_is_not_a_checkpoint(tmp_path):
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a course_lib.training checkpoint"):
        _fit(tiny_mlp(), epochs=2, resume_from=tmp_path / "other.pt")
