"""Assertion helpers for graded tests: they fail with a Spanish message that says
what was expected and what came, so a student knows what to fix.

A failed check raises :class:`CheckFailure`. In a notebook (and in nbgrader's Validate
dialog, which shows the same traceback) its message comes first, whole and wrapped, followed
only by the lines of the student's cell that led there: the helpers' own frames are hidden
(each sets ``__tracebackhide__``, which IPython and pytest honour).
"""

from __future__ import annotations

import sys
import textwrap
import traceback
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "CheckFailure",
    "check_shape",
    "check_close",
    "check_true",
    "check_type",
    "check_raises",
    "check_grad_flows",
    "check_named_grads_flow",
    "check_own_work",
    "visible_tests_passed",
]

MESSAGE_WIDTH = 76  # nbgrader's validator cuts lines at 90 columns, after a 4-space indent


class CheckFailure(AssertionError):
    """A graded check that did not pass; its message is the Spanish explanation."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the message first and wrapped, then where in the cell it failed.

        IPython keeps the frame that raised even when it is marked hidden, so the helpers
        render their own traceback; frames whose locals set ``__tracebackhide__`` are left out.
        """
        lines = ["Prueba no superada:", ""]
        for paragraph in str(self).splitlines() or [""]:
            lines += textwrap.wrap(paragraph, MESSAGE_WIDTH, break_long_words=False) or [""]
        places = [
            frame for frame, _ in traceback.walk_tb(self.__traceback__) if not frame.f_locals.get("__tracebackhide__")
        ]
        if places:
            lines += ["", "Dónde:"]
            for entry in traceback.StackSummary.extract((f, f.f_lineno) for f in places):
                where = f"  línea {entry.lineno}" + ("" if entry.name == "<module>" else f", en {entry.name}")
                lines.append(where + (f": {entry.line}" if entry.line else ""))
        return lines


# Kernels report it under the name students, nbgrader's feedback and the grading tools know.
CheckFailure.__name__ = "AssertionError"


def _to_numpy(value: Any) -> np.ndarray:
    """Convert torch / TensorFlow / Keras tensors, lists and scalars to a NumPy array."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    if hasattr(value, "detach"):  # torch.Tensor
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # tf.Tensor
        value = value.numpy()
    return np.asarray(value)


def _shape_of(value: Any) -> tuple:
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    shape = getattr(value, "shape", None)
    if shape is None:
        return np.shape(value)
    return tuple(int(d) if d is not None else None for d in shape)


def check_shape(value: Any, expected: Sequence[int], name: str = "el resultado") -> None:
    """Fail unless ``value`` has exactly the shape ``expected``."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    actual = _shape_of(value)
    if tuple(actual) != tuple(expected):
        raise CheckFailure(f"Forma incorrecta en {name}: se esperaba {tuple(expected)} y se obtuvo {tuple(actual)}.")


def check_close(
    actual: Any,
    expected: Any,
    name: str = "el resultado",
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> None:
    """Fail unless ``actual`` matches ``expected`` element-wise within tolerance."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    if actual is None:
        raise CheckFailure(f"{name} es None: ¿olvidaste devolver (return) el valor?")
    a, e = _to_numpy(actual), _to_numpy(expected)
    if a.shape != e.shape:
        raise CheckFailure(f"Forma incorrecta en {name}: se esperaba {e.shape} y se obtuvo {a.shape}.")
    if not np.allclose(a, e, atol=atol, rtol=rtol, equal_nan=False):
        diff = np.abs(a.astype(float) - e.astype(float))
        where = np.unravel_index(int(np.nanargmax(diff)), diff.shape) if diff.size else ()
        raise CheckFailure(
            f"Valores incorrectos en {name}: la mayor diferencia es {float(np.nanmax(diff)):.4g} "
            f"en la posición {tuple(int(i) for i in where)} "
            f"(se esperaba {e[where]!r}, se obtuvo {a[where]!r}; tolerancia {atol})."
        )


def check_true(condition: bool, message: str) -> None:
    """Fail with the given Spanish ``message`` unless ``condition`` holds."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    if not bool(condition):
        raise CheckFailure(message)


def check_type(value: Any, expected: type | tuple, name: str = "el resultado") -> None:
    """Fail unless ``value`` is an instance of ``expected``."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    if not isinstance(value, expected):
        names = " o ".join(t.__name__ for t in expected) if isinstance(expected, tuple) else expected.__name__
        raise CheckFailure(f"Tipo incorrecto en {name}: se esperaba {names} y se obtuvo {type(value).__name__}.")


def check_raises(
    exception: type[BaseException], func: Callable[..., Any], *args: Any, what: str = "la llamada", **kwargs: Any
) -> None:
    """Fail unless ``func(*args, **kwargs)`` raises ``exception``."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    try:
        func(*args, **kwargs)
    except exception:
        return
    except Exception as err:  # noqa: BLE001 - we report what came instead
        raise CheckFailure(
            f"{what} debía lanzar {exception.__name__}, pero lanzó {type(err).__name__}: {err}"
        ) from None
    raise CheckFailure(f"{what} debía lanzar {exception.__name__}, pero no lanzó ningún error.")


def check_grad_flows(parameters: Iterable[Any], name: str = "el modelo") -> None:
    """Fail unless every given torch parameter / tensor received a finite, non-zero gradient.

    Call it after ``loss.backward()``.
    """
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    params = list(parameters)
    if not params:
        raise CheckFailure(f"{name} no tiene parámetros entrenables.")
    for index, p in enumerate(params):
        label = getattr(p, "_course_name", None) or f"el tensor n.º {index}"
        grad = getattr(p, "grad", None)
        if grad is None:
            raise CheckFailure(
                f"No llega gradiente a {label} de {name}: ¿se usa en el forward? ¿se desconectó del grafo (detach, .data, numpy)?"
            )
        g = _to_numpy(grad)
        if not np.all(np.isfinite(g)):
            raise CheckFailure(f"El gradiente de {label} de {name} contiene NaN o infinitos.")
        if not np.any(g != 0):
            raise CheckFailure(f"El gradiente de {label} de {name} es cero en todas sus entradas.")


def check_named_grads_flow(module: Any, name: str = "el modelo") -> None:
    """Like :func:`check_grad_flows` for a ``torch.nn.Module``, naming each parameter."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    params = []
    for pname, p in module.named_parameters():
        if p.requires_grad:
            p._course_name = f"el parámetro '{pname}'"
            params.append(p)
    check_grad_flows(params, name)


def _code_objects(target: Any) -> set:
    """The code objects of a function, or of every function in a class (modules are expanded
    into their functions and classes by :func:`check_own_work`)."""
    if isinstance(target, type):
        found: set = set()
        for value in vars(target).values():
            value = getattr(value, "__func__", value)  # staticmethod / classmethod
            if isinstance(value, property):
                value = value.fget
            found |= _code_objects(value)
        return found
    code = getattr(getattr(target, "__func__", target), "__code__", None)
    return {code} if code is not None else set()


def check_own_work(call: Callable[[], Any], forbidden: Iterable[Any], name: str = "tu solución") -> Any:
    """Run ``call()`` and fail if any of the ``forbidden`` functions, classes or modules runs.

    Graded exercises ask the student to write a piece that the course also uses later (a
    fusion layer, an attention block). Calling or wrapping that existing code is not the
    exercise: this watches every call made while ``call()`` runs (``sys.setprofile``: Python
    functions, and C functions such as ``F.scaled_dot_product_attention`` when listed), so an
    alias, a wrapper or a subclass of the forbidden code is caught as well. Returns
    what ``call()`` returned.
    """
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    watched = {}
    targets = []
    for target in forbidden:  # a module stands for each function and class defined in it
        if isinstance(target, types.ModuleType):
            targets += [v for v in vars(target).values() if getattr(v, "__module__", None) == target.__name__]
        else:
            targets.append(target)
    builtins: dict[int, tuple[Any, str]] = {}  # C functions (e.g. F.scaled_dot_product_attention)
    for target in targets:
        label = f"{getattr(target, '__module__', '') or ''}.{getattr(target, '__qualname__', getattr(target, '__name__', '?'))}"
        if isinstance(target, types.BuiltinFunctionType):
            builtins[id(target)] = (target, label.lstrip("."))
        for code in _code_objects(target):
            watched[(code.co_filename, code.co_firstlineno, code.co_name)] = label.lstrip(".")
    seen: list[str] = []

    def profiler(frame, event, arg):  # noqa: ARG001 - signature fixed by sys.setprofile
        hit = None
        if event == "call":
            code = frame.f_code
            hit = watched.get((code.co_filename, code.co_firstlineno, code.co_name))
        elif event == "c_call" and id(arg) in builtins and builtins[id(arg)][0] is arg:
            hit = builtins[id(arg)][1]
        if hit and hit not in seen:
            seen.append(hit)

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = call()
    finally:
        intact = sys.getprofile() is profiler
        sys.setprofile(previous)
    if not intact:
        raise CheckFailure(
            f"{name} desactivó la vigilancia de las pruebas (sys.setprofile): la entrega se revisará a mano."
        )
    if seen:
        raise CheckFailure(
            f"{name} usa la implementación del curso ({', '.join(seen)}) en lugar de "
            "escribirla: el ejercicio pide implementarla tú, sin llamarla ni envolverla."
        )
    return result


def visible_tests_passed(exercise: int | str | None = None) -> None:
    """Print the message shown when the visible tests of an exercise pass.

    It says plainly that these tests are only a help: hidden tests decide the grade.
    """
    label = f" del ejercicio {exercise}" if exercise not in (None, "") else ""
    print(
        f"✔ Pruebas visibles{label} superadas. Ojo: la nota la deciden además pruebas ocultas, "
        "así que revisa también los casos que no se prueban aquí."
    )


class _ReadOnlyModule(types.ModuleType):
    """Graded tests rely on these helpers, so code in a notebook may not replace them."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"course_utils.checks es de solo lectura: no se puede cambiar '{name}', "
            "las pruebas calificadas dependen de estas funciones."
        )

    def __delattr__(self, name: str) -> None:
        self.__setattr__(name, None)


sys.modules[__name__].__class__ = _ReadOnlyModule
