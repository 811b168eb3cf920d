"""The wrong-answer corpus: plausible mistakes and correct-but-different answers for every
graded exercise, graded through the real path (``tests/test_grading_roundtrip.py``: the
release filled in, the sandboxed kernel, the trusted evaluator, nbgrader's gradebook).

One module per chapter (``chNN.py``) defines ``WRONG`` and ``VARIANTS``:

- ``WRONG[solution grade id]``: a list of :class:`Wrong` — the mistake's source (a whole
  solution cell, as a student would write it), the points it must lose (default: all of the
  exercise's), and, where the visible tests are meant to catch it, the Spanish words their
  message must contain.
- ``VARIANTS[solution grade id]``: sources of correct answers written differently from the
  solution (another algorithm, another dtype path…) that must keep every point.

The round trip grades student ``error_i`` with the i-th wrong answer of every exercise (the
published solution where an exercise has fewer) and student ``variante_j`` likewise, so a
chapter with at most k mistakes per exercise costs k + (variants) submissions.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Wrong:
    """A plausible wrong answer: ``name`` says the mistake (Spanish or English, for the report)."""

    name: str
    source: str
    loses: float | None = None  # points it must lose; None: all of the exercise's
    visible: tuple[str, ...] = field(default_factory=tuple)  # words the visible test's message must contain


def corpus(chapter: str) -> tuple[dict[str, list[Wrong]], dict[str, list[str]]]:
    """``(WRONG, VARIANTS)`` of ``chapter`` (empty when its module does not exist yet)."""
    try:
        module = importlib.import_module(f"wrong_answers.ch{chapter[:2]}")
    except ModuleNotFoundError:
        return {}, {}
    return dict(module.WRONG), dict(getattr(module, "VARIANTS", {}))


def students(chapter: str, solutions: dict[str, str]) -> dict[str, dict[str, str]]:
    """Student name → answers (solution grade id → source) for the corpus of ``chapter``."""
    wrong, variants = corpus(chapter)
    out = {}
    for i in range(max((len(v) for v in wrong.values()), default=0)):
        out[f"error_{i + 1}"] = {g: (w[i].source if i < len(w) else solutions[g]) for g, w in wrong.items()}
    for j in range(max((len(v) for v in variants.values()), default=0)):
        out[f"variante_{j + 1}"] = {g: (v[j] if j < len(v) else solutions[g]) for g, v in variants.items()}
    return out
