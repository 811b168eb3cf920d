"""The evaluator's agent inside the student's kernel (untrusted: whatever runs here can be
replaced by the student's code, so it only ever answers with data, never with a verdict).

The evaluator sends one request per ``execute_request`` —
``__import__('course_utils.tools.grading.evaluator.kernel_side', fromlist=['serve']).serve(TEXT)``
— and reads the answer from a ``display_data`` output of type :data:`MIME`.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
import types
from typing import Any

from .wire import Ref, WireError, encode

try:
    from IPython.display import display as _display
except ImportError:  # pragma: no cover - a kernel always has IPython
    _display = print

MIME = "application/vnd.course-evaluator+json"
# Taken when the module is imported — by the grading guard's cell, before any student code runs —
# so that a notebook rebinding json.loads or IPython's display later does not reach the requests.
_loads, _dumps = json.loads, json.dumps
_objects: dict[int, Any] = {}
# The threads alive when the guard's cell imports this module, before any student code: the
# kernel's own (I/O, control, heartbeat, history). Any other thread is the notebook's.
_KERNEL_THREADS = frozenset(t.ident for t in threading.enumerate())
_override: dict | None = None  # the namespace to serve instead of the kernel's (tests, local.py)


def _refer(obj: Any) -> Ref:
    number = len(_objects) + 1
    _objects[number] = obj
    return Ref(number, type(obj).__name__)


def _namespace() -> dict:
    if _override is not None:
        return _override
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:  # pragma: no cover - a kernel always has IPython
        pass
    return vars(sys.modules["__main__"])


def _rebuild(data: Any) -> Any:
    """A request's argument in the kernel: arrays as tensors/arrays, refs as their objects."""
    if isinstance(data, dict):
        if "ref" in data:
            return _objects[data["ref"]]
        ((tag, body),) = data.items()
        if tag == "float":
            return float(body)
        if tag in ("list", "tuple"):
            items = [_rebuild(v) for v in body]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            return {_rebuild(k): _rebuild(v) for k, v in body}
        if tag == "array":
            from .wire import decode

            return decode(data)
    return data


def _resolve(target: dict) -> Any:
    """``{"name": …}`` (a global of the notebook), ``{"module": …}`` (a module as imported, whatever
    the notebook's globals say), ``{"ref": n}`` or ``{"attr": [target, name]}`` / ``{"item":
    [target, key]}``."""
    if "module" in target:
        import importlib

        return importlib.import_module(str(target["module"]))
    if "name" in target:
        namespace = _namespace()
        if target["name"] not in namespace:
            raise NameError(f"no existe «{target['name']}» en el notebook (¿ejecutaste la celda de tu solución?)")
        return namespace[target["name"]]
    if "ref" in target:
        return _objects[target["ref"]]
    if "attr" in target:
        base, name = target["attr"]
        return getattr(_resolve(base), name)
    if "item" in target:
        base, key = target["item"]
        return _resolve(base)[_rebuild(key)]
    raise WireError("destino no reconocido")


def _resolve_dotted(name: str) -> Any:
    """The object a dotted name designates (``torch.nn.functional.scaled_dot_product_attention``),
    or None."""
    import importlib

    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _op_stem(name: str) -> str:
    """The snake_case stem of a forbidden name's last part (``MultiheadAttention`` →
    ``multihead_attention``, ``multi_head_attention_forward`` → ``multi_head_attention``): what
    the names of the PyTorch operators that do the same work contain."""
    import re

    last = name.rsplit(".", 1)[-1]
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", last).lower().strip("_")
    return snake.removesuffix("_forward")


def _stand_ins(resolved: dict[str, Any], seen: set[str], skip: set[int]) -> list[tuple[Any, str, Any]]:
    """For each forbidden name (``resolved``: name → the object it designates, or None) that designates a function (not a module or a class): a
    stand-in that notes the call and calls it, to be put where the name points for the
    duration of the call — so a call through that name is seen whatever calls it (``map``,
    C code) and in whatever thread (a worker started before the call). ``(module, attribute,
    original)`` of each replacement, to put back."""
    import functools
    import importlib
    import types

    swaps = []
    for name, obj in resolved.items():
        parent_name, _, attr = name.rpartition(".")
        if not parent_name or obj is None or isinstance(obj, (type, types.ModuleType)) or not callable(obj):
            continue
        try:
            parent = importlib.import_module(parent_name)
        except ImportError:
            continue
        if getattr(parent, attr, None) is not obj:
            continue

        def stand_in(*a, _obj=obj, _name=name, **k):
            seen.add(_name)
            return _obj(*a, **k)

        skip.add(id(stand_in.__code__))
        swaps.append((parent, attr, obj, functools.update_wrapper(stand_in, obj)))
    return swaps


def _operator_watch(resolved: dict[str, Any], seen: set[str]):
    """A PyTorch function mode that notes each torch function or operator called during the
    call whose name holds the stem of a forbidden function's name
    (``torch.ops.aten._scaled_dot_product_attention_math`` for
    ``…scaled_dot_product_attention``): the same kernel reached through ``torch.ops`` or under
    another name, or a forbidden function called from C code. Only names of library routines
    (not modules: the course's own code is seen by its frames). None when the notebook never
    imported torch."""
    if "torch" not in sys.modules:
        return None
    import types

    from torch.overrides import TorchFunctionMode

    stems = {}
    for name, obj in resolved.items():
        if obj is not None and callable(obj) and not isinstance(obj, types.ModuleType) and len(_op_stem(name)) >= 8:
            stems[_op_stem(name)] = name
    if not stems:
        return None

    class Operators(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            called = str(getattr(func, "__name__", "") or "").lower()
            for stem, name in stems.items():
                if stem in called:
                    seen.add(name)
            return func(*args, **(kwargs or {}))

    return Operators()


def _codes(obj: Any) -> list[types.CodeType]:
    """The code objects of a function (with the functions defined inside it and, for a decorated
    one, the function it wraps), or of every method of a class."""
    obj = getattr(obj, "__func__", obj)  # staticmethod / classmethod / bound method
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, type):
        return [code for value in list(vars(obj).values()) if not isinstance(value, type) for code in _codes(value)]
    found: list[types.CodeType] = []
    while isinstance(obj, types.FunctionType) and len(found) < 1000:
        stack = [obj.__code__]
        while stack:
            code = stack.pop()
            found.append(code)
            stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        obj = getattr(obj, "__wrapped__", None)
    return found


def _forbidden_objects(resolved: dict[str, Any]) -> dict[int, str]:
    """id → forbidden name, for the object each name designates (a C function is caught by it
    under another module's name) and each code object it defines: the functions and methods of a
    listed module (and of its submodules already imported), class or function, written in that
    module's files (not a decorator's wrapper from contextlib or functools). A frame running one
    of them is caught by identity, whatever module name its globals claim — a copy made with
    ``types.FunctionType(code, other_globals)`` runs the same code object."""
    found: dict[int, str] = {}
    for name, obj in resolved.items():
        if obj is not None:
            found[id(obj)] = name
        if isinstance(obj, types.ModuleType):
            modules = [
                m
                for n, m in list(sys.modules.items())
                if m is not None and n != __name__ and (n == name or n.startswith(name + "."))
            ]  # not this module: its profiler and stand-ins run during the call
            values = [
                v for m in modules for v in list(vars(m).values()) if getattr(v, "__module__", None) == m.__name__
            ]
        else:
            modules = [sys.modules.get(getattr(obj, "__module__", None) or "")] if obj is not None else []
            values = [getattr(obj, "forward", None), obj] if obj is not None else []
        files = {getattr(m, "__file__", None) for m in modules} - {None}
        for value in values:
            for code in _codes(value):
                if code.co_filename in files:
                    found[id(code)] = name
    return found


def _thread_clock(ident: int) -> float | None:
    """The CPU seconds a thread has used (None where the platform cannot tell)."""
    import time

    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError, OverflowError):
        return None


def _notebook_threads() -> dict[int, tuple[str, float | None]]:
    """The threads the notebook started (not the kernel's, not this one, not tqdm's monitor),
    with the CPU time each has used so far."""
    monitor = getattr(sys.modules.get("tqdm._monitor"), "TMonitor", None)
    current = threading.get_ident()
    return {
        t.ident: (t.name, _thread_clock(t.ident))
        for t in threading.enumerate()
        if t.ident not in _KERNEL_THREADS and t.ident != current and t.ident is not None and type(t) is not monitor
    }


def _watched_call(fn, args, kwargs, forbidden: list[str]):
    """Call ``fn`` and list the forbidden routines it reached: by the object the name designates
    (a C function under another module's name, e.g. ``torch._C._nn``, is still caught), by the
    code objects the names define (a copy of a course function under another module's name), by
    the ``module.qualname`` prefix of the Python function running, by a stand-in put where the
    name points (a call from C code) and by the PyTorch operators run (the same kernel through
    ``torch.ops``). A thread the notebook started before the call escapes the profiler, so one
    that used the CPU during the call is reported too. The watcher's own frames are not the
    student's."""
    seen: set[str] = set()
    resolved = {name: _resolve_dotted(name) for name in forbidden}  # each name looked up once
    objects = _forbidden_objects(resolved)
    skip: set[int] = set()

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if id(code) in objects:
                seen.add(objects[id(code)])
                return
            if id(code) in skip or frame.f_globals.get("__name__") == __name__:
                return
            name = f"{frame.f_globals.get('__name__', '')}.{code.co_qualname}"
        elif event == "c_call":
            if id(arg) in objects:
                seen.add(objects[id(arg)])
                return
            name = f"{getattr(arg, '__module__', None) or ''}.{getattr(arg, '__qualname__', '')}"
        else:
            return
        for prefix in forbidden:
            if name == prefix or name.startswith(prefix + "."):
                seen.add(prefix)

    import contextlib

    swaps = _stand_ins(resolved, seen, skip)
    watch = _operator_watch(resolved, seen)
    previous = sys.getprofile()
    threads = _notebook_threads()
    for parent, attr, _, stand_in in swaps:
        setattr(parent, attr, stand_in)
    try:
        with watch if watch is not None else contextlib.nullcontext():
            sys.setprofile(profile)
            threading.setprofile(profile)
            try:
                result = fn(*args, **kwargs)
            finally:
                sys.setprofile(previous)
                threading.setprofile(None)
    finally:
        for parent, attr, original, _ in swaps:
            setattr(parent, attr, original)
    after = _notebook_threads()
    for ident, (name, clock) in threads.items():
        later = after.get(ident, (name, None))[1]
        if clock is None or later is None or later > clock:
            seen.add(f"un hilo que el notebook arrancó antes («{name}») trabajó durante la llamada")
    return result, sorted(seen)


def _gradients(fn, args, kwargs, upstream, output=0):
    """Forward ``fn`` with float tensor arguments requiring grad, backward ``upstream`` (or a
    sum) from output number ``output`` when it returns several, and report that output, the
    inputs' gradients and the parameters' gradients."""
    import torch

    args = [a.detach().clone().requires_grad_(True) if _is_float_tensor(a) else a for a in args]
    out = fn(*args, **kwargs)
    tensor = out[output] if isinstance(out, (tuple, list)) else out
    if getattr(tensor, "requires_grad", False):  # else nothing flows: every gradient stays None
        if upstream is None:
            tensor.sum().backward()
        else:
            tensor.backward(upstream)
    params = {}
    if isinstance(fn, torch.nn.Module):
        params = {name: p.grad for name, p in fn.named_parameters()}
    return {
        "output": tensor,
        "input_grads": [a.grad if _is_float_tensor(a) else None for a in args],
        "param_grads": params,
    }


def _is_float_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor) and value.is_floating_point()


def handle(request: dict) -> dict:
    """Answer one request with ``{"ok": true, "value": …}`` or ``{"ok": false, "error": …}``."""
    op = request.get("op")
    try:
        if op == "get":
            value = _resolve(request["target"])
            if request.get("keep"):
                return {"ok": True, "value": {"ref": _refer(value).number, "kind": type(value).__name__}}
            return {"ok": True, "value": encode(value, _refer)}
        if op == "keep":
            value = _rebuild(request["value"])
            return {"ok": True, "value": {"ref": _refer(value).number, "kind": type(value).__name__}}
        if op == "has":
            try:
                _resolve(request["target"])
                return {"ok": True, "value": True}
            except (NameError, AttributeError, KeyError, IndexError):
                return {"ok": True, "value": False}
        target = _resolve(request["target"])
        args = [_rebuild(a) for a in request.get("args", [])]
        kwargs = {k: _rebuild(v) for k, v in request.get("kwargs", {}).items()}
        if op == "call":
            forbidden = request.get("forbidden") or []
            if forbidden:
                value, seen = _watched_call(target, args, kwargs, forbidden)
                return {"ok": True, "value": encode(value, _refer), "forbidden": seen}
            value = target(*args, **kwargs)
            if request.get("keep"):
                return {"ok": True, "value": {"ref": _refer(value).number, "kind": type(value).__name__}}
            return {"ok": True, "value": encode(value, _refer)}
        if op == "len":
            return {"ok": True, "value": len(target)}
        if op == "iter":
            return {"ok": True, "value": {"ref": _refer(iter(target)).number, "kind": "iterator"}}
        if op == "next":
            try:
                return {"ok": True, "value": encode(next(target), _refer)}
            except StopIteration:
                return {"ok": True, "stop": True, "value": None}
        if op == "gradients":
            upstream = _rebuild(request["upstream"]) if request.get("upstream") is not None else None
            output = request.get("output", 0)
            output = output if type(output) is int else 0
            return {"ok": True, "value": encode(_gradients(target, args, kwargs, upstream, output), _refer)}
        if op == "type":
            return {"ok": True, "value": [f"{c.__module__}.{c.__qualname__}" for c in type(target).__mro__]}
        raise WireError(f"operación desconocida: {op!r}")
    except BaseException as err:  # noqa: BLE001 - every failure of the student's code is data
        if isinstance(err, (SystemExit, KeyboardInterrupt)) and not request.get("catch_exit", True):
            raise
        return {
            "ok": False,
            "error": {
                "type": type(err).__name__,
                "builtin": type(err).__module__ == "builtins",
                "message": str(err)[:2000],
                "where": "".join(traceback.format_exception_only(type(err), err))[-2000:],
            },
        }


def serve(text: str) -> None:
    """Handle the request ``text`` (JSON) and publish the answer as a display of type MIME."""
    try:
        answer = handle(_loads(text))
        payload = _dumps(answer, allow_nan=False)
    except BaseException as err:  # noqa: BLE001
        payload = _dumps(
            {
                "ok": False,
                "error": {"type": type(err).__name__, "builtin": False, "message": str(err)[:2000], "where": ""},
            }
        )
    _display({MIME: payload}, raw=True)
