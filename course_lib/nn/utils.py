"""`nn.utils.clip_grad_norm_`, torch's spelling of `course_lib.optim.clip_grad_norm_`."""

from course_lib.optim.clip import clip_grad_norm_

__all__ = ["clip_grad_norm_"]
