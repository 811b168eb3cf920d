"""The ``student`` proxy a hidden test receives (trusted side).

``student.name`` stands for a global of the student's notebook; calling it, reading its
attributes or items, iterating over it or taking its ``len`` sends one request to the kernel
(:mod:`.kernel_side`). Plain results come back as fresh Python values, ``torch.Tensor`` and
``numpy.ndarray`` objects built here from bytes (:func:`.wire.decode`); anything else (a model,
a data loader) stays in the kernel and comes back as another :class:`Remote`. An exception in
the student's code is raised here as the builtin exception of the same name (``ValueError``…)
or as :class:`StudentError`, carrying the student's message.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, NamedTuple

from ....checks import CheckFailure
from .wire import Ref, WireError, decode, encode

Channel = Callable[[dict], dict]  # one request → its answer (already parsed JSON)


class StudentError(Exception):
    """The student's code raised an exception that is not a Python builtin."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name


MAX_REQUESTS = 20_000  # per hidden test: an object that answers forever costs only that test


class Session:
    """Requests to one kernel; counts them (the evaluator's cost) and caps them per hidden test."""

    def __init__(self, channel: Channel):
        self.channel, self.requests, self.budget_end = channel, 0, MAX_REQUESTS

    def new_test(self) -> None:
        """Start the request budget of the next hidden test."""
        self.budget_end = self.requests + MAX_REQUESTS

    def ask(self, request: dict) -> dict:
        if self.requests >= self.budget_end:
            raise StudentError("DemasiadasPeticiones", f"más de {MAX_REQUESTS} peticiones en una sola prueba oculta")
        self.requests += 1
        answer = self.channel(request)
        if type(answer) is not dict or type(answer.get("ok")) is not bool:
            raise StudentError("RespuestaInválida", "el kernel no respondió con datos del evaluador")
        if not answer["ok"]:
            _raise(answer.get("error"))
        return answer

    def value(self, answer: dict) -> Any:
        try:
            data = decode(answer.get("value"))
        except WireError as err:
            raise StudentError("DatoNoVálido", str(err)) from None
        return self.wrap(data)

    def wrap(self, data: Any) -> Any:
        if isinstance(data, Ref):
            return Remote(self, {"ref": data.number}, data.kind)
        if isinstance(data, list):
            return [self.wrap(v) for v in data]
        if isinstance(data, tuple):
            return tuple(self.wrap(v) for v in data)
        if isinstance(data, dict):
            return {k: self.wrap(v) for k, v in data.items()}
        return data


def _raise(error: Any) -> None:
    if type(error) is not dict:
        raise StudentError("ErrorDesconocido", "")
    name, message = str(error.get("type", "Error"))[:100], str(error.get("message", ""))[:2000]
    kind = getattr(builtins, name, None) if error.get("builtin") is True else None
    if isinstance(kind, type) and issubclass(kind, Exception) and kind not in (StopIteration,):
        raise from_student(kind(message))
    raise StudentError(name, message)


def from_student(err: Exception) -> Exception:
    """``err`` marked as the student's (raised by its code, or caused by what it returned), so a
    hidden test that fails with it gives 0; any other exception is the hidden test's own."""
    err.from_student = True
    return err


def is_from_student(err: BaseException) -> bool:
    return isinstance(err, StudentError) or getattr(err, "from_student", False) is True


def _arg(value: Any) -> Any:
    """An argument as wire data: remotes by reference, everything else plain."""
    if isinstance(value, Remote):
        return value._ensure_ref()
    if isinstance(value, (list, tuple)) and any(isinstance(v, Remote) for v in value):
        items = [_arg(v) for v in value]
        return {type(value).__name__ if type(value) in (list, tuple) else "list": items}
    if isinstance(value, dict) and any(isinstance(v, Remote) for v in value.values()):
        return {"dict": [[encode(k), _arg(v)] for k, v in value.items()]}
    return encode(value)


class Remote:
    """Something in the student's kernel, reached through requests."""

    __slots__ = ("_session", "_target", "_kind")

    def __init__(self, session: Session, target: dict, kind: str = ""):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_kind", kind)

    def _ensure_ref(self) -> dict:
        """A wire reference to this object, asking the kernel to keep it when it is a path."""
        if "ref" not in self._target:
            answer = self._session.ask({"op": "get", "target": self._target, "keep": True})
            object.__setattr__(self, "_target", {"ref": answer["value"]["ref"]})
        return {"ref": self._target["ref"]}

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("__"):
            raise AttributeError(name)
        return Remote(self._session, {"attr": [self._target, name]})

    def __getitem__(self, key: Any) -> Any:
        return self._session.value(self._session.ask({"op": "get", "target": {"item": [self._target, encode(key)]}}))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = {"op": "call", "target": self._target, "args": [_arg(a) for a in args]}
        request["kwargs"] = {k: _arg(v) for k, v in kwargs.items()}
        return self._session.value(self._session.ask(request))

    def __len__(self) -> int:
        value = self._session.ask({"op": "len", "target": self._target}).get("value")
        if type(value) is not int or value < 0:
            raise StudentError("LongitudNoVálida", "len() no devolvió un entero")
        return value

    def __iter__(self):
        answer = self._session.ask({"op": "iter", "target": self._target})
        iterator = {"ref": answer["value"]["ref"]}
        while True:
            answer = self._session.ask({"op": "next", "target": iterator})
            if answer.get("stop") is True:
                return
            yield self._session.value(answer)

    def __repr__(self) -> str:
        return f"<en el kernel del estudiante: {self._kind or self._target}>"

    def __array__(self, *args: Any, **kwargs: Any):
        # NumPy would otherwise iterate the object element by element, one request each
        raise from_student(
            TypeError(f"se esperaba un tensor o un array y se obtuvo un objeto ({self._kind or 'remoto'})")
        )

    def __bool__(self) -> bool:
        return True


class Student:
    """The student's notebook as the hidden tests see it: ``student.fuse_concat(xs)``.

    ``student.rng`` (a ``numpy.random.Generator``) and ``student.torch_generator()`` draw the
    hidden test's inputs from a secret seed of this grading (``seed`` only when an author fixes
    it, :func:`.local.judge_cell`): inputs no earlier verdict message, display update or
    classmate can tell in advance, so a table of the inputs seen before earns nothing. Both
    names are the evaluator's, never a global of the notebook."""

    def __init__(self, session: Session, seed: int | None = None):
        import secrets

        import numpy as np

        self._session = session
        self.rng = np.random.default_rng(secrets.randbits(128) if seed is None else seed)

    def torch_generator(self):
        """A ``torch.Generator`` seeded from :attr:`rng` (the same secret)."""
        import torch

        return torch.Generator().manual_seed(int(self.rng.integers(2**62)))

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("_"):
            raise AttributeError(name)
        return Remote(self._session, {"name": name})

    def lib(self, module: str) -> Remote:
        """A module of the kernel as imported (``student.lib("torch.nn")``), for building a test's
        objects there: never through the notebook's globals, which a notebook can rebind (``torch =
        a proxy whose Dropout is Identity`` once turned the test's dropout model into a plain one)."""
        return Remote(self._session, {"module": module})

    def keep(self, value: Any) -> Remote:
        """``value`` (plain data) rebuilt in the kernel and kept there: pass the Remote to the
        student's code, then ``fetch`` it to see what that code did to it (in-place edits)."""
        answer = self._session.ask({"op": "keep", "value": _arg(value)})
        return Remote(self._session, {"ref": answer["value"]["ref"]}, str(answer["value"].get("kind", "")))

    def has(self, name: str) -> bool:
        """Whether the notebook defines ``name``."""
        return self._session.ask({"op": "has", "target": {"name": name}})["value"] is True


def fetch(remote: Any) -> Any:
    """The value of a remote attribute or object as plain data (a ``Remote`` if it is not)."""
    if not isinstance(remote, Remote):
        return remote
    return remote._session.value(remote._session.ask({"op": "get", "target": remote._target}))


def type_names(remote: Remote) -> list[str]:
    """``module.QualName`` of the remote object's class and its bases (as the kernel reports)."""
    names = remote._session.ask({"op": "type", "target": remote._target})["value"]
    return [str(n) for n in names] if type(names) is list else []


class Gradients(NamedTuple):
    output: Any
    input_grads: list
    param_grads: dict


def gradients(fn: Remote, *args: Any, upstream: Any = None, output: int = 0, **kwargs: Any) -> Gradients:
    """Run ``fn(*args)`` in the kernel with the float tensor arguments requiring grad, backward
    ``upstream`` (default: the sum of the output; of output number ``output`` when ``fn``
    returns several) and return that output and the gradients of the inputs and (for a module)
    of each named parameter — ``None`` where none flowed."""
    request = {"op": "gradients", "target": fn._target, "args": [_arg(a) for a in args], "output": output}
    request["kwargs"] = {k: _arg(v) for k, v in kwargs.items()}
    request["upstream"] = None if upstream is None else encode(upstream)
    data = fn._session.value(fn._session.ask(request))
    if type(data) is not dict or set(data) != {"output", "input_grads", "param_grads"}:
        raise StudentError("DatoNoVálido", "respuesta de gradientes mal formada")
    return Gradients(data["output"], list(data["input_grads"]), dict(data["param_grads"]))


def own_work(fn: Remote, *args: Any, forbidden: list[str], name: str = "tu solución", **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, failing when the kernel reports that it reached one of the
    ``forbidden`` functions (``module.qualname`` prefixes): the course's own implementation of
    the exercise or a library routine that does it. The kernel's report is defence in depth —
    the grade rests on the returned values; the static scan flags what hides from it."""
    request = {"op": "call", "target": fn._target, "args": [_arg(a) for a in args], "forbidden": list(forbidden)}
    request["kwargs"] = {k: _arg(v) for k, v in kwargs.items()}
    answer = fn._session.ask(request)
    seen = answer.get("forbidden")
    if type(seen) is not list:
        raise StudentError("DatoNoVálido", "respuesta de vigilancia mal formada")
    if seen:
        raise CheckFailure(
            f"{name} llama a código que ya resuelve el ejercicio ({', '.join(map(str, seen))}); "
            "el ejercicio pide escribirlo tú."
        )
    return fn._session.value(answer)
