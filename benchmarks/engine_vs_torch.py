"""How fast is course_lib's numpy engine? One training step of the same MLP, side by side.

A step is what every lesson's training loop does: forward on a mini-batch of scikit-learn's
digits, cross-entropy loss, backward, SGD update. The same model (same sizes, same initial
weights, same batches) runs in

* course_lib (`nn.Linear`, `nn.functional.cross_entropy`, `optim.SGD`), in float32 (like torch)
  and in float64 (the engine's default, which the gradient checks need), with numpy's BLAS
  limited to one thread and with its default thread pool;
* torch on the CPU (float32), single-threaded and with its default number of threads;
* at the smallest size only, a pure-Python scalar autograd `Value` (micrograd style, written
  below), to show what vectorizing buys.

Libraries take turns, round after round, and each figure is the best round's mean, so a busy
machine slows them all alike. On a loaded machine, multi-threaded BLAS (numpy's and torch's
alike) can be many times slower than one thread: compare the one-thread rows first.
Run: `python benchmarks/engine_vs_torch.py [--rounds N]`.
Goals (issue #2): course_lib at most 0.8x torch's step time on the small model, 1.2x on the big.
"""

from __future__ import annotations

import argparse
import math
import time
from contextlib import contextmanager, nullcontext
from functools import partial

import numpy as np
import torch
from sklearn.datasets import load_digits
from threadpoolctl import ThreadpoolController  # installed with scikit-learn

from course_lib import nn, optim
from course_lib.engine import Tensor
from course_lib.engine.autograd import topological_order
from course_lib.nn import functional as F

SIZES = [("64-64-10", (64, 64, 10), 32), ("64-256-256-10", (64, 256, 256, 10), 256)]
LR = 0.05


def digits_batches(batch_size: int):
    """All full mini-batches of the shuffled digits (1797 images), pixels scaled to [0, 1]."""
    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order] / 16.0, y[order]
    return [(x[i:i + batch_size], y[i:i + batch_size])
            for i in range(0, len(x) - batch_size + 1, batch_size)]


def initial_weights(widths):
    """torch.nn.Linear's default init, drawn once and shared by every implementation."""
    rng = np.random.default_rng(1)
    layers = []
    for fan_in, fan_out in zip(widths, widths[1:], strict=False):
        bound = 1 / math.sqrt(fan_in)
        layers.append((rng.uniform(-bound, bound, (fan_out, fan_in)),
                       rng.uniform(-bound, bound, fan_out)))
    return layers


def sequential(module, weights):
    """Linear-ReLU-...-Linear in `module` (course_lib.nn or torch.nn), weights copied in."""
    layers = []
    for weight, bias in weights:
        linear = module.Linear(weight.shape[1], weight.shape[0])
        linear.weight.data[...] = weight
        linear.bias.data[...] = bias
        layers += [linear, module.ReLU()]
    return module.Sequential(*layers[:-1])


def course_lib_step(weights, batches, dtype):
    model = sequential(nn, weights)
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    optimizer = optim.SGD(model.parameters(), lr=LR)
    data = [(Tensor(x, dtype=dtype), y) for x, y in batches]

    def step(i):
        x, y = data[i % len(data)]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_step(weights, batches):
    model = sequential(torch.nn, [(torch.tensor(w, dtype=torch.float32),
                                   torch.tensor(b, dtype=torch.float32)) for w, b in weights])
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    data = [(torch.tensor(x, dtype=torch.float32), torch.tensor(y)) for x, y in batches]

    def step(i):
        x, y = data[i % len(data)]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


# --------------------------------------------------- the scalar baseline, micrograd style
class Value:
    """One number with a gradient: every multiply-add of the MLP is a Python object."""

    __slots__ = ("data", "grad", "_parents", "_backward")
    requires_grad = True  # what `topological_order` follows

    def __init__(self, data, parents=(), backward=None):
        self.data, self.grad, self._parents, self._backward = data, 0.0, parents, backward

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,))

        def backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def backward():
            self.grad += out.data * out.grad
        out._backward = backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,))

        def backward():
            self.grad += out.grad / self.data
        out._backward = backward
        return out

    def backward(self):
        self.grad = 1.0
        for node in reversed(topological_order(self)):  # the engine's own sort
            if node._backward is not None:
                node._backward()


def value_step(weights, batches):
    layers = [([[Value(w) for w in row] for row in weight], [Value(b) for b in bias])
              for weight, bias in weights]
    params = [p for weight, bias in layers for p in [*sum(weight, []), *bias]]

    def step(i):
        x, y = batches[i % len(batches)]
        losses = []
        for row, label in zip(x, y, strict=True):
            h = [Value(v) for v in row]
            for depth, (weight, bias) in enumerate(layers):
                h = [sum((w * v for w, v in zip(ws, h, strict=True)), b)
                     for ws, b in zip(weight, bias, strict=True)]
                h = [v.relu() for v in h] if depth < len(layers) - 1 else h
            shift = Value(-max(v.data for v in h))  # a constant: stable log-sum-exp
            total = sum(((v + shift).exp() for v in h[1:]), (h[0] + shift).exp())
            losses.append(total.log() + (h[label] * Value(-1.0) + Value(-shift.data)))
        loss = sum(losses[1:], losses[0]) * Value(1 / len(losses))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data

    return step


# ------------------------------------------------------------------------------- timing
BLAS = ThreadpoolController()


@contextmanager
def torch_threads(count: int):
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def numpy_threads(count: int | None):
    """numpy's BLAS thread pool limited to `count` threads (None: left at its default)."""
    return nullcontext() if count is None else BLAS.limit(limits=count, user_api="blas")


def best_round(steps: dict, steps_per_round: dict, rounds: int, warmup: int = 3) -> dict:
    """ms per step of each (step, threads setting): best over rounds, libraries taking turns."""
    best = dict.fromkeys(steps, math.inf)
    counters = dict.fromkeys(steps, 0)
    for _ in range(rounds):
        for name, (step, threads) in steps.items():
            with threads():
                best[name] = min(best[name], _time(step, counters, name, warmup,
                                                   steps_per_round[name]))
    return best


def _time(step, counters: dict, name: str, warmup: int, count: int) -> float:
    time.sleep(0.2)  # idle worker threads of the previous library stop spinning on the cores
    for _ in range(warmup):  # warm caches and thread pools after the others ran
        step(counters[name])
        counters[name] += 1
    start = time.perf_counter()
    for _ in range(count):
        step(counters[name])
        counters[name] += 1
    return (time.perf_counter() - start) / count * 1e3


def check_same_model(weights, batches):
    """Before timing anything: the two libraries really compute the same steps."""
    ours, theirs = course_lib_step(weights, batches, np.float64), torch_step(weights, batches)
    for i in range(3):
        a, b = ours(i), theirs(i)
        if not math.isclose(a, b, rel_tol=1e-4):
            raise AssertionError(f"step {i}: course_lib loss {a:.6f} but torch loss {b:.6f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--value-steps", type=int, default=1, help="scalar baseline steps")
    args = parser.parse_args()
    cores = torch.get_num_threads()
    blas = max(info["num_threads"] for info in BLAS.select(user_api="blas").info())
    print(f"numpy {np.__version__} (BLAS {blas} threads by default), torch {torch.__version__} "
          f"({cores} threads by default); best of {args.rounds} rounds\n")
    header = (f"{'model':<14} {'batch':>5}  {'implementation':<30} {'ms/step':>9}  "
              f"{'/ torch 1 thread':>16}  {'/ torch default':>15}")
    print(header + "\n" + "-" * len(header))
    for label, widths, batch_size in SIZES:
        weights, batches = initial_weights(widths), digits_batches(batch_size)
        check_same_model(weights, batches)
        steps = {
            "course_lib float32, 1 thread": (course_lib_step(weights, batches, np.float32),
                                             partial(numpy_threads, 1)),
            "course_lib float64, 1 thread": (course_lib_step(weights, batches, np.float64),
                                             partial(numpy_threads, 1)),
            "course_lib float32, default": (course_lib_step(weights, batches, np.float32),
                                            partial(numpy_threads, None)),
            "torch, 1 thread": (torch_step(weights, batches), partial(torch_threads, 1)),
            "torch, default": (torch_step(weights, batches), partial(torch_threads, cores)),
        }
        count = max(20, int(4000 / batch_size))
        results = best_round(steps, dict.fromkeys(steps, count), args.rounds)
        if label == SIZES[0][0] and args.value_steps > 0:
            scalar = {"micrograd-style Value": (value_step(weights, batches), nullcontext)}
            results |= best_round(scalar, {"micrograd-style Value": args.value_steps}, 1, 0)
        one, default = results["torch, 1 thread"], results["torch, default"]
        for name, ms in results.items():
            print(f"{label:<14} {batch_size:>5}  {name:<30} {ms:>9.3f}  {ms / one:>15.2f}x"
                  f"  {ms / default:>14.2f}x")
        print()


if __name__ == "__main__":
    main()
