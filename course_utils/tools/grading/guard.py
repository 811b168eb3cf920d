"""Defences against submissions that cheat the graded tests from inside the kernel.

When grading, a first cell (inserted by :class:`~.preprocessors.GuardGradedTests` under a
fresh, unguessable id) imports this module and calls :func:`arm` *before any student code
runs*. ``arm`` keeps pristine copies of what the graded tests depend on: the test helpers and
their code objects, the dictionaries of the ``course_utils``, NumPy and (when the notebook
uses it) PyTorch modules and the code of their functions, ``builtins``, ``sys.modules``,
IPython's input transformers, event hooks, error reporting and display publisher, and the
interpreter's trace/profile hooks.

Every graded test cell starts with :func:`restore`: it compares all of that with the pristine
copies, puts back whatever changed, and publishes a marker (an output of type
:data:`MARKER_MIME`, invisible in the notebook) carrying the cell's nonce and the list of what
it found altered. After grading, :mod:`.tamper` reads the markers from the autograded
notebook: a graded cell without its marker (the cell was emptied, ``restore`` replaced, the
guard never armed) or with alterations sends the submission to manual review. Code in the
same process can always reach these copies (``gc``, ``ctypes``); the static scan
(:mod:`.scan`) flags such code, and the README lists what stays trusted.
"""

from __future__ import annotations

import builtins
import os
import sys
import types
import warnings
from typing import Any

from ... import checks as _checks

MARKER_MIME = "application/vnd.course-grading-guard+json"
_PROTECTED_PREFIXES = ("course_utils", "numpy", "torch")

PREAMBLE = (
    "import course_utils.tools.grading.guard, course_utils.tools.grading.evaluator.kernel_side  "
    "# añadido al calificar: protege las pruebas"
)
ARM = "course_utils.tools.grading.guard.arm()"
RESTORE = "__import__('course_utils.tools.grading.guard').tools.grading.guard.restore(globals(), {nonce!r})  # añadido al calificar"
RESTORE_PREFIX = RESTORE.split("{")[0]

_LIBRARIES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "ipywidgets", "tqdm", "comm")
_DISPATCHER = type(_checks.np.allclose)
_HELPERS = types.MappingProxyType({name: getattr(_checks, name) for name in _checks.__all__})
_state: dict[str, Any] = {}


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always there with nbgrader
        return None
    return get_ipython()


def _protected_modules() -> dict[str, types.ModuleType]:
    return {
        name: module
        for name, module in list(sys.modules.items())
        if isinstance(module, types.ModuleType) and name.split(".")[0] in _PROTECTED_PREFIXES
    }


def _function_of(value: Any):
    """The Python function behind ``value`` (NumPy's dispatchers wrap one), or None."""
    if isinstance(value, _DISPATCHER):
        value = value._implementation
    return value if isinstance(value, types.FunctionType) else None


def _code_of(value: Any):
    """What a student could swap inside a function object: its code and default arguments."""
    function = _function_of(value)
    return (function.__code__, function.__defaults__, function.__kwdefaults__) if function is not None else None


def _same(current: tuple | None, pristine: tuple) -> bool:
    return current is not None and all(a is b for a, b in zip(current, pristine))


def _put_back(function: types.FunctionType, code: tuple) -> None:
    function.__code__, function.__defaults__, function.__kwdefaults__ = code


def _rebindable(value: Any) -> bool:
    """Entries worth watching: functions, classes, modules (plain data may change honestly)."""
    return callable(value) or isinstance(value, types.ModuleType)


def _classes_of(obj: Any) -> list[type]:
    return [cls for cls in type(obj).__mro__ if cls.__module__.split(".")[0] in ("IPython", "ipykernel")]


def _from_library(hook: Any) -> bool:
    """A hook a library registered (matplotlib's inline backend does), not the student's code."""
    module = getattr(hook, "__module__", None) or ""
    return isinstance(module, str) and module.split(".")[0] in _LIBRARIES


def arm() -> None:
    """Take the pristine copies (in the guard cell, before any student code)."""
    if _state:
        return
    with warnings.catch_warnings():  # deprecated module attributes warn when merely looked at
        warnings.simplefilter("ignore")
        _arm()


def _arm() -> None:
    modules = _protected_modules()
    _state["modules"] = dict(sys.modules)
    _state["library_dirs"] = tuple(
        os.path.dirname(module.__file__) + os.sep
        for name, module in modules.items()
        if "." not in name and getattr(module, "__file__", None)
    )
    _state["dicts"] = {
        name: {key: value for key, value in vars(module).items() if _rebindable(value)}
        for name, module in modules.items()
    }
    _state["codes"] = {
        (name, key): (value, code)
        for name, module in modules.items()
        for key, value in vars(module).items()
        if (code := _code_of(value)) is not None
    }
    _state["helper_codes"] = {
        name: code
        for name, helper in _HELPERS.items()  # functions (not classes)
        if (code := _code_of(helper)) is not None
    }
    # ipykernel swaps input() per request to forward it to the frontend
    _state["builtins"] = {
        key: value for key, value in vars(builtins).items() if _rebindable(value) and key not in ("input", "raw_input")
    }
    _state["hooks"] = (sys.gettrace(), sys.getprofile())
    shell = _shell()
    if shell is not None:
        _state["shell"] = shell
        _state["lists"] = {
            name: list(getattr(shell, name))
            for name in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
        }
        _state["list_objects"] = {name: getattr(shell, name) for name in _state["lists"]}
        _state["events"] = {event: list(callbacks) for event, callbacks in shell.events.callbacks.items()}
        _state["attrs"] = {
            name: getattr(shell, name)
            for name in ("display_pub", "events", "displayhook", "input_transformer_manager", "InteractiveTB")
        }
        _pin_publishers(shell)
        owners = [shell] + ([shell.kernel] if getattr(shell, "kernel", None) is not None else [])
        _state["classes"] = {
            cls: {k: v for k, v in vars(cls).items() if isinstance(v, types.FunctionType)}
            for owner in owners
            for cls in _classes_of(owner)
        }
        _state["instance_keys"] = {id(owner): (owner, set(vars(owner))) for owner in owners}


def _pin_publishers(shell) -> None:
    """The kernel calls ``set_parent`` on the shell's display publisher and display hook before
    it runs any request: either set to ``None`` (or to anything that is not one) would leave the
    kernel unable to start a single further cell, the graded tests and the evaluator's requests
    included, and the whole notebook would score 0. Both become properties of the shell's class
    that refuse such a value — the refusal is told in the next graded cell's marker — and still
    take a real one (``%%capture`` swaps in a capturing publisher and puts the old one back)."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher

    cls = type(shell)
    for name, kind in (("display_pub", DisplayPublisher), ("displayhook", DisplayHook)):

        def get(owner, name=name):
            return vars(owner).get(name)

        def put(owner, value, name=name, kind=kind):
            if isinstance(value, kind):
                vars(owner)[name] = value
            else:
                _state.setdefault("refused", []).append(f"shell.{name} = {type(value).__name__} (rechazado)")

        pin = property(get, put)
        setattr(cls, name, pin)
        _state.setdefault("pins", {})[name] = (cls, pin)


def _library_wrapper(current: Any, pristine: Any) -> bool:
    """A library's own rebinding of one of its functions: importing ``torch._dynamo`` wraps
    ``torch.manual_seed`` (``functools.wraps``, code in torch's files). Code a student writes
    lives in a cell or in the workspace, never in the installed packages."""
    code = getattr(_function_of(current), "__code__", None)
    return (
        getattr(current, "__wrapped__", None) is pristine
        and code is not None
        and any(code.co_filename.startswith(folder) for folder in _state.get("library_dirs", ()))
    )


def _restore_dict(target: dict, pristine: dict, label: str, altered: list[str]) -> None:
    for key, value in pristine.items():
        current = target.get(key, _missing)
        if current is value:
            continue
        if _library_wrapper(current, value):
            pristine[key] = current
            continue
        altered.append(f"{label}.{key}")
        target[key] = value


_missing = object()


# What ``restore`` checks, one predicate a threat: each compares a part of the kernel with its
# pristine copy, appends what changed to ``altered`` and puts the pristine value back.


def _module_table(altered: list[str]) -> None:
    """A protected module replaced in ``sys.modules`` (a fake ``course_utils.checks``)."""
    for name, module in _state["modules"].items():
        if name.split(".")[0] in _PROTECTED_PREFIXES and sys.modules.get(name) is not module:
            altered.append(f"sys.modules[{name!r}]")
            sys.modules[name] = module


def _module_attributes(altered: list[str]) -> None:
    """A function, class or module rebound inside a protected module (``np.allclose = …``)."""
    for name, pristine in _state["dicts"].items():
        _restore_dict(vars(_state["modules"][name]), pristine, name, altered)


def _restore_code(function: Any, code: tuple, label: str, altered: list[str]) -> None:
    if not _same(_code_of(function), code):
        altered.append(f"{label}.__code__/__defaults__")
        _put_back(_function_of(function), code)


def _function_code(altered: list[str]) -> None:
    """A function's code or defaults swapped in place (the object stays, its body changes)."""
    for (name, key), (value, code) in _state["codes"].items():
        _restore_code(value, code, f"{name}.{key}", altered)
    for name, code in _state["helper_codes"].items():
        _restore_code(_HELPERS[name], code, name, altered)


def _builtins(altered: list[str]) -> None:
    """A builtin rebound (``builtins.isinstance = …``)."""
    _restore_dict(vars(builtins), _state["builtins"], "builtins", altered)


def _trace_hooks(altered: list[str]) -> None:
    """A trace or profile hook that could rewrite the tests' frames."""
    if (sys.gettrace(), sys.getprofile()) != _state["hooks"]:
        altered.append("sys.settrace/setprofile")
        sys.settrace(_state["hooks"][0])
        sys.setprofile(_state["hooks"][1])


def _shell_methods(shell, altered: list[str]) -> None:
    """A method of IPython's or ipykernel's classes replaced."""
    for cls, pristine in _state["classes"].items():
        for key, value in pristine.items():
            if vars(cls).get(key, _missing) is not value:
                altered.append(f"{cls.__name__}.{key}")
                setattr(cls, key, value)


def _shadowed_methods(shell, altered: list[str]) -> None:
    """A method of the shell or the kernel shadowed by an attribute of the instance."""
    for owner, keys in _state["instance_keys"].values():
        for key in set(vars(owner)) - keys:  # an instance attribute shadowing a method
            if callable(getattr(type(owner), key, None)):
                altered.append(f"{type(owner).__name__}.{key}")
                del vars(owner)[key]


def _publisher_pins(shell, altered: list[str]) -> None:
    """The pins of :func:`_pin_publishers` removed, or a value they refused."""
    for name, (cls, pin) in _state.get("pins", {}).items():
        if vars(cls).get(name) is not pin:
            altered.append(f"{cls.__name__}.{name}")
            setattr(cls, name, pin)
    altered += _state.pop("refused", [])


def _shell_attributes(shell, altered: list[str]) -> None:
    """The display publisher, display hook, event manager, input manager or traceback handler swapped."""
    for name, value in _state["attrs"].items():
        if getattr(shell, name) is not value:
            altered.append(f"shell.{name}")
            setattr(shell, name, value)


def _input_transformers(shell, altered: list[str]) -> None:
    """A transformer that rewrites the test cells' source before they run (a library's is kept)."""
    for name, pristine in _state["lists"].items():
        current = _state["list_objects"][name]
        added = [hook for hook in getattr(shell, name) if hook not in pristine and _from_library(hook)]
        if getattr(shell, name) is not current or [h for h in current if h not in added] != pristine:
            altered.append(f"shell.{name}")
            current[:] = pristine + added
            setattr(shell, name, current)


def _event_hooks(shell, altered: list[str]) -> None:
    """A callback on IPython's events (``pre_run_cell``…) that runs around the tests."""
    callbacks = shell.events.callbacks
    for event, pristine in _state["events"].items():
        current = callbacks.get(event, [])
        added = [hook for hook in current if hook not in pristine and _from_library(hook)]
        if [h for h in current if h not in added] != pristine:
            altered.append(f"shell.events[{event!r}]")
            callbacks[event] = pristine + added


def _custom_exceptions(shell, altered: list[str]) -> None:
    """A custom exception handler that would swallow the tests' failures."""
    if shell.custom_exceptions != ():
        altered.append("set_custom_exc")
    shell.set_custom_exc((), None)


_PROCESS_THREATS = (_module_table, _module_attributes, _function_code, _builtins, _trace_hooks)
_SHELL_THREATS = (
    _shell_methods,
    _shadowed_methods,
    _publisher_pins,
    _shell_attributes,
    _input_transformers,
    _event_hooks,
    _custom_exceptions,
)


def _check(altered: list[str]) -> None:
    """Every threat's predicate, in order: the interpreter's, then (in a kernel) IPython's."""
    for threat in _PROCESS_THREATS:
        threat(altered)
    shell = _state.get("shell")
    if shell is not None:
        for threat in _SHELL_THREATS:
            threat(shell, altered)


def restore(namespace: dict[str, Any], nonce: str = "") -> list[str]:
    """Put back what the graded tests depend on, the test helpers in ``namespace`` included,
    and publish the marker for ``nonce`` with what was found altered (also returned)."""
    altered: list[str] = [] if _state else ["la protección no se activó antes del código del estudiante"]
    if not _state:
        arm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check(altered)
    for name, helper in _HELPERS.items():
        if name in namespace and namespace[name] is not helper:
            altered.append(f"{name} (redefinida)")
        namespace[name] = helper
    shell = _state.get("shell")
    if shell is not None:
        shell.display_pub.publish(data={MARKER_MIME: {"nonce": nonce, "altered": sorted(set(altered))}}, metadata={})
    return altered
