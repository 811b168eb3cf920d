"""Hidden tests in the trusted process: cut out of the cells the kernel runs, compiled here,
called with the ``student`` proxy.

A graded test cell's hidden block (between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
TESTS``) defines ``pruebas_ocultas(student)``. It runs in a namespace that already holds
:data:`PRELUDE`'s names (``math``, ``np``, ``torch``, ``nn``, ``F``, the ``check_*`` helpers,
``fetch``, ``gradients``, ``own_work``, ``type_names``); the block may import more. The cell
earns its points when the function returns, none when it raises — the exception's message (in
Spanish) is what the student reads. An exception that neither a check nor the student's code
raised (a ``TypeError`` in the test's own lines, a hidden test with a bug, or one that did not
foresee what the student's code returned) still gives 0, but marks the verdict ``test_error``:
the evaluator then asks for a manual review and the points are held, so a bug of the course
never silently costs a student marks. Inputs a student could learn in advance (from an earlier
verdict message) are drawn from ``student.rng``, secret to each grading.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from .proxy import Session, Student, StudentError, is_from_student

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_NOTE = "# (aquí van pruebas ocultas: las ejecuta el evaluador, fuera de tu notebook)"
ENTRY = "pruebas_ocultas"
PRELUDE = """
import math
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from course_utils.checks import *
from course_utils.tools.grading.evaluator.proxy import fetch, gradients, own_work, type_names, StudentError
"""


class HiddenTestError(RuntimeError):
    """A hidden block that is not in the evaluator's form (the course's mistake, not the student's)."""


@dataclass
class Verdict:
    """The evaluator's decision on one graded cell."""

    grade_id: str
    points: float
    max_points: float
    message: str  # Spanish; empty when every check passed
    requests: int = 0
    seconds: float = 0.0
    test_error: str = ""  # the hidden test's own exception (not a check, not the student's): review
    seed: int | None = None  # the secret of student.rng in this grading (the teacher's log keeps it)

    @property
    def passed(self) -> bool:
        return self.points == self.max_points


def split_hidden(source: str) -> tuple[str, str]:
    """``(what the kernel runs, the hidden block)`` of a test cell's source; the hidden block is
    replaced by :data:`HIDDEN_NOTE`."""
    kept, hidden, inside = [], [], False
    for line in source.split("\n"):
        if line.strip() == BEGIN and not inside:
            inside = True
            kept.append(HIDDEN_NOTE)
        elif line.strip() == END and inside:
            inside = False
        elif inside:
            hidden.append(line)
        else:
            kept.append(line)
    if inside:
        raise HiddenTestError("falta «### END HIDDEN TESTS»")
    return "\n".join(kept), "\n".join(hidden)


def compile_hidden(hidden: str, label: str):
    """The ``pruebas_ocultas`` function defined by ``hidden`` (trusted code of the course)."""
    namespace: dict[str, Any] = {"__name__": f"pruebas_ocultas[{label}]"}
    exec(compile(PRELUDE, "<preludio del evaluador>", "exec"), namespace)  # noqa: S102 - the course's code
    exec(compile(hidden, f"<pruebas ocultas de {label}>", "exec"), namespace)  # noqa: S102 - the course's code
    entry = namespace.get(ENTRY)
    if not callable(entry):
        raise HiddenTestError(f"las pruebas ocultas de {label} no definen {ENTRY}(student)")
    return entry


def judge(grade_id: str, max_points: float, hidden: str, session: Session, seed: int | None = None) -> Verdict:
    """Run the hidden test of ``grade_id`` against the kernel behind ``session``; its
    ``student.rng`` is seeded from a fresh secret (``seed``: fixed, for authors and tests); the
    verdict keeps it, so the teacher can replay a disputed verdict with ``judge_cell(…, seed=…)``."""
    if seed is None:
        seed = secrets.randbits(64)
    start, before = time.perf_counter(), session.requests
    session.new_test()
    try:
        entry = compile_hidden(hidden, grade_id)
    except HiddenTestError:
        raise
    except Exception as err:  # noqa: BLE001 - a broken hidden block is the course's bug: say it loudly
        raise HiddenTestError(f"las pruebas ocultas de {grade_id} no compilan: {err}") from err
    test_error = ""
    try:
        entry(Student(session, seed))
        points, message = max_points, ""
    except Exception as err:  # noqa: BLE001 - a check, the student's code, or the test itself
        described = str(err) if isinstance(err, StudentError) else f"{type(err).__name__}: {err}"
        if is_from_student(err):
            points, message = 0.0, f"tu código lanzó {described}"
        elif isinstance(err, AssertionError):  # a check of the test (CheckFailure) or a bare assert
            points, message = 0.0, str(err) or "una comprobación oculta falló"
        else:
            points, test_error = 0.0, described[:300]
            message = f"la prueba oculta no pudo terminar ({test_error}); el profesor revisará este ejercicio"
    elapsed = time.perf_counter() - start
    return Verdict(grade_id, points, max_points, message, session.requests - before, elapsed, test_error, seed)
