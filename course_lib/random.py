"""One seeded random generator for the whole numpy side of the course.

Initialization (`nn.init`) and dropout draw from the same `numpy.random.Generator`, so
`course_lib.manual_seed(0)` at the top of a lesson makes every number in it reproducible,
just as `torch.manual_seed` does for torch code.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the course-wide generator to `seed` and return it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def get_generator() -> np.random.Generator:
    """The generator that init functions and dropout draw from."""
    return _generator
