"""Metrics and tables a notebook records for the course report.

Inside a notebook, ``record_metric(name, value)`` prints the value and, when the notebook
runs under ``course run``, appends it to the JSON-lines file named by ``$COURSE_METRICS_FILE``.
The report itself is built by the instructor's tools (:mod:`course_utils.tools.report_builder`).
"""
from __future__ import annotations

import json
import os
from typing import Any

METRICS_ENV = "COURSE_METRICS_FILE"

_recorded: dict[str, float | str] = {}


def record_metric(name: str, value: Any) -> None:
    """Record a key number of a notebook so that it reaches the course report.

    ``value`` may be a number (stored as float) or a short string.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("record_metric: name must be a non-empty string")
    stored: float | str
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        stored = float(value.item() if hasattr(value, "item") else value)
    else:
        stored = str(value)
    _recorded[name] = stored
    target = os.environ.get(METRICS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"name": name, "value": stored}) + "\n")
    shown = f"{stored:.4g}" if isinstance(stored, float) else stored
    print(f"[métrica] {name} = {shown}")


def record_table(name: str, table: Any) -> None:
    """Record a results table (a pandas DataFrame or Markdown text) for the course report."""
    if not isinstance(name, str) or not name:
        raise ValueError("record_table: name must be a non-empty string")
    markdown = table.to_markdown(index=False) if hasattr(table, "to_markdown") else str(table)
    target = os.environ.get(METRICS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"name": name, "table": markdown}) + "\n")


def recorded_metrics() -> dict[str, float | str]:
    """Metrics recorded in this process so far (a copy)."""
    return dict(_recorded)
