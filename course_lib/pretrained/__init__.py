"""The pretrained CNN of lesson 07: definition, shipped weights and the script that made them.

``load_pretrained()`` returns the network trained on 40 glyph classes (see ``pretrained_card()`` for
its source task, seed and accuracy); ``python -m course_lib.pretrained.train`` re-creates the
weights deterministically.
"""

from course_lib.pretrained.model import (
    CARD_PATH,
    FEATURES,
    WEIGHTS_PATH,
    GlyphCNN,
    load_pretrained,
    pretrained_card,
)

__all__ = ["GlyphCNN", "load_pretrained", "pretrained_card", "WEIGHTS_PATH", "CARD_PATH",
           "FEATURES"]
