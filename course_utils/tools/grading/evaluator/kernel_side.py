"""The evaluator's agent inside the student's kernel (untrusted: whatever runs here can be
replaced by the student's code, so it only ever answers with data, never with a verdict).

The evaluator sends one request per ``execute_request`` —
``__import__('course_utils.tools.grading.evaluator.kernel_side', fromlist=['serve']).serve(TEXT)``
— and reads the answer from a ``display_data`` output of type :data:`MIME`.
"""

from __future__ import annotations

import json
import sys
import traceback
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
    """``{"name": …}`` (a global of the notebook), ``{"ref": n}`` or ``{"attr": [target, name]}``
    / ``{"item": [target, key]}``."""
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


def _watched_call(fn, args, kwargs, forbidden: list[str]):
    """Call ``fn`` and list the forbidden routines it reached: by the object the name designates
    (a C function under another module's name, e.g. ``torch._C._nn``, is still caught) or by the
    ``module.qualname`` prefix of the Python function running."""
    seen: set[str] = set()
    objects = {}
    for name in forbidden:
        obj = _resolve_dotted(name)
        if obj is not None:
            objects[id(obj)] = name
            code = getattr(getattr(obj, "forward", obj), "__code__", None)
            if code is not None:
                objects[id(code)] = name

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if id(code) in objects:
                seen.add(objects[id(code)])
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

    import threading

    previous = sys.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)
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
