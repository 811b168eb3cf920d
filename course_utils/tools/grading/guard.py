"""Defences against submissions that cheat the graded tests from inside the kernel.

When grading, a first cell imports this module *before any student code runs*; it keeps the
original test helpers and IPython's error reporting. Every graded test cell then starts with
:func:`restore`, which puts them back: a submission that redefined ``check_close``, patched
``course_utils.checks``, installed a custom exception handler that swallows errors, or
silenced ``showtraceback`` is graded as if it had not. Code in the same process can always do
more (patch NumPy, ``ctypes``); the README lists what stays trusted.
"""
from __future__ import annotations

import sys
import types
from typing import Any

from ... import checks as _checks

_HELPERS = types.MappingProxyType({name: getattr(_checks, name) for name in _checks.__all__})
_SHELL = None
_SHOWTRACEBACK = None
try:  # inside a kernel: remember how errors are reported before the student can change it
    from IPython import get_ipython as _get_ipython

    _SHELL = _get_ipython()
    if _SHELL is not None:
        _SHOWTRACEBACK = type(_SHELL).showtraceback
except ImportError:  # pragma: no cover - IPython is always there with nbgrader
    pass

PREAMBLE = "import course_utils.tools.grading.guard  # añadido al calificar: protege las pruebas"
RESTORE = "__import__('course_utils.tools.grading.guard').grading.guard.restore(globals())  # añadido al calificar"


def restore(namespace: dict[str, Any]) -> None:
    """Put back the test helpers in ``namespace`` and IPython's normal error reporting."""
    sys.modules[_checks.__name__] = _checks
    for name, helper in _HELPERS.items():
        namespace[name] = helper
    if _SHELL is not None:
        _SHELL.set_custom_exc((), None)
        type(_SHELL).showtraceback = _SHOWTRACEBACK
        _SHELL.__dict__.pop("showtraceback", None)
