"""Chapter 02's experiment bookkeeping, kept out of the notebook so that it shows the lesson.

Chapter 02 (``02_estrategias_fusion``) trains a dozen fusion strategies on several seeds and
judges their differences as Holm families. The lesson is the strategies; this module holds what
only keeps the books:

- :class:`Trained`: one trained model as the comparison table needs it (a function from a split's
  dict of modalities to probabilities, its trained parameters, its training time);
- :func:`accuracy`, :func:`kpredict`, :func:`keras_params`: evaluate and count a model;
- :func:`compare_all`: a family of paired per-seed differences judged together with Holm
  (:func:`course_utils.claims.compare_family`), each recorded for the prose as numbers and a
  verdict word (:func:`case`);
- :func:`record_family`: how Holm judged a family, as numbers and a word.

Nothing here writes a sentence: the notebook's Markdown holds the sentences, as lists of
alternatives chosen by the recorded words and placeholders filled with the recorded numbers
(:mod:`course_utils.prose`, ``docs/claims.md``). Nothing here is a graded exercise or its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from .claims import Interval, compare_family
from .report import glue, record_metric

CASES = ("mejor", "peor", "ninguno", "sin_juzgar")  # the words :func:`case` records


@dataclass
class Trained:
    """A trained model of the comparison table."""

    name: str
    family: str  # "una modalidad", "temprana", "intermedia", "tardía", "híbrida"
    predict: Callable[[dict], np.ndarray]  # split's dict of modalities -> probabilities (N, classes)
    params: int
    seconds: float


def accuracy(model: Trained, split: Mapping[str, np.ndarray]) -> float:
    """Accuracy of ``model`` on a split (its ``label`` entry)."""
    return float((model.predict(split).argmax(axis=1) == split["label"]).mean())


def kpredict(model: Any, x: Any) -> np.ndarray:
    """A Keras model's output as NumPy, called directly (much faster than ``model.predict`` on small data)."""
    import keras

    return keras.ops.convert_to_numpy(model(x, training=False))


def keras_params(model: Any) -> int:
    """Trained (trainable) parameters of a Keras model."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def case(r: Interval) -> str:
    """The verdict of an interval as a word the prose's alternatives choose by: ``mejor`` (wholly
    above its threshold), ``peor`` (wholly below), ``ninguno`` (contains it) or ``sin_juzgar``
    (no interval: one seed, or values that do not vary; ``r.text()`` says why)."""
    if r.low is None or r.high is None:
        return "sin_juzgar"
    return r.verdict("mejor", "peor", "ninguno")


def compare_all(comparisons: Mapping[str, tuple]) -> dict[str, Interval]:
    """A family ``{name: (a, b[, threshold])}``, each mean(a) − mean(b) paired by seed, judged
    together with Holm (Student's t interval, n − 1 degrees of freedom, at the level Holm judged
    each one) against ``threshold`` (0 unless given). Records for the prose, per comparison:
    ``name`` (the difference), ``name_ic`` (its interval, Spanish text), ``name_caso`` (the verdict
    word of :func:`case`), and, to describe the seeds without judging, ``name_mayor`` (seeds where
    a − b exceeds the threshold) and ``name_n`` (seeds). Returns the intervals."""
    thresholds = {name: float(c[2]) if len(c) > 2 else 0.0 for name, c in comparisons.items()}
    family = compare_family(
        {
            name: (np.asarray(c[0], dtype=float) - thresholds[name], np.asarray(c[1], dtype=float))
            for name, c in comparisons.items()
        }
    )
    out = {}
    for name, (a, b, *_) in comparisons.items():
        r, t = family[name], thresholds[name]
        if t:  # the family measured (a − t) − b against 0; the prose shows a − b against t
            r = replace(
                r,
                estimate=r.estimate + t,
                threshold=t,
                low=None if r.low is None else r.low + t,
                high=None if r.high is None else r.high + t,
            )
        difference = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
        record_metric(name, r.estimate)
        record_metric(f"{name}_ic", r.text())
        record_metric(f"{name}_caso", case(r))
        glue(f"{name}_mayor", int((difference > t).sum()))
        glue(f"{name}_n", len(difference))
        out[name] = r
    return out


def record_family(name: str, family: Mapping[str, Interval]) -> None:
    """How Holm judges ``family``, for the prose: ``name_k`` (comparisons), ``name_n`` (seeds),
    ``name_gl`` (degrees of freedom), ``name_nivel`` (the level of the strictest comparison, the one
    of smallest p-value), ``name_t`` and ``name_t95`` (the t critical values at that level and at
    95 %), and ``name_caso``: ``varias_semillas``, or ``una_semilla`` (then nothing is judged and
    the level and critical values are not recorded)."""
    first = next(iter(family.values()))
    k, n = first.family, first.n
    glue(f"{name}_k", k)
    glue(f"{name}_n", n)
    glue(f"{name}_caso", "varias_semillas" if n >= 2 else "una_semilla")
    if n < 2:
        return
    glue(f"{name}_gl", n - 1)
    glue(f"{name}_nivel", 1 - 0.05 / k)
    glue(f"{name}_t", float(stats.t.ppf(1 - 0.025 / k, n - 1)))
    glue(f"{name}_t95", float(stats.t.ppf(0.975, n - 1)))
