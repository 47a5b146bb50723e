"""Hyperparameter search for lesson 10: search spaces, grid and random configurations, and a
cheap digits objective to search over.

A search space maps each hyperparameter's name to a distribution: `LogUniform` for scales
(learning rates, weight decay: 1e-4 and 1e-3 are as far apart as 1e-2 and 1e-1), `Uniform` for
plain ranges, `Choice` for categories. `grid_configs` spends a budget on a regular grid,
`random_configs` on independent draws. Bergstra & Bengio (2012, "Random Search for
Hyper-Parameter Optimization") showed why random usually wins: when only a few hyperparameters
matter, a 3 x 3 grid tries 3 values of the important one; 9 random draws try 9.

Every search here selects on the *validation* split. The test split is for reporting the chosen
configuration once, at the end; choosing with it makes its score optimistic.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["LogUniform", "Uniform", "Choice", "sample_config", "grid_configs", "random_configs",
           "run_search", "digits_objective"]


@dataclass(frozen=True)
class LogUniform:
    """Uniform in log space between `low` and `high` (both > 0)."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def grid(self, n: int) -> list[float]:
        return [float(v) for v in np.geomspace(self.low, self.high, n)]


@dataclass(frozen=True)
class Uniform:
    """Uniform between `low` and `high`."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def grid(self, n: int) -> list[float]:
        return [float(v) for v in np.linspace(self.low, self.high, n)]


@dataclass(frozen=True)
class Choice:
    """One of a fixed list of options, each equally likely."""

    options: tuple

    def sample(self, rng: np.random.Generator):
        return self.options[int(rng.integers(len(self.options)))]

    def grid(self, n: int) -> list:
        return list(self.options[:n]) if n < len(self.options) else list(self.options)


def sample_config(space: dict, rng: np.random.Generator) -> dict:
    """One random configuration: a value drawn from each distribution, in the space's order."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"sample_config needs a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    return {name: dist.sample(rng) for name, dist in space.items()}


def grid_configs(space: dict, budget: int) -> list[dict]:
    """A full grid with the same number of values per hyperparameter, within `budget` trials.

    With d hyperparameters, each gets ``floor(budget ** (1/d))`` evenly spaced values (log-spaced
    for `LogUniform`), so 9 trials over 2 hyperparameters is a 3 x 3 grid.
    """
    per_axis = max(1, int(math.floor(budget ** (1.0 / len(space)) + 1e-9)))
    axes = [dist.grid(per_axis) for dist in space.values()]
    return [dict(zip(space, values, strict=True)) for values in itertools.product(*axes)]


def random_configs(space: dict, budget: int, *, seed: int = 0) -> list[dict]:
    """`budget` independent random configurations (reproducible from `seed`)."""
    rng = np.random.default_rng(seed)
    return [sample_config(space, rng) for _ in range(budget)]


def run_search(configs: list[dict], objective) -> list[tuple[dict, float]]:
    """Evaluate ``objective(config)`` (higher is better) for each config, best first."""
    results = [(config, float(objective(config))) for config in configs]
    return sorted(results, key=lambda item: -item[1])


def digits_objective(splits, *, epochs: int = 2, batch_size: int = 64, max_train: int = 640,
                     seed: int = 0):
    """``objective(config) -> validation accuracy`` of a one-hidden-layer MLP on the digits.

    `config` holds ``lr`` (SGD with momentum 0.9) and ``hidden`` (width of the hidden layer).
    Small enough (the first `max_train` training examples, `epochs` epochs) that twenty trials
    take a few seconds on a CPU; it is trained on ``splits.train`` and scored on ``splits.val``
    only.
    """
    import torch

    from course_lib.stability import single_thread

    X = torch.tensor(splits.train.X[:max_train], dtype=torch.float32)
    y = torch.tensor(splits.train.y[:max_train])
    X_val = torch.tensor(splits.val.X, dtype=torch.float32)
    y_val = torch.tensor(splits.val.y)

    def objective(config: dict) -> float:
        torch.manual_seed(seed)
        hidden = int(config["hidden"])
        model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(),
                                    torch.nn.Linear(hidden, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9)
        generator = torch.Generator().manual_seed(seed)
        with single_thread():
            for _ in range(epochs):
                order = torch.randperm(len(X), generator=generator)
                for start in range(0, len(X), batch_size):
                    index = order[start:start + batch_size]
                    loss = torch.nn.functional.cross_entropy(model(X[index]), y[index])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
            with torch.no_grad():
                logits = model(X_val)
        if not torch.isfinite(logits).all():
            return 0.0
        return float((logits.argmax(1) == y_val).float().mean())

    return objective
