"""Shared test set-up: `tests/` importable (for `lesson_harness`), headless matplotlib."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("MPLBACKEND", "Agg")
