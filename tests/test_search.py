"""course_lib.search: distributions, grid and random configurations, the digits objective."""

import numpy as np
import pytest

from course_lib.search import (
    Choice,
    LogUniform,
    Uniform,
    digits_objective,
    grid_configs,
    random_configs,
    run_search,
    sample_config,
)

SPACE = {"lr": LogUniform(1e-4, 1.0), "dropout": Uniform(0.0, 0.5), "width": Choice((8, 16))}


def test_samples_stay_in_range_and_log_uniform_is_uniform_in_log_space():
    rng = np.random.default_rng(0)
    configs = [sample_config(SPACE, rng) for _ in range(2000)]
    lrs = np.array([c["lr"] for c in configs])
    assert lrs.min() >= 1e-4 and lrs.max() <= 1.0
    # a quarter of the log range lies below 1e-3
    assert abs((lrs < 1e-3).mean() - 0.25) < 0.04
    assert {c["width"] for c in configs} == {8, 16}
    assert all(0.0 <= c["dropout"] <= 0.5 for c in configs)


def test_random_configs_are_reproducible_and_match_one_generator():
    rng = np.random.default_rng(4)
    assert random_configs(SPACE, 5, seed=4) == [sample_config(SPACE, rng) for _ in range(5)]
    assert random_configs(SPACE, 5, seed=4) != random_configs(SPACE, 5, seed=5)


def test_grid_spends_at_most_the_budget_with_equal_values_per_axis():
    space = {"lr": LogUniform(1e-3, 1e-1), "dropout": Uniform(0.0, 0.5)}
    grid = grid_configs(space, 9)
    assert len(grid) == 9
    assert sorted({c["lr"] for c in grid}) == pytest.approx([1e-3, 1e-2, 1e-1])
    assert len(grid_configs(space, 8)) == 4  # 2 x 2: a 3 x 3 grid would exceed 8
    assert len(grid_configs({"lr": LogUniform(1e-3, 1.0)}, 5)) == 5


def test_run_search_sorts_best_first():
    results = run_search([{"x": 1}, {"x": 3}, {"x": 2}], lambda c: -abs(c["x"] - 3))
    assert [c["x"] for c, _ in results] == [3, 2, 1]


def test_sample_config_needs_a_generator():
    with pytest.raises(TypeError, match="needs a numpy Generator"):
        sample_config(SPACE, 0)


def test_digits_objective_rewards_a_sensible_learning_rate():
    from course_lib.data.digits import load_digits_splits

    objective = digits_objective(load_digits_splits(), epochs=2)
    good = objective({"lr": 0.1, "hidden": 32})
    tiny = objective({"lr": 1e-4, "hidden": 32})
    assert good > 0.8 > tiny
    assert objective({"lr": 0.1, "hidden": 32}) == good  # seeded: the same run twice
