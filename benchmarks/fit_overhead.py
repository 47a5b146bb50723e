"""How much does `course_lib.training.fit` cost over a minimal hand-written loop?

Both train the same small MLP on the same in-memory batches for one epoch; the two are run
alternately (so machine load hits both alike) and the best of several repetitions is kept.
Goal: ``fit / hand-written <= 1.05`` on the CPU. A second pair adds what `fit` does by default
(accuracy, a progress bar) against a hand loop that also tracks accuracy.

With CUDA present it also measures mixed precision (AMP, via `fit`) against fp32 on a small CNN.

    .venv/bin/python benchmarks/fit_overhead.py [--repeats 15] [--clock cpu]
"""

from __future__ import annotations

import argparse
import io
import time
from contextlib import redirect_stderr

import torch
from torch import nn

from course_lib.training import fit, make_loader, seed_everything


def mlp() -> nn.Module:
    seed_everything(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def hand_loop(model, loader, optimizer, loss_fn, device, with_accuracy=False):
    """The loop `fit` replaces, written as tersely as a careful person would."""
    model.train()
    total, correct, seen = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        out = model(x)
        loss = loss_fn(out, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        if with_accuracy:
            correct += (out.argmax(1) == y).sum().item()
        seen += len(y)
    return total / seen


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def timed(fn, clock) -> float:
    start = clock()
    fn()
    return clock() - start


def compare(pairs: dict, repeats: int, clock=time.perf_counter):
    """Seconds of each callable in every repetition, run interleaved: ``{name: [s, ...]}``."""
    times = {name: [] for name in pairs}
    for _ in range(repeats):
        for name, fn in pairs.items():
            times[name].append(timed(fn, clock))
    return times


def ratios(times, numerator: str, denominator: str) -> tuple[float, float]:
    """(ratio of the best times, median of the per-repetition ratios): two noise-robust views."""
    paired = sorted(a / b for a, b in zip(times[numerator], times[denominator], strict=True))
    return min(times[numerator]) / min(times[denominator]), paired[len(paired) // 2]


def cpu_overhead(repeats: int, clock_name: str) -> None:
    device = torch.device("cpu")
    generator = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(4096, 64, generator=generator),
                                          torch.randint(0, 10, (4096,), generator=generator))
    loader = make_loader(data, 64, shuffle=True, device=device, seed=0)
    loss_fn = nn.CrossEntropyLoss()
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run_fit(**kwargs):
        with redirect_stderr(io.StringIO()):
            fit(model, loader, epochs=1, optimizer=optimizer, loss_fn=loss_fn, device=device,
                **kwargs)

    times = compare({
        "hand loop": lambda: hand_loop(model, loader, optimizer, loss_fn, device),
        "fit (no metrics, no bar)": lambda: run_fit(metrics=(), progress=False),
        "hand loop + accuracy": lambda: hand_loop(model, loader, optimizer, loss_fn, device,
                                                  with_accuracy=True),
        "fit (defaults: accuracy, bar)": lambda: run_fit(),
    }, repeats, CLOCKS[clock_name])
    best = {name: min(values) for name, values in times.items()}
    batches = len(loader)
    print(f"CPU, MLP 64-128-128-10, {batches} batches of 64, best of {repeats}, interleaved, "
          f"{clock_name} clock")
    for name, seconds in best.items():
        print(f"  {name:32s} {seconds * 1e3:8.1f} ms  ({seconds / batches * 1e6:6.1f} us/batch)")
    plain = ratios(times, "fit (no metrics, no bar)", "hand loop")
    full = ratios(times, "fit (defaults: accuracy, bar)", "hand loop + accuracy")
    print("  ratios (of best times; median of paired repetitions):")
    print(f"  fit / hand loop:                     {plain[0]:.3f}; {plain[1]:.3f}  (goal <= 1.05)")
    print(f"  fit defaults / hand loop + accuracy: {full[0]:.3f}; {full[1]:.3f}")


def cuda_amp_speedup(repeats: int) -> None:
    device = torch.device("cuda")
    print(f"\nCUDA: {torch.cuda.get_device_name(0)}; small CNN on 3x64x64 images, batch 256")
    generator = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(256 * 40, 3, 64, 64, generator=generator),
                                          torch.randint(0, 10, (256 * 40,), generator=generator))
    loader = make_loader(data, 256, shuffle=True, device=device, seed=0)
    loss_fn = nn.CrossEntropyLoss()
    seed_everything(0, deterministic=False)
    torch.backends.cudnn.benchmark = True
    model = nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(128, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(256, 10)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run(amp):
        fit(model, loader, epochs=1, optimizer=optimizer, loss_fn=loss_fn, device=device,
            amp=amp, progress=False, metrics=())
        torch.cuda.synchronize()

    run("off"), run("auto")  # warm-up: cuDNN autotuning, allocator
    times = compare({"fp32": lambda: run("off"), "amp (auto)": lambda: run("auto"),
                    "hand loop fp32": lambda: (hand_loop(model, loader, optimizer, loss_fn,
                                                         device), torch.cuda.synchronize())},
                   repeats)
    best = {name: min(values) for name, values in times.items()}
    samples = len(data)
    for name, seconds in best.items():
        print(f"  {name:16s} {seconds * 1e3:8.1f} ms/epoch  {samples / seconds:10,.0f} samples/s")
    print(f"  AMP speed-up over fp32: {best['fp32'] / best['amp (auto)']:.2f}x; "
          f"fit fp32 / hand loop fp32: {best['fp32'] / best['hand loop fp32']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="'cpu' (process time) is steadier on a machine shared with others")
    args = parser.parse_args()
    torch.set_num_threads(1)  # steadier timings on a shared CPU; both sides alike
    cpu_overhead(args.repeats, args.clock)
    if torch.cuda.is_available():
        cuda_amp_speedup(args.repeats)
    else:
        print("\nno CUDA device: AMP vs fp32 speed-up not measured")


if __name__ == "__main__":
    main()
