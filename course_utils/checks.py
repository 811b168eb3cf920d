"""Assertion helpers for graded tests: they fail with a Spanish message that says
what was expected and what came, so a student knows what to fix.

A failed check raises :class:`CheckFailure`. In a notebook (and in nbgrader's Validate
dialog, which shows the same traceback) its message comes first, whole and wrapped, followed
only by the lines of the student's cell that led there: the helpers' own frames are hidden
(each sets ``__tracebackhide__``, which IPython and pytest honour).
"""

from __future__ import annotations

import re
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
        value = value.detach().cpu()
        if not value.dtype.is_complex and value.dtype.is_floating_point and value.element_size() < 4:
            value = value.float()  # bfloat16 / float16: NumPy has no bfloat16
        value = value.numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # tf.Tensor
        value = value.numpy()
    return np.asarray(value)


def _plain(value: Any) -> str:
    """A number as plain text: ``1.0``, ``0.5``, ``nan``, ``-inf``, ``3``, ``True`` — never
    ``np.float32(1.0)`` or ``tensor(1.)``. NumPy floats keep their own shortest form
    (``np.float32(0.1)`` is ``0.1``, not ``0.10000000149011612``)."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    if hasattr(value, "detach") or hasattr(value, "numpy") and not isinstance(value, np.generic):
        value = _to_numpy(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(value) if isinstance(value, np.floating) else repr(value)
    return str(value)


def _position(index: tuple) -> str:
    """An element's position as it is indexed: ``[2]``, ``[1, 0]``."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _where(index: tuple) -> str:
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    return f"en la posición {_position(index)}" if len(index) else "en su valor"


def _non_finite(value: Any) -> str:
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    value = complex(value)
    if np.isnan(value):
        return "NaN"
    return "infinito (inf)" if max(value.real, value.imag) > 0 else "menos infinito (-inf)"


def _as_numbers(value: Any, name: str, role: str) -> np.ndarray:
    """``value`` as a NumPy array of numbers, or a Spanish failure saying what it is instead."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    try:
        array = _to_numpy(value)
    except Exception as err:  # noqa: BLE001 - any conversion error becomes a Spanish message
        raise CheckFailure(f"{name}: {role} no se puede leer como números ({type(value).__name__}: {err}).") from None
    if array.dtype.kind == "b":
        return array
    if array.dtype.kind not in "iufc":
        try:
            array = array.astype(float)
        except (TypeError, ValueError):
            raise CheckFailure(
                f"{name}: {role} debe ser numérico y es {type(value).__name__} (tipo de elementos {array.dtype})."
            ) from None
    return array


def _shape_of(value: Any) -> tuple:
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    shape = getattr(value, "shape", None)
    if shape is None:
        return np.shape(value)
    return tuple(int(d) if d is not None else None for d in shape)


def check_shape(value: Any, expected: Sequence[int], name: str = "el resultado") -> None:
    """Fail unless ``value`` has exactly the shape ``expected``."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    if value is None:
        raise CheckFailure(f"{name} es None: ¿olvidaste devolver (return) el valor?")
    actual = _shape_of(value)
    if tuple(actual) != tuple(expected):
        raise CheckFailure(
            f"Forma incorrecta en {name}: se esperaba {_shape_text(expected)} y se obtuvo {_shape_text(actual)}."
        )


def _shape_text(shape: Sequence[Any]) -> str:
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    return str(tuple(None if d is None else int(d) for d in shape))


def check_close(
    actual: Any,
    expected: Any,
    name: str = "el resultado",
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> None:
    """Fail unless ``actual`` matches ``expected`` element-wise within tolerance.

    A NaN or an infinity in ``actual`` where ``expected`` has none is reported first, with the
    position of the first one; otherwise the largest difference and where it is.
    """
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    if actual is None:
        raise CheckFailure(f"{name} es None: ¿olvidaste devolver (return) el valor?")
    a, e = _as_numbers(actual, name, "lo obtenido"), _as_numbers(expected, name, "lo esperado")
    if a.shape != e.shape:
        raise CheckFailure(
            f"Forma incorrecta en {name}: se esperaba {_shape_text(e.shape)} y se obtuvo {_shape_text(a.shape)}."
        )
    kind = complex if "c" in a.dtype.kind + e.dtype.kind else float
    a_num, e_num = a.astype(kind), e.astype(kind)
    unexpected = ~np.isfinite(a_num) & ~((a_num == e_num) & np.isinf(a_num))
    if unexpected.any():
        where = tuple(int(i) for i in np.argwhere(unexpected)[0])
        first = a_num[where]
        count = int(unexpected.sum())
        hint = (
            " Un NaN suele venir de 0/0 (por ejemplo, una media sobre cero elementos), de log(0) o de restar infinitos."
            if np.isnan(first)
            else " Un infinito suele venir de dividir entre 0 o de exp de un número grande."
        )
        raise CheckFailure(
            f"{name} contiene {_non_finite(first)} {_where(where)} "
            f"(se esperaba {_plain(e[where])}){f'; {count} de {a.size} valores no son finitos' if a.size > 1 else ''}."
            f"{hint}"
        )
    if not np.allclose(a_num, e_num, atol=atol, rtol=rtol, equal_nan=False):
        diff = np.abs(a_num - e_num)
        diff = np.where(np.isnan(diff), np.inf, diff)  # a NaN or infinity only in ``expected``
        where = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        raise CheckFailure(
            f"Valores incorrectos en {name}: la mayor diferencia es {_plain(float(f'{diff[where]:.4g}'))} "
            f"{_where(where)} (se esperaba {_plain(e[where])}, se obtuvo {_plain(a[where])}; "
            f"tolerancia {_plain(atol)} + {_plain(rtol)} × |esperado|)."
        )


def check_true(condition: bool, message: str) -> None:
    """Fail with the given Spanish ``message`` unless ``condition`` holds."""
    __tracebackhide__ = True  # IPython and pytest leave this helper out of tracebacks
    try:
        holds = bool(condition)
    except Exception:  # noqa: BLE001 - e.g. a tensor of several values: not a yes or a no
        shape = _shape_of(condition)
        raise CheckFailure(
            f"{message} (la comprobación dio {type(condition).__name__} de forma {_shape_text(shape)}, "
            "no un único verdadero o falso)"
        ) from None
    if not holds:
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


def _contract(message: str) -> str:
    """Spanish contractions where a label starting with "el" follows "de" or "a": "del modelo"."""
    return re.sub(r"\ba el\b", "al", re.sub(r"\bde el\b", "del", message))


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
                _contract(
                    f"No llega gradiente a {label} de {name}: ¿se usa en el forward? "
                    "¿se desconectó del grafo (detach, .data, numpy)?"
                )
            )
        g = _to_numpy(grad)
        bad = ~np.isfinite(g)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise CheckFailure(
                _contract(
                    f"El gradiente de {label} de {name} contiene {_non_finite(g[where])} {_where(where)} "
                    f"({int(bad.sum())} de {g.size} valores no son finitos): la pérdida o el forward "
                    "producen NaN o infinitos (0/0, log(0), exp de un número grande…)."
                )
            )
        if not np.any(g != 0):
            raise CheckFailure(_contract(f"El gradiente de {label} de {name} es cero en todas sus entradas."))


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
