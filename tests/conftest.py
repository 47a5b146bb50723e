"""Shared test set-up: `tests/` importable (for `lesson_harness`), headless matplotlib."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("MPLBACKEND", "Agg")
# The numpy engine multiplies small matrices; OpenBLAS's worker threads only add overhead there,
# and on a loaded 2-core machine they spin against each other (measured: one lesson-05 training
# run 92 s wall / 12 s CPU with the default threads, 3.8 s / 0.4 s with one). Set before numpy
# is imported; torch keeps its own thread pool.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
