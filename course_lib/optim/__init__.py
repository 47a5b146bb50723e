"""Optimizers and learning-rate schedules, shaped like `torch.optim`.

``from course_lib import optim; opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)``
then, per step: ``opt.zero_grad(); loss.backward(); opt.step()``. Every update rule matches
torch's to floating-point precision (the tests train the same MLP in both and compare).
"""

from course_lib.optim import lr_scheduler
from course_lib.optim.adam import Adam, AdamW
from course_lib.optim.clip import clip_grad_norm_
from course_lib.optim.optimizer import Optimizer
from course_lib.optim.rmsprop import RMSprop
from course_lib.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "clip_grad_norm_", "lr_scheduler"]
