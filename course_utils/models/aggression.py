"""Layer sizes of the intermediate-fusion network of the aggressiveness exercises (notebook 04).

The network itself is the students' exercise, so it is not shipped here: TF-IDF branch with
3 hidden layers, embedding branch with 2, fused sub-network with 2, output layer.
"""

from __future__ import annotations

TFIDF_HIDDEN = (256, 128, 64)
EMB_HIDDEN = (128, 64)
FUSED_HIDDEN = (64, 32)
