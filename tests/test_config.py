"""Seeds, FAST mode, device choice and data paths."""

import numpy as np
import pytest
import torch

import course_utils
from course_utils import config


@pytest.mark.parametrize(
    "value,expected", [("1", True), ("true", True), ("Sí", True), ("0", False), ("", False), ("no", False)]
)
def test_fast_mode_reads_environment(monkeypatch, value, expected):
    monkeypatch.setenv(config.FAST_ENV, value)
    assert course_utils.fast_mode() is expected


def test_fast_mode_off_when_unset(monkeypatch):
    monkeypatch.delenv(config.FAST_ENV, raising=False)
    monkeypatch.delenv(config.NBGRADER_EXECUTION_ENV, raising=False)
    assert course_utils.fast_mode() is False


@pytest.mark.parametrize("run,expected", [("validate", True), ("autograde", True), ("", False), ("otra", False)])
def test_nbgrader_validate_and_autograde_run_fast(monkeypatch, run, expected):
    """The Validate button (and autograde) must not wait for a full training run."""
    monkeypatch.delenv(config.FAST_ENV, raising=False)
    monkeypatch.setenv(config.NBGRADER_EXECUTION_ENV, run)
    assert course_utils.fast_mode() is expected


def test_set_seed_repeats_numpy_and_torch():
    course_utils.set_seed(123)
    first = (np.random.rand(3), torch.randn(3), torch.nn.Linear(4, 2).weight.detach().clone())
    course_utils.set_seed(123)
    second = (np.random.rand(3), torch.randn(3), torch.nn.Linear(4, 2).weight.detach().clone())
    assert np.array_equal(first[0], second[0])
    assert torch.equal(first[1], second[1]) and torch.equal(first[2], second[2])
    course_utils.set_seed(124)
    assert not torch.equal(torch.randn(3), second[1])


def test_set_seed_repeats_keras_initialisation():
    import keras

    def dense_kernel():
        layer = keras.layers.Dense(3)
        layer.build((None, 5))
        return keras.ops.convert_to_numpy(layer.kernel)

    course_utils.set_seed(7)
    a = dense_kernel()
    course_utils.set_seed(7)
    b = dense_kernel()
    course_utils.set_seed(8)
    c = dense_kernel()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("cuda_present, expected", [(True, "cuda"), (False, "cpu")])
def test_get_device_auto_follows_cuda_availability(monkeypatch, cuda_present, expected):
    # Catches an "auto" that ignores CUDA (always CPU) or assumes it (always CUDA).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda_present)
    assert course_utils.get_device("auto").type == expected
    assert course_utils.get_device().type == expected
    assert course_utils.get_device("cpu").type == "cpu", "an explicit device is never overridden"


def test_data_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    assert course_utils.data_dir("x") == config.repo_root() / "data" / "x"
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    assert course_utils.data_dir("a", "b.txt") == tmp_path / "a" / "b.txt"


def test_keras_uses_tensorflow_backend():
    import keras

    assert keras.backend.backend() == "tensorflow"
