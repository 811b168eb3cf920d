"""Claims: a comparison stated in a notebook's prose, judged with an interval.

A claim says that a quantity (the mean of per-seed values, or the mean difference between two
sets of them) stands in a relation to a threshold, e.g. "late fusion beats early fusion":
mean(late − early) > 0. It *holds* only when the whole 95 % interval lies on the claimed side.
:func:`course_utils.report.record_claim` records claims; ``course run`` judges them in full mode.

**Method: Student's t interval** (``scipy.stats.ttest_1samp`` on the paired seed differences,
n − 1 degrees of freedom; Welch's ``ttest_ind`` when the two sets are not paired). Chosen by
simulation (``docs/claims.md``, ``tests/test_claims_coverage.py``): with no true effect it
gives a verdict in 5 % of normal data sets at every n (measured 4–6 %, within Monte-Carlo error,
for n = 3, 5, 8, 16), while the percentile bootstrap used before did in 24 %, 16 %, 10 % and 8 %:
with 3 values it is just [min, max]. An exact sign-flip test (``scipy.stats.permutation_test``)
needs no normality, but its smallest two-sided p is 2/2ⁿ (0.25 with 3 seeds, 0.0625 with 5): it
can never give a verdict below 6 seeds, and from 8 on it has the t test's power. Measured
limits: heavy tails make the t interval conservative (4 %); strongly skewed seed differences
(centred exponential) raise its rate to 10–12 % at 3–8 seeds — the sign-flip test's too, and no
method can do better with 3 values without assuming a shape.

**Bounded quantities.** An accuracy's mean cannot leave [0, 1], but a t interval near 1 can
(0,985 over 3 seeds gave [0,918; 1,051]): ``interval(…, bounds=(0, 1))`` cuts the interval to
the range the quantity can take. The true mean lies inside, so coverage cannot fall.

**Refusals.** No verdict ("sin juzgar", never "no se cumple" in disguise) with one value, or
when all values are identical (the seeds do not move the quantity, so they cannot measure its
uncertainty). **Families.** :func:`holm` adjusts p-values (Holm's step-down; not in scipy) and
:func:`compare_family` gives each comparison of a family the interval at the level Holm tested
it with, so interval and verdict agree and the chance of any false verdict stays ≤ 5 %.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from .prose import NNBSP, number

RELATIONS = (">", ">=", "<", "<=")
DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 4000  # kept for callers of bootstrap_interval; the t interval does not resample
METHOD = "t"  # Student's t (paired / one sample) or Welch's t (two unpaired sets)
LEGACY_METHOD = "bootstrap percentil"  # what claims recorded before the t interval were judged with
ONE_VALUE = "una sola semilla"
NO_SPREAD = "valores idénticos: sin variación entre semillas no se puede medir la incertidumbre"
NO_INTERVAL = "los valores no varían, o un lado tiene uno solo"


def confidence_text(confidence: float) -> str:
    """``95 %``, or ``99,6 %`` for a level that is not a whole percentage (Holm), written by
    :func:`course_utils.prose.number` (decimal comma, narrow no-break space before ``%``)."""
    pct = 100 * confidence
    return number(pct, ".0f" if abs(pct - round(pct)) < 0.05 else ".1f") + NNBSP + "%"


def bounds_text(low: float, high: float, digits: int = 3) -> str:
    """``[0,012; 0,048]``: Spanish numbers, so the two bounds are separated by a semicolon."""
    return f"[{number(low, f'.{digits}f')}; {number(high, f'.{digits}f')}]"


@dataclass(frozen=True)
class Claim:
    """A claim and the evidence it was judged with (what the metrics file stores)."""

    name: str
    description: str
    relation: str
    threshold: float
    estimate: float
    low: float | None  # None: no interval (one seed in a FAST run, or values that do not vary)
    high: float | None
    n: int
    confidence: float
    paired: bool
    method: str = METHOD

    @property
    def held(self) -> bool:
        """True when the whole interval lies on the claimed side of the threshold."""
        if self.low is None or self.high is None:
            holds(self.relation, 0.0, 0.0, self.threshold)  # still rejects an unknown relation
            return False
        return holds(self.relation, self.low, self.high, self.threshold)

    @property
    def verdict(self) -> str:
        """Spanish verdict for prose: ``se cumple``, ``no se cumple`` or, without an interval,
        ``sin juzgar (…)`` with the reason."""
        if self.low is None:
            reason = ONE_VALUE if self.n <= 1 else NO_INTERVAL
            return f"sin juzgar ({reason})"
        return "se cumple" if self.held else "no se cumple"

    @property
    def interval(self) -> str:
        """The interval as prose shows it (``{claim.interval}`` in a template)."""
        return self.interval_text()

    def interval_text(self, digits: int = 3) -> str:
        """The interval in Spanish, e.g. ``IC 95 % [0,012; 0,048]``."""
        if self.low is None or self.high is None:
            return "sin intervalo (" + ("hace falta más de un valor" if self.n <= 1 else NO_INTERVAL) + ")"
        return f"IC {confidence_text(self.confidence)} {bounds_text(self.low, self.high, digits)}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        """Read a stored claim; one stored before the ``method`` field was judged by the old bootstrap."""
        return cls(
            **{k: data[k] for k in cls.__dataclass_fields__ if k in data}
            | {"method": data.get("method", LEGACY_METHOD)}
        )


@dataclass(frozen=True)
class Interval:
    """Estimate, t interval and two-sided p-value (against ``threshold``) of one comparison."""

    estimate: float
    low: float | None  # None: refused, see ``reason``
    high: float | None
    p_value: float | None
    n: int  # values in the first set (pairs when paired)
    paired: bool
    confidence: float
    threshold: float = 0.0
    reason: str | None = None  # why there is no interval (Spanish)
    family: int = 1  # comparisons in its Holm family
    p_holm: float | None = None

    def verdict(self, better: str, worse: str, neither: str = "sin efecto medible") -> str:
        """``better`` only when the interval lies wholly above the threshold, ``worse`` wholly below."""
        return verdict(self.low, self.high, better, worse, neither, threshold=self.threshold, reason=self.reason)

    def summary(self, digits: int = 3, signed: bool = False) -> str:
        """The estimate then :meth:`text`, e.g. ``0,811; IC 95 % [0,757; 0,865]`` (``+0,811`` when
        ``signed``: a difference)."""
        spec = ("+" if signed else "") + f".{digits}f"
        return f"{number(self.estimate, spec)}; {self.text(digits)}"

    def text(self, digits: int = 3) -> str:
        """E.g. ``IC 95 % [0,012; 0,048]``; ``… (Holm, 14 comparaciones)`` inside a family."""
        if self.low is None or self.high is None:
            return f"sin intervalo ({self.reason})"
        family = f" (Holm, {self.family} comparaciones)" if self.family > 1 else ""
        return f"IC {confidence_text(self.confidence)} {bounds_text(self.low, self.high, digits)}{family}"


def holds(relation: str, low: float, high: float, threshold: float) -> bool:
    """Whether the interval ``[low, high]`` lies entirely on the ``relation`` side of ``threshold``."""
    if relation == ">":
        return low > threshold
    if relation == ">=":
        return low >= threshold
    if relation == "<":
        return high < threshold
    if relation == "<=":
        return high <= threshold
    raise ValueError(f"la relación debe ser una de {RELATIONS}, no {relation!r}")


def verdict(
    low: float | None,
    high: float | None,
    better: str,
    worse: str,
    neither: str = "sin efecto medible",
    *,
    threshold: float = 0.0,
    reason: str | None = None,
) -> str:
    """Spanish word for a difference's interval: ``better`` only when it lies wholly above
    ``threshold`` (0), ``worse`` wholly below, ``neither`` when it contains it; without an
    interval ``sin juzgar (<reason>)``, by default ``sin juzgar (una sola semilla)``."""
    if low is None or high is None:
        return f"sin juzgar ({reason or ONE_VALUE})"
    if holds(">", low, high, threshold):
        return better
    return worse if holds("<", low, high, threshold) else neither


def _as_values(values: Sequence[float], label: str) -> np.ndarray:
    array = np.asarray([float(v.item() if hasattr(v, "item") else v) for v in values], dtype=float).ravel()
    if array.size == 0:
        raise ValueError(f"{label}: no hay ningún valor.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{label}: hay valores NaN o infinitos.")
    return array


def _no_spread(x: np.ndarray) -> np.ndarray:
    """Rows whose values are all equal (up to rounding of differences such as 0.9 − 0.8)."""
    return np.ptp(x, axis=-1) <= 1e-12 * np.maximum(1.0, np.abs(x).max(axis=-1))


def intervals(
    values_a: np.ndarray,
    values_b: np.ndarray | None = None,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    paired: bool = True,
    threshold: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised core: the last axis holds one data set's values (seeds), earlier axes many data
    sets. Returns ``(estimate, low, high, p_value)`` arrays; NaN where no interval is given."""
    if not 0.5 <= confidence < 1:
        raise ValueError(f"la confianza debe estar en [0.5, 1), no {confidence}")
    a = np.asarray(values_a, dtype=float)
    b = None if values_b is None else np.asarray(values_b, dtype=float)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without spread: masked below
        if b is None or paired:
            d = a if b is None else a - b
            result = stats.ttest_1samp(d, threshold, axis=-1)  # its interval is of mean(d) itself
            estimate, refused, shift = d.mean(axis=-1), _no_spread(d) | (d.shape[-1] < 2), 0.0
        else:  # Welch: its interval is of mean(a) − mean(b + threshold), hence the shift back
            result = stats.ttest_ind(a, b + threshold, axis=-1, equal_var=False)
            estimate, shift = a.mean(axis=-1) - b.mean(axis=-1), threshold
            refused = (_no_spread(a) & _no_spread(b)) | (min(a.shape[-1], b.shape[-1]) < 2)
        ci = result.confidence_interval(confidence)
        low, high = ci.low + shift, ci.high + shift
    nan = np.full(np.shape(estimate), np.nan)
    low, high, p = (np.where(refused, nan, x) for x in (low, high, result.pvalue))
    return np.asarray(estimate), low, high, p


def interval(
    values_a: Sequence[float],
    values_b: Sequence[float] | None = None,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    paired: bool | None = None,
    threshold: float = 0.0,
    bounds: tuple[float, float] | None = None,
) -> Interval:
    """t interval of mean(a), or of mean(a) − mean(b): paired seed by seed when both have the same
    length (unless ``paired=False``), Welch otherwise. Refuses (``low`` None, ``reason`` in
    Spanish) with one value, or with values that do not vary. ``bounds``: the range each value
    can take (an accuracy: ``(0, 1)``); the interval is cut to the range its mean can take
    (``bounds``, or ``(lo − hi, hi − lo)`` for a difference)."""
    if not 0.5 <= confidence < 1:
        raise ValueError(f"la confianza debe estar en [0.5, 1), no {confidence}")
    a = _as_values(values_a, "values_a")
    b = None if values_b is None else _as_values(values_b, "values_b")
    if bounds is not None:
        lo, hi = bounds
        for label, x in (("values_a", a), ("values_b", b)):
            if x is not None and (x.min() < lo or x.max() > hi):
                raise ValueError(f"{label}: hay valores fuera del rango declarado [{lo}, {hi}]")
        bounds = (lo, hi) if b is None else (lo - hi, hi - lo)
    if b is None:
        paired = False
    else:
        paired = (a.size == b.size) if paired is None else bool(paired)
        if paired and a.size != b.size:
            raise ValueError(f"los valores emparejados necesitan la misma longitud ({a.size} y {b.size})")
    estimate = float(a.mean() - (0.0 if b is None else b.mean()))
    common = dict(estimate=estimate, n=int(a.size), paired=paired, confidence=confidence, threshold=float(threshold))
    sizes = (a.size,) if b is None or paired else (a.size, b.size)
    if min(sizes) < 2:
        reason = ONE_VALUE if max(sizes) < 2 else "un solo valor en un lado"
        return Interval(low=None, high=None, p_value=None, reason=reason, **common)
    _, low, high, p = intervals(a, b, confidence=confidence, paired=paired or b is None, threshold=threshold)
    if math.isnan(float(low)):
        return Interval(low=None, high=None, p_value=None, reason=NO_SPREAD, **common)
    if bounds is not None:
        low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    return Interval(low=float(low), high=float(high), p_value=float(p), **common)


def bootstrap_interval(
    values_a: Sequence[float],
    values_b: Sequence[float] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    paired: bool | None = None,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float | None, float | None, bool]:
    """Kept for the notebooks that call it: the t interval of :func:`interval` (the name is
    historical; ``resamples`` and ``seed`` are ignored). Returns ``(estimate, low, high, paired)``."""
    result = interval(values_a, values_b, confidence=confidence, paired=paired, bounds=bounds)
    return result.estimate, result.low, result.high, result.paired


def holm(p_values: Sequence[float] | np.ndarray, axis: int = -1) -> np.ndarray:
    """Holm's step-down adjusted p-values along ``axis`` (a family per slice; NaN counts as 1)."""
    p = np.moveaxis(np.nan_to_num(np.asarray(p_values, dtype=float), nan=1.0), axis, -1)
    m = p.shape[-1]
    order = np.argsort(p, axis=-1)
    ranked = np.take_along_axis(p, order, axis=-1) * (m - np.arange(m))
    adjusted = np.empty_like(p)
    np.put_along_axis(adjusted, order, np.minimum(1.0, np.maximum.accumulate(ranked, axis=-1)), axis=-1)
    return np.moveaxis(adjusted, -1, axis)


def holm_confidences(p_values: Sequence[float], confidence: float = DEFAULT_CONFIDENCE) -> list[float]:
    """Per comparison, the confidence level Holm tested it at: ranked by p, step k uses α/(m − k)
    until the first p that fails; that one and all after it share its level. The interval at
    that level excludes the null exactly when Holm rejects it."""
    alpha, p = 1 - confidence, np.nan_to_num(np.asarray(p_values, dtype=float), nan=1.0)
    m, levels, step = p.size, [0.0] * p.size, 0
    for k, i in enumerate(np.argsort(p, kind="stable")):
        if step == k and p[i] < alpha / (m - k):
            step = k + 1
        levels[i] = 1 - alpha / (m - min(k, step))
    return levels


def compare_family(
    comparisons: Mapping[str, tuple[Sequence[float], Sequence[float] | None]],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    paired: bool | None = None,
    threshold: float = 0.0,
) -> dict[str, Interval]:
    """A family of comparisons (name → ``(values_a, values_b)``) under Holm's control: each
    interval at the level Holm tested it with (:func:`holm_confidences`), with ``p_holm``.
    Pass ``confidence=result.confidence`` to ``record_claim`` to judge a claim of the family."""
    first = {
        name: interval(a, b, confidence=confidence, paired=paired, threshold=threshold)
        for name, (a, b) in comparisons.items()
    }
    p = [np.nan if r.p_value is None else r.p_value for r in first.values()]
    adjusted, levels = holm(p), holm_confidences(p, confidence)
    family: dict[str, Interval] = {}
    for (name, (a, b)), level, p_holm, r in zip(comparisons.items(), levels, adjusted, first.values()):
        leveled = interval(a, b, confidence=level, paired=paired, threshold=threshold)
        family[name] = replace(leveled, family=len(first), p_holm=None if r.p_value is None else float(p_holm))
    return family
