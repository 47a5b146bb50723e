"""The CUDA path of `course_lib.training`: AMP, pinned memory, throughput (skipped without CUDA)."""

import pytest
import torch
from test_training_fixtures import blobs
from torch import nn

from course_lib.training import (
    describe_device,
    fit,
    get_device,
    make_loader,
    measure_throughput,
    resolve_amp,
    seed_everything,
)

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(1024, 10))


def test_auto_device_is_cuda_and_described():
    assert get_device().type == "cuda"
    assert describe_device().startswith("cuda:")


def test_pinned_loader_and_amp_training_on_cuda():
    seed_everything(0)
    data = blobs(2048)
    train = make_loader(data, 128, shuffle=True, seed=0)
    assert train.pin_memory
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
    policy = resolve_amp("auto", torch.device("cuda"))
    assert policy.enabled
    history = fit(model, train, make_loader(data, 512), epochs=3,
                  optimizer=torch.optim.Adam(model.parameters(), 1e-2),
                  loss_fn=nn.CrossEntropyLoss(), progress=False)
    assert next(model.parameters()).device.type == "cuda"
    assert next(model.parameters()).dtype == torch.float32  # autocast, not a cast of the model
    assert history["val_accuracy"][-1] > 0.9, history.history


def test_fp16_with_grad_scaler_and_clipping_trains():
    seed_everything(0)
    data = blobs(1024)
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
    history = fit(model, make_loader(data, 128, shuffle=True, seed=0), make_loader(data, 512),
                  epochs=3, optimizer=torch.optim.SGD(model.parameters(), 0.1), amp="fp16",
                  grad_clip=1.0, loss_fn=nn.CrossEntropyLoss(), progress=False)
    assert history["val_accuracy"][-1] > 0.9, history.history


def test_amp_throughput_is_measured_and_not_slower_than_fp32():
    model = _cnn()
    batch = torch.randn(256, 1, 32, 32)
    fp32 = measure_throughput(model, batch, "cuda", steps=30, warmup=10)
    mixed = measure_throughput(model, batch, "cuda", steps=30, warmup=10, amp="auto")
    print(f"CNN inference: fp32 {fp32:,.0f} samples/s, AMP {mixed:,.0f} samples/s")
    assert fp32 > 0 and mixed > 0.8 * fp32
