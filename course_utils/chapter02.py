"""Chapter 02's experiment bookkeeping, kept out of the notebook so that it shows the lesson.

Chapter 02 (``02_estrategias_fusion``) trains a dozen fusion strategies on several seeds and
judges their differences as Holm families. The lesson is the strategies; this module holds what
only keeps the books:

- :class:`Trained`: one trained model as the comparison table needs it (a function from a split's
  dict of modalities to probabilities, its trained parameters, its training time);
- :func:`accuracy`, :func:`kpredict`, :func:`keras_params`: evaluate and count a model;
- :func:`compare_all`: a family of paired per-seed differences judged together with Holm
  (:func:`course_utils.claims.compare_family`), each recorded for the prose as ``name`` (the
  difference), ``name_ic`` (its interval), ``name_veredicto`` (the verdict the interval gives) and
  ``name_semillas`` (how each seed came out, a description);
- :func:`seeds_text` and :func:`family_note`: the descriptions those records carry.

Nothing here is a graded exercise or its answer. Texts are Spanish (they reach the notebook's
prose through its placeholders); numbers are written by :func:`course_utils.prose.number`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from .claims import Interval, compare_family, confidence_text
from .prose import number
from .report import record_metric


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


def seeds_text(a: Any, b: Any, threshold: float = 0.0) -> str:
    """How the difference a − b came out seed by seed: a description, not a verdict."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    above, below, ref = int((d > threshold).sum()), int((d < threshold).sum()), number(threshold, "g")
    if above == len(d):
        return f"la diferencia es mayor que {ref} en las {len(d)} semillas"
    if below == len(d):
        return f"la diferencia es menor que {ref} en las {len(d)} semillas"
    if above == 0:
        return f"la diferencia no es mayor que {ref} en ninguna de las {len(d)} semillas"
    return f"la diferencia es mayor que {ref} en {above} de las {len(d)} semillas"


def compare_all(comparisons: Mapping[str, tuple]) -> dict[str, Interval]:
    """A family ``{name: (a, b, better, worse[, threshold])}``, each mean(a) − mean(b) paired by seed,
    judged together with Holm (Student's t interval, n − 1 degrees of freedom, at the level Holm
    judged each one). Records for the prose the difference (``name``), its interval (``name_ic``)
    and the verdict that interval gives (``name_veredicto``): ``better`` or ``worse`` only when it
    excludes the threshold (0 unless given); otherwise "sin efecto medible" (or "no se distingue
    de <threshold>") and, in brackets, how each seed came out (also in ``name_semillas``).
    Returns the intervals."""
    thresholds = {name: float(c[4]) if len(c) > 4 else 0.0 for name, c in comparisons.items()}
    family = compare_family(
        {
            name: (np.asarray(c[0], dtype=float) - thresholds[name], np.asarray(c[1], dtype=float))
            for name, c in comparisons.items()
        }
    )
    out = {}
    for name, (a, b, better, worse, *_) in comparisons.items():
        r, t = family[name], thresholds[name]
        if t:  # the family measured (a − t) − b against 0; the text shows a − b against t
            r = replace(
                r,
                estimate=r.estimate + t,
                threshold=t,
                low=None if r.low is None else r.low + t,
                high=None if r.high is None else r.high + t,
            )
        word = r.verdict(better, worse, f"no se distingue de {number(t, 'g')}" if t else "sin efecto medible")
        if r.low is not None and r.high is not None and r.low <= t <= r.high:
            word += f" ({seeds_text(a, b, t)})"
        record_metric(name, r.estimate)
        record_metric(f"{name}_ic", r.text())
        record_metric(f"{name}_veredicto", word)
        record_metric(f"{name}_semillas", f" ({seeds_text(a, b, t)})" if r.n > 1 else "")
        out[name] = r
    return out


def family_note(family: Mapping[str, Interval]) -> str:
    """How Holm judges a family: how many comparisons, the strictest level and its critical value."""
    first = next(iter(family.values()))
    k, n = first.family, first.n
    if n < 2:
        return f"{k} comparaciones; con una sola semilla no se juzga ninguna"
    level = 1 - 0.05 / k
    strict, plain = stats.t.ppf(1 - 0.025 / k, n - 1), stats.t.ppf(0.975, n - 1)
    return (
        f"{k} comparaciones; con {n} semillas, la de menor valor p se juzga al {confidence_text(level)}, con un valor "
        f"crítico de la t con {n - 1} grados de libertad de {number(strict, '.1f')} (al 95 % sería "
        f"{number(plain, '.2f')})"
    )
