"""`course_lib.training.fit` and helpers on CPU with tiny models."""

import math

import pytest
import torch
from test_training_fixtures import blobs, loaders, params_equal, tiny_mlp
from torch import nn

from course_lib.training import (
    NonFiniteLossError,
    accuracy,
    count_parameters,
    describe_device,
    evaluate,
    fit,
    freeze,
    get_device,
    make_loader,
    measure_throughput,
    predict,
    resolve_amp,
    unfreeze,
)


def _train(seed=0, epochs=3, **kwargs):
    model = tiny_mlp(seed, dropout=0.2)
    train, val = loaders(seed=seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, train, val, epochs=epochs, optimizer=optimizer,
                  loss_fn=nn.CrossEntropyLoss(), progress=False, device="cpu", **kwargs)
    return model, history


def test_fit_learns_and_records_history():
    model, history = _train(epochs=4)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert history.epoch == [0, 1, 2, 3]
    assert all(len(v) == 4 for v in history.history.values())
    assert history["val_accuracy"][-1] > 0.9, history.history
    assert history["loss"][-1] < history["loss"][0]
    # the logged validation numbers are what evaluate() says about the final model
    scores = evaluate(model, loaders()[1], nn.CrossEntropyLoss(), device="cpu")
    assert scores["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-5)
    assert scores["accuracy"] == pytest.approx(history["val_accuracy"][-1])


def test_fit_is_reproducible_with_a_seed():
    model_a, history_a = _train(seed=3)
    model_b, history_b = _train(seed=3)
    model_c, _ = _train(seed=4)
    assert history_a.history == history_b.history
    assert params_equal(model_a, model_b)
    assert not params_equal(model_a, model_c)


def test_history_plot_returns_one_panel_per_quantity():
    _, history = _train(epochs=2)
    fig = history.plot()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "accuracy"]
    assert [line.get_label() for line in fig.axes[0].lines] == ["train", "validation"]
    assert history.best("val_loss")[0] in history.epoch


def test_nan_loss_stops_with_a_message_naming_epoch_and_batch():
    model = tiny_mlp()
    train, _ = loaders()

    def poisoned(outputs, targets, calls=[0]):  # noqa: B006 - a counter across calls
        calls[0] += 1
        loss = nn.functional.cross_entropy(outputs, targets)
        return loss * math.nan if calls[0] == len(train) + 3 else loss

    with pytest.raises(NonFiniteLossError, match=r"epoch 1, batch 2") as info:
        fit(model, train, epochs=3, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            loss_fn=poisoned, metrics=(), progress=False, device="cpu")
    assert isinstance(info.value, FloatingPointError)
    assert "nan" in str(info.value)


def test_diverging_learning_rate_is_caught():
    torch.manual_seed(0)
    model = nn.Linear(8, 2)
    batches = [(torch.randn(16, 8) * 10, torch.randn(16, 2)) for _ in range(4)]
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(model, batches, epochs=100, optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
            loss_fn=nn.MSELoss(), progress=False, device="cpu")


def test_bf16_autocast_on_cpu_runs_and_learns():
    model, history = _train(epochs=3, amp="bf16")
    assert history["val_accuracy"][-1] > 0.85, history.history
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert str(resolve_amp("bf16", torch.device("cpu"))) == "bf16 on cpu"
    assert not resolve_amp("auto", torch.device("cpu")).enabled
    assert resolve_amp(True, torch.device("cpu")).dtype == torch.bfloat16
    with pytest.raises(ValueError, match="amp must be one of"):
        resolve_amp("half", torch.device("cpu"))


def test_grad_clip_bounds_the_global_norm_of_every_step():
    model = tiny_mlp()
    norms = []

    class Spy(torch.optim.SGD):
        def step(self, closure=None):
            grads = [p.grad for group in self.param_groups for p in group["params"]]
            norms.append(torch.linalg.vector_norm(torch.stack(
                [torch.linalg.vector_norm(g) for g in grads])).item())
            return super().step(closure)

    train, _ = loaders()
    fit(model, train, epochs=2, optimizer=Spy(model.parameters(), lr=0.5),
        loss_fn=nn.CrossEntropyLoss(), grad_clip=0.05, progress=False, device="cpu")
    assert len(norms) == 2 * len(train)
    assert max(norms) <= 0.05 * (1 + 1e-5), max(norms)


def test_epoch_scheduler_steps_once_per_epoch():
    model = tiny_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    _, history = _train_with(model, optimizer, scheduler, epochs=3)
    assert history["lr"] == [1.0, 0.5, 0.25]


def test_one_cycle_scheduler_steps_every_batch():
    model = tiny_mlp()
    train, val = loaders()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, epochs=2,
                                                    steps_per_epoch=len(train))
    _train_with(model, optimizer, scheduler, epochs=2)
    assert scheduler.last_epoch == 2 * len(train)  # one step per batch, none per epoch


def test_reduce_on_plateau_is_stepped_with_the_validation_loss():
    model = tiny_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)  # too small to improve
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=0)
    _, history = _train_with(model, optimizer, scheduler, epochs=3)
    assert history["lr"][2] < history["lr"][0]


def _train_with(model, optimizer, scheduler, epochs):
    train, val = loaders()
    history = fit(model, train, val, epochs=epochs, optimizer=optimizer,
                  loss_fn=nn.CrossEntropyLoss(), scheduler=scheduler, progress=False,
                  device="cpu")
    return model, history


def test_freeze_unfreeze_and_count_parameters():
    model = tiny_mlp()
    total = 8 * 16 + 16 + 16 * 2 + 2
    assert count_parameters(model) == total
    freeze(model[0])
    assert count_parameters(model) == 16 * 2 + 2
    assert count_parameters(model, trainable_only=False) == total
    before = model[0].weight.detach().clone()
    train, _ = loaders()
    trainable = [p for p in model.parameters() if p.requires_grad]
    fit(model, train, epochs=1, optimizer=torch.optim.SGD(trainable, lr=0.5),
        loss_fn=nn.CrossEntropyLoss(), progress=False, device="cpu")
    assert torch.equal(model[0].weight, before)
    assert unfreeze(model) is model and count_parameters(model) == total


def test_metrics_accept_names_functions_and_mappings():
    def error_rate(outputs, targets):
        return 1 - accuracy(outputs, targets)

    model = tiny_mlp()
    _, val = loaders()
    scores = evaluate(model, val, metrics=["accuracy", error_rate], device="cpu")
    assert set(scores) == {"accuracy", "error_rate"}
    assert scores["accuracy"] + scores["error_rate"] == pytest.approx(1.0)
    assert set(evaluate(model, val, nn.CrossEntropyLoss(), metrics={}, device="cpu")) == {"loss"}
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        evaluate(model, val, metrics=["f1"], device="cpu")
    with pytest.raises(ValueError, match=r"shape \(N, classes\)"):
        accuracy(torch.zeros(4), torch.zeros(4, dtype=torch.long))


def test_evaluate_and_predict_restore_the_training_mode():
    model = tiny_mlp(dropout=0.5).train()
    data = blobs(100)
    outputs = predict(model, data.tensors[0], device="cpu", batch_size=32)
    assert outputs.shape == (100, 2) and model.training
    again = predict(model, make_loader(data, 50, device="cpu"), device="cpu")
    assert torch.equal(outputs, again)  # eval mode: dropout off, deterministic


def test_make_loader_batches_a_tensor_dataset_and_is_reproducible():
    data = blobs(100)
    first = [y for _, y in make_loader(data, 32, shuffle=True, seed=5, device="cpu")]
    second = [y for _, y in make_loader(data, 32, shuffle=True, seed=5, device="cpu")]
    assert [len(y) for y in first] == [32, 32, 32, 4]
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    loader = make_loader(data, 32, device="cpu")
    assert loader.num_workers == 0 and not loader.pin_memory


def test_device_choice_is_explained_and_impossible_requests_fail():
    assert get_device("cpu").type == "cpu"
    assert describe_device("cpu").startswith("cpu (")
    if not torch.cuda.is_available():
        assert get_device().type in ("cpu", "mps")
        with pytest.raises(RuntimeError, match="no CUDA device"):
            get_device("cuda")


def test_measure_throughput_counts_samples_and_leaves_weights_alone():
    model = tiny_mlp()
    before = [p.detach().clone() for p in model.parameters()]
    rate = measure_throughput(model, torch.randn(64, 8), "cpu", steps=5, warmup=1)
    train_rate = measure_throughput(model, torch.randn(64, 8), "cpu", steps=5, train=True)
    assert rate > 0 and train_rate > 0
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert all(p.grad is None for p in model.parameters())


def test_bad_arguments_get_clear_errors():
    model = tiny_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(model, [], epochs=0, optimizer=optimizer, loss_fn=nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match="yields no batches"):
        fit(model, [], epochs=1, optimizer=optimizer, loss_fn=nn.CrossEntropyLoss(),
            progress=False, device="cpu")
    with pytest.raises(TypeError, match=r"batch 0: expected \(inputs, targets\)"):
        fit(model, [torch.zeros(2, 8)], epochs=1, optimizer=optimizer,
            loss_fn=nn.CrossEntropyLoss(), progress=False, device="cpu")
