"""Metrics, tables and claims a notebook records for the course report.

Inside a notebook, ``record_metric(name, value)`` keeps the value and, when the notebook runs
under ``course run``, appends it to the JSON-lines file named by ``$COURSE_METRICS_FILE``.
``record_claim`` states a comparison with its interval (``course run`` judges it in full mode);
``glue(name, value)`` keeps a value (a number or a short text) that only the prose quotes. None
of them prints anything: a student's kernel shows the lesson's outputs, not bookkeeping; the run's
metrics file and report get everything.

The prose quotes these values from Markdown cells, through placeholders that ``course run``
fills in the executed copy (:mod:`course_utils.prose`, ``docs/claims.md``), so the text cannot
contradict the run; a sentence that depends on a result is a Markdown list of its cases, the
code glues which one holds. The report itself is built by the instructor's tools
(:mod:`course_utils.tools.report_builder`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from .claims import DEFAULT_CONFIDENCE, RELATIONS, Claim, bootstrap_interval
from .prose import table_markdown

METRICS_ENV = "COURSE_METRICS_FILE"

_recorded: dict[str, float | str] = {}


def _append(item: dict[str, Any]) -> None:
    """Append one record to the metrics file of ``course run`` (nothing outside it)."""
    target = os.environ.get(METRICS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")


def record_metric(name: str, value: Any) -> None:
    """Record a key number of a notebook so that it reaches the course report.

    ``value`` may be a number (stored as float) or a short string.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("record_metric: el nombre debe ser un texto no vacío")
    stored: float | str
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        stored = float(value.item() if hasattr(value, "item") else value)
    else:
        stored = str(value)
    _recorded[name] = stored
    _append({"name": name, "value": stored})


def glue(name: str, value: Any) -> None:
    """Keep a value that the prose quotes but the report need not list (a count, a name, the case
    of a sentence that holds): a Markdown placeholder ``[(al ejecutar)](#=name)`` shows it, or a
    list of alternatives ``[…](#?name=value)`` chooses by it, in the executed copy. Numbers are stored as floats (ints stay ints), anything else as text.
    Prints nothing."""
    if not isinstance(name, str) or not name:
        raise ValueError("glue: el nombre debe ser un texto no vacío")
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    stored = value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    _append({"name": name, "glue": stored})


def record_table(name: str, table: Any) -> None:
    """Record a results table (a pandas DataFrame, its numbers written as the prose writes them,
    or Markdown text) for the course report."""
    if not isinstance(name, str) or not name:
        raise ValueError("record_table: el nombre debe ser un texto no vacío")
    markdown = table_markdown(table, ".4g") if hasattr(table, "to_markdown") else str(table)
    _append({"name": name, "table": markdown})


def record_claim(
    name: str,
    description: str,
    values_a: Sequence[float],
    values_b: Sequence[float] | None = None,
    relation: str = ">",
    threshold: float = 0.0,
    confidence: float = DEFAULT_CONFIDENCE,
    paired: bool | None = None,
    seed: int = 0,
    bounds: tuple[float, float] | None = None,
) -> Claim:
    """Declare a claim of the prose and the evidence that judges it.

    The claimed quantity is mean(``values_a``), or mean(``values_a``) − mean(``values_b``)
    (paired seed by seed when both have the same length), e.g. one accuracy per seed for two
    models. The claim holds when its whole ``confidence`` interval — Student's t on the (paired)
    per-seed values, n − 1 degrees of freedom (:mod:`.claims`) — lies on the ``relation`` side
    (``>``, ``>=``, ``<``, ``<=``) of ``threshold``. It is written to the metrics file (nothing is
    printed); ``course run`` fails in full mode when it does not hold and lists it as not judged in
    FAST mode. The prose quotes it by its attributes (``#=name.estimate:+.3f``, ``.interval``,
    ``.verdict``, ``.threshold``). With a single value per side (FAST mode runs
    one seed) there is no interval: the claim is recorded, and full mode counts it as not held.
    ``bounds``: the range each value can take (an accuracy: ``(0, 1)``), to which the interval is
    cut (:func:`.claims.interval`). Returns the :class:`Claim`.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("record_claim: el nombre debe ser un texto no vacío")
    if relation not in RELATIONS:
        raise ValueError(f"record_claim: la relación debe ser una de {RELATIONS}, no {relation!r}")
    estimate, low, high, paired = bootstrap_interval(
        values_a, values_b, confidence, seed=seed, paired=paired, bounds=bounds
    )
    claim = Claim(
        name=name,
        description=description,
        relation=relation,
        threshold=float(threshold),
        estimate=estimate,
        low=low,
        high=high,
        n=len(values_a),
        confidence=confidence,
        paired=paired,
    )
    _append({"name": name, "claim": claim.to_dict()})
    return claim


def recorded_metrics() -> dict[str, float | str]:
    """Metrics recorded in this process so far (a copy)."""
    return dict(_recorded)
