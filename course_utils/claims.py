"""Claims: a comparison stated in a notebook's prose, judged with an interval.

A claim says that a quantity (the mean of per-seed values, or the mean difference between
two sets of them) stands in a relation to a threshold, for example "late fusion beats early
fusion": mean(late − early) > 0. It *holds* only when the whole bootstrap confidence interval
of that quantity lies on the claimed side, so a lucky seed cannot make it true.
:func:`course_utils.report.record_claim` records claims; ``course run`` judges them in full mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

RELATIONS = (">", ">=", "<", "<=")
DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 4000


@dataclass(frozen=True)
class Claim:
    """A claim and the evidence it was judged with (what the metrics file stores)."""

    name: str
    description: str
    relation: str
    threshold: float
    estimate: float
    low: float | None  # None: fewer than 2 values, no interval (a FAST run with one seed)
    high: float | None
    n: int
    confidence: float
    paired: bool

    @property
    def held(self) -> bool:
        """True when the whole interval lies on the claimed side of the threshold."""
        if self.low is None or self.high is None:
            holds(self.relation, 0.0, 0.0, self.threshold)  # still rejects an unknown relation
            return False
        return holds(self.relation, self.low, self.high, self.threshold)

    @property
    def verdict(self) -> str:
        """Spanish verdict for prose: ``se cumple``, ``no se cumple`` or, without an interval
        (one seed), ``sin juzgar``."""
        if self.low is None:
            return "sin juzgar (una sola semilla)"
        return "se cumple" if self.held else "no se cumple"

    @property
    def interval(self) -> str:
        """The interval as prose shows it (``{claim.interval}`` in a template)."""
        return self.interval_text()

    def interval_text(self, digits: int = 3) -> str:
        """The interval in Spanish, e.g. ``IC 95 % [0.012, 0.048]``."""
        if self.low is None or self.high is None:
            return "sin intervalo (hace falta más de un valor)"
        return f"IC {self.confidence:.0%} [{self.low:.{digits}f}, {self.high:.{digits}f}]".replace("%", " %")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


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
    raise ValueError(f"relation must be one of {RELATIONS}, not {relation!r}")


def verdict(low: float | None, high: float | None, better: str, worse: str, neither: str = "sin efecto medible") -> str:
    """Spanish word for a difference's interval: ``better`` only when it lies wholly above 0,
    ``worse`` wholly below, ``neither`` when it contains 0; without an interval (one seed)
    ``sin juzgar (una sola semilla)``. The one rule the notebooks' prose follows."""
    if low is None or high is None:
        return "sin juzgar (una sola semilla)"
    return better if holds(">", low, high, 0.0) else worse if holds("<", low, high, 0.0) else neither


def _as_values(values: Sequence[float], label: str) -> np.ndarray:
    array = np.asarray([float(v.item() if hasattr(v, "item") else v) for v in values], dtype=float).ravel()
    if array.size == 0:
        raise ValueError(f"{label}: no hay ningún valor.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{label}: hay valores NaN o infinitos.")
    return array


def bootstrap_interval(
    values_a: Sequence[float],
    values_b: Sequence[float] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    paired: bool | None = None,
) -> tuple[float, float | None, float | None, bool]:
    """Estimate and percentile-bootstrap interval of mean(a), or of mean(a) − mean(b).

    With ``values_b`` of the same length the differences are paired (seed by seed) unless
    ``paired=False``; otherwise the two sets are resampled independently. Seeded, so the same
    values always give the same interval. A side with a single value (one seed) gives no
    interval: ``low`` and ``high`` are None. Returns ``(estimate, low, high, paired)``.
    """
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be in [0.5, 1), not {confidence}")
    a = _as_values(values_a, "values_a")
    b = None if values_b is None else _as_values(values_b, "values_b")
    if b is not None:
        paired = (a.size == b.size) if paired is None else paired
    if min(a.size, a.size if b is None else b.size) < 2:
        return float(a.mean() - (0.0 if b is None else b.mean())), None, None, bool(paired)
    rng = np.random.default_rng(seed)
    if b is None:
        paired = False
        stats = a[rng.integers(0, a.size, (resamples, a.size))].mean(axis=1)
        estimate = float(a.mean())
    else:
        if paired:
            if a.size != b.size:
                raise ValueError(f"paired values need the same length ({a.size} and {b.size})")
            samples = a - b
            stats = samples[rng.integers(0, samples.size, (resamples, samples.size))].mean(axis=1)
        else:
            stats = a[rng.integers(0, a.size, (resamples, a.size))].mean(axis=1) - b[
                rng.integers(0, b.size, (resamples, b.size))
            ].mean(axis=1)
        estimate = float(a.mean() - b.mean())
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail])
    return estimate, float(low), float(high), bool(paired)
