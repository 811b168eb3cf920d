"""Padding of variable-length token sequences.

Notebook 03 writes the padding collate function and the masked mean (its exercises 2 and 3);
neither has a reference here. The image–text models of notebooks 05 and 06 average their word
features over the real tokens inside their own encoders (``models/contrastive.py``).
"""

from __future__ import annotations

PAD = 0
