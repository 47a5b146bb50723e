"""course_lib.training: torch training helpers for lessons 06-10.

``fit`` is the training loop (device, mixed precision, clipping, schedulers, callbacks,
progress bar, NaN guard); the rest are the pieces around it that a student would otherwise
copy from a blog post: device choice and seeding, device-aware loaders, evaluation and
prediction, freezing and counting parameters, throughput measurement.
"""

from course_lib.training.amp import AmpPolicy, resolve_amp
from course_lib.training.callbacks import Callback, Checkpoint, EarlyStopping, load_checkpoint
from course_lib.training.device import describe_device, get_device, make_loader, seed_everything
from course_lib.training.fit import NonFiniteLossError, TrainingRun, fit
from course_lib.training.history import History
from course_lib.training.metrics import accuracy
from course_lib.training.utils import (
    count_parameters,
    evaluate,
    freeze,
    measure_throughput,
    predict,
    unfreeze,
)

__all__ = [
    "fit", "History", "TrainingRun", "NonFiniteLossError",
    "Callback", "EarlyStopping", "Checkpoint", "load_checkpoint",
    "get_device", "describe_device", "seed_everything", "make_loader",
    "evaluate", "predict", "count_parameters", "freeze", "unfreeze", "measure_throughput",
    "accuracy", "AmpPolicy", "resolve_amp",
]
