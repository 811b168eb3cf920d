"""The evaluator without a kernel, for authors and the test suite: the same requests, the same
JSON round trip and the same hidden tests, served from a namespace in this process.

Never used to grade: it trusts nothing less, but a student's code here would run with the
grader's rights. Grading always goes through :class:`.execute.ExecuteThenEvaluate`.
"""

from __future__ import annotations

import json

from . import kernel_side
from .hidden import Verdict, judge, split_hidden
from .proxy import Session


def local_session(namespace: dict) -> Session:
    """A :class:`.proxy.Session` whose requests are served from ``namespace`` (each request and
    answer goes through JSON text, exactly as over the kernel's messages)."""

    def channel(request: dict) -> dict:
        previous, kernel_side._override = kernel_side._override, namespace
        try:
            answer = kernel_side.handle(json.loads(json.dumps(request, allow_nan=False)))
        finally:
            kernel_side._override = previous
        return json.loads(json.dumps(answer))

    return Session(channel)


def judge_cell(
    test_cell_source: str, namespace: dict, grade_id: str = "celda", points: float = 1.0, seed: int | None = None
) -> Verdict:
    """The evaluator's verdict on a graded test cell's hidden block against ``namespace``
    (``seed``: the hidden test's ``student.rng`` fixed, to reproduce a verdict; default secret)."""
    _, hidden = split_hidden(test_cell_source)
    return judge(grade_id, points, hidden, local_session(namespace), seed)
