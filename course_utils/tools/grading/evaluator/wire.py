"""The evaluator's wire format: plain data only, the same on both sides.

A value on the wire is JSON: ``null``, booleans, integers, finite floats and strings as
themselves, and tagged objects for everything else — ``{"float": "nan"}``, ``{"list": […]}``,
``{"tuple": […]}``, ``{"dict": [[key, value], …]}``, ``{"array": {"lib", "dtype", "shape",
"data"}}`` (the raw bytes in base64) and ``{"ref": n}`` (an object that stays in the kernel,
named by a number). Nothing is ever unpickled and no object with methods crosses: the trusted
side rebuilds arrays from bytes with :func:`decode`, which accepts only these shapes.
"""

from __future__ import annotations

import base64
import math
from typing import Any

# dtype name on the wire → (NumPy dtype used to read the bytes, item size)
DTYPES = {
    "bool": ("bool", 1),
    "uint8": ("uint8", 1),
    "int8": ("int8", 1),
    "int16": ("int16", 2),
    "int32": ("int32", 4),
    "int64": ("int64", 8),
    "float16": ("float16", 2),
    "bfloat16": ("uint16", 2),  # torch only: the raw 16-bit patterns, viewed back on arrival
    "float32": ("float32", 4),
    "float64": ("float64", 8),
}
LIBS = ("torch", "numpy")
MAX_DEPTH = 32
MAX_ARRAY_BYTES = 256 * 1024 * 1024


class WireError(ValueError):
    """A message that is not plain data in the evaluator's format (Spanish message)."""


class Ref:
    """A handle to an object that stays in the kernel (a model, a data loader…)."""

    __slots__ = ("number", "kind")

    def __init__(self, number: int, kind: str = ""):
        self.number, self.kind = number, kind

    def __repr__(self) -> str:
        return f"<objeto remoto #{self.number} ({self.kind})>"


def encode_float(x: float) -> Any:
    return x if math.isfinite(x) else {"float": repr(x)}


def encode_array(lib: str, dtype: str, shape: tuple[int, ...], raw: bytes) -> dict:
    return {"array": {"lib": lib, "dtype": dtype, "shape": list(shape), "data": base64.b64encode(raw).decode("ascii")}}


def encode(value: Any, refer=None) -> Any:
    """``value`` as wire data. Tensors and arrays become bytes; ``refer(obj) -> Ref`` is asked
    for anything else (without it, such a value is an error)."""
    return _encode(value, refer, 0)


def _encode(value: Any, refer, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("estructura demasiado anidada")
    if value is None or isinstance(value, (bool, str)) and type(value) in (bool, str):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return encode_float(value)
    if isinstance(value, int) and not isinstance(value, bool):  # an int subclass: its true value
        return int.__int__(value)
    if isinstance(value, float):
        return encode_float(float.__float__(value))
    if isinstance(value, Ref):
        return {"ref": value.number}
    array = _as_array(value)
    if array is not None:
        return array
    scalar = _as_scalar(value)
    if scalar is not None:
        return scalar
    if type(value) in (list, tuple):
        items = [_encode(v, refer, depth + 1) for v in value]
        return {type(value).__name__: items}
    if type(value) is dict or _is_plain_mapping(value):
        return {"dict": [[_encode(k, refer, depth + 1), _encode(v, refer, depth + 1)] for k, v in value.items()]}
    if _is_size(value):
        return {"tuple": [int(d) for d in value]}
    if refer is None:
        raise WireError(f"no es un dato simple: {type(value).__name__}")
    ref = refer(value)
    return {"ref": ref.number, "kind": ref.kind}


def _is_plain_mapping(value: Any) -> bool:
    import collections

    return type(value) is collections.OrderedDict


def _is_size(value: Any) -> bool:
    return type(value).__name__ == "Size" and type(value).__module__ == "torch"


def _as_scalar(value: Any) -> Any:
    """NumPy scalars as Python numbers."""
    module = type(value).__module__
    if module == "numpy" and hasattr(value, "item") and getattr(value, "shape", None) == ():
        item = value.item()
        if type(item) in (bool, int):
            return item
        if type(item) is float:
            return encode_float(item)
    return None


def _as_array(value: Any) -> dict | None:
    """Torch tensors, NumPy arrays and TensorFlow tensors as raw bytes (kernel side)."""
    module = type(value).__module__ or ""
    if module.startswith("torch") and type(value).__name__ in ("Tensor", "Parameter"):
        import torch

        t = value.detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            return encode_array("torch", "bfloat16", tuple(t.shape), t.view(torch.uint16).numpy().tobytes())
        name = str(t.dtype).replace("torch.", "")
        if name not in DTYPES:
            raise WireError(f"tipo de tensor no admitido: {name}")
        return encode_array("torch", name, tuple(t.shape), t.numpy().tobytes())
    if module == "numpy" and type(value).__name__ == "ndarray":
        import numpy as np

        a = np.ascontiguousarray(value)
        if a.dtype.name not in DTYPES or a.dtype.name == "bfloat16":
            raise WireError(f"tipo de array no admitido: {a.dtype.name}")
        return encode_array("numpy", a.dtype.name, a.shape, a.tobytes())
    if module.startswith("tensorflow") and hasattr(value, "numpy") and hasattr(value, "dtype"):
        return _as_array(value.numpy())
    return None


def decode(data: Any, depth: int = 0) -> Any:
    """Rebuild a wire value on the trusted side: Python numbers, strings, lists, tuples, dicts,
    fresh ``torch.Tensor``/``numpy.ndarray`` objects and :class:`Ref`. Anything else raises
    :class:`WireError`."""
    if depth > MAX_DEPTH:
        raise WireError("estructura demasiado anidada")
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is float:
        return data
    if type(data) is not dict or len(data) not in (1, 2):
        raise WireError(f"dato no reconocido: {type(data).__name__}")
    if set(data) <= {"ref", "kind"} and "ref" in data:
        if type(data["ref"]) is not int:
            raise WireError("referencia no válida")
        return Ref(data["ref"], str(data.get("kind", ""))[:200])
    if len(data) != 1:
        raise WireError("dato no reconocido")
    ((tag, body),) = data.items()
    if tag == "float":
        if body not in ("nan", "inf", "-inf"):
            raise WireError("número no válido")
        return float(body)
    if tag in ("list", "tuple"):
        if type(body) is not list:
            raise WireError("lista no válida")
        items = [decode(v, depth + 1) for v in body]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        if type(body) is not list or not all(type(p) is list and len(p) == 2 for p in body):
            raise WireError("diccionario no válido")
        out = {}
        for key, value in body:
            k = decode(key, depth + 1)
            if not isinstance(k, (str, int, float, bool, tuple)) and k is not None:
                raise WireError("clave de diccionario no válida")
            out[k] = decode(value, depth + 1)
        return out
    if tag == "array":
        return _decode_array(body)
    raise WireError(f"etiqueta desconocida: {str(tag)[:40]}")


def _decode_array(body: Any):
    import numpy as np

    if type(body) is not dict or set(body) != {"lib", "dtype", "shape", "data"}:
        raise WireError("array no válido")
    lib, dtype, shape, data = body["lib"], body["dtype"], body["shape"], body["data"]
    if lib not in LIBS or dtype not in DTYPES or type(data) is not str:
        raise WireError("array no válido")
    if type(shape) is not list or not all(type(d) is int and d >= 0 for d in shape) or len(shape) > 16:
        raise WireError("forma de array no válida")
    numpy_dtype, size = DTYPES[dtype]
    count = math.prod(shape)
    if count * size > MAX_ARRAY_BYTES:
        raise WireError("array demasiado grande")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as err:
        raise WireError("bytes de array no válidos") from err
    if len(raw) != count * size:
        raise WireError(f"el array dice tener forma {tuple(shape)} pero trae {len(raw)} bytes")
    array = np.frombuffer(raw, dtype=numpy_dtype).reshape(shape).copy()
    if lib == "numpy":
        if dtype == "bfloat16":
            raise WireError("array no válido")
        return array
    import torch

    tensor = torch.from_numpy(array)
    return tensor.view(torch.bfloat16) if dtype == "bfloat16" else tensor
