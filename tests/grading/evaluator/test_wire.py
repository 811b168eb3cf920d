"""The wire format carries plain data only, and the trusted side rebuilds it strictly."""

import base64

import numpy as np
import pytest
import torch

from course_utils.tools.grading.evaluator.wire import Ref, WireError, decode, encode


@pytest.mark.parametrize(
    "value",
    [
        torch.arange(6, dtype=torch.float32).reshape(2, 3),
        torch.tensor([[True, False]]),
        torch.tensor([1, -2, 3], dtype=torch.int64),
        torch.randn(2, 2).to(torch.bfloat16),
        torch.zeros(0, 4),
        np.array([[1.5, -2.0]], dtype=np.float64),
        np.arange(4, dtype=np.uint8),
    ],
)
def test_arrays_come_back_equal_with_their_dtype_and_shape(value):
    back = decode(encode(value))
    assert type(back) is type(value) if isinstance(value, np.ndarray) else type(back) is torch.Tensor
    assert back.dtype == value.dtype and tuple(back.shape) == tuple(value.shape)
    assert (back == value).all()


def test_numbers_structures_and_non_finite_floats():
    value = {"a": [1, 2.5, None, True, "ñ"], 3: (float("nan"), float("inf"), -float("inf")), "s": torch.Size([2, 3])}
    back = decode(encode(value))
    assert back["a"] == [1, 2.5, None, True, "ñ"] and back["s"] == (2, 3)
    assert np.isnan(back[3][0]) and back[3][1:] == (float("inf"), -float("inf"))


def test_numpy_scalars_become_python_numbers():
    assert decode(encode(np.float32(0.5))) == 0.5 and type(decode(encode(np.int64(3)))) is int


def test_an_int_whose_comparisons_always_agree_arrives_as_its_true_value():
    class Agrees(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    back = decode(encode(Agrees(0)))
    assert type(back) is int and back == 0 and back != 7


def test_objects_with_methods_never_cross():
    with pytest.raises(WireError):
        encode(object())
    made = []
    data = encode(torch.nn.Linear(2, 2), refer=lambda obj: made.append(obj) or Ref(len(made), "Linear"))
    assert isinstance(decode(data), Ref) and made and isinstance(made[0], torch.nn.Linear)


@pytest.mark.parametrize(
    "data",
    [
        {"pickle": "gASVAAAAAAAAAA=="},  # an unknown tag
        {"array": {"lib": "torch", "dtype": "object", "shape": [1], "data": ""}},  # a dtype off the list
        {"array": {"lib": "torch", "dtype": "float32", "shape": [4], "data": base64.b64encode(b"1234").decode()}},
        {"array": {"lib": "torch", "dtype": "float32", "shape": [-1], "data": ""}},
        {"array": {"lib": "numpy", "dtype": "float32", "shape": [1], "data": "no es base64!"}},
        {"float": "1e309"},
        {"dict": [[{"list": []}, 1]]},  # an unhashable key
        {"ref": "1"},
        [1, 2],  # a bare JSON list is not a value of the format
    ],
)
def test_the_trusted_side_refuses_anything_else(data):
    with pytest.raises(WireError):
        decode(data)


def test_depth_is_bounded():
    data = 0
    for _ in range(100):
        data = {"list": [data]}
    with pytest.raises(WireError):
        decode(data)
