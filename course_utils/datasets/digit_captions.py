"""Spanish captions for the handwritten digits, written from their labels with paraphrase
templates ("un siete escrito a mano", "la cifra siete", …), for CLIP-style training and
zero-shot prompts.

Training uses :data:`TRAINING_TEMPLATES`; :data:`PROMPTS` are the zero-shot prompts, some
worded like the training captions and some never seen (their unknown words become
``<unk>``), to show how much the wording of a prompt matters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NUMBER_WORDS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")

TRAINING_TEMPLATES = (
    "un {} escrito a mano",
    "el número {}",
    "la cifra {}",
    "un {} manuscrito",
    "el dígito {} escrito a mano",
    "una imagen de un {}",
)

PROMPTS = (
    "un {} escrito a mano",  # as in training
    "el número {}",  # as in training
    "{}",  # the bare word
    "una foto del número {}",  # "foto" and "del" never seen
    "un dibujo de un {}",  # "dibujo" never seen
)


def fill(templates: Sequence[str], words: Sequence[str] = NUMBER_WORDS) -> list[list[str]]:
    """``captions[c][t]``: template ``t`` filled with the word of class ``c``."""
    return [[template.format(word) for template in templates] for word in words]


def captions_per_image(
    labels: np.ndarray, templates: Sequence[str] = TRAINING_TEMPLATES
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every training caption of every image: ``(texts, caption_image, caption_class)``.

    Image ``i`` gets one caption per template, all describing its label, so caption ``j``
    belongs to image ``caption_image[j]`` and says class ``caption_class[j]``.
    """
    table = fill(templates)
    texts = [table[int(label)][t] for label in labels for t in range(len(templates))]
    caption_image = np.repeat(np.arange(len(labels)), len(templates))
    caption_class = np.repeat(np.asarray(labels, dtype=np.int64), len(templates))
    return texts, caption_image, caption_class
