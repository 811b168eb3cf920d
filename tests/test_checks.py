"""The Spanish assertion helpers used by graded tests."""

import numpy as np
import pytest
import torch

from course_utils import checks


def test_check_shape_passes_and_fails_in_spanish():
    checks.check_shape(torch.zeros(2, 3), (2, 3))
    with pytest.raises(
        AssertionError, match=r"Forma incorrecta en la salida: se esperaba \(2, 4\) y se obtuvo \(2, 3\)"
    ):
        checks.check_shape(torch.zeros(2, 3), (2, 4), "la salida")


def test_check_close_accepts_tensors_arrays_and_lists():
    checks.check_close(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]))
    checks.check_close([1.0, 2.0], torch.tensor([1.0, 2.0]))


def test_check_close_reports_worst_position():
    with pytest.raises(AssertionError) as err:
        checks.check_close(torch.tensor([[1.0, 2.0], [3.0, 9.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "y")
    message = str(err.value)
    assert "Valores incorrectos en y" in message and "(1, 1)" in message and "5" in message


def test_check_close_mentions_missing_return():
    with pytest.raises(AssertionError, match="return"):
        checks.check_close(None, [1.0])


def test_check_close_shape_mismatch():
    with pytest.raises(AssertionError, match="Forma incorrecta"):
        checks.check_close(torch.zeros(3), torch.zeros(4))


def test_check_raises():
    checks.check_raises(ValueError, int, "x")
    with pytest.raises(AssertionError, match="no lanzó ningún error"):
        checks.check_raises(ValueError, int, "3", what="int('3')")
    with pytest.raises(AssertionError, match="lanzó TypeError"):
        checks.check_raises(ValueError, int, None)


def test_check_grad_flows_detects_missing_and_zero_gradients():
    used, unused = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    (used * 3).sum().backward()
    checks.check_grad_flows([used])
    with pytest.raises(AssertionError, match="No llega gradiente"):
        checks.check_grad_flows([used, unused])
    zero = torch.ones(2, requires_grad=True)
    (zero * 0).sum().backward()
    with pytest.raises(AssertionError, match="es cero"):
        checks.check_grad_flows([zero])


def test_check_named_grads_flow_names_the_parameter():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(3, 2))
    model[0](torch.ones(1, 3)).sum().backward()
    with pytest.raises(AssertionError, match="'1.weight'"):
        checks.check_named_grads_flow(model)


def test_check_true_and_type():
    checks.check_true(True, "nunca")
    with pytest.raises(AssertionError, match="mensaje propio"):
        checks.check_true(False, "mensaje propio")
    with pytest.raises(AssertionError, match="se esperaba int o float y se obtuvo str"):
        checks.check_type("a", (int, float))


def test_visible_tests_message_warns_about_hidden_tests(capsys):
    checks.visible_tests_passed(3)
    out = capsys.readouterr().out
    assert "del ejercicio 3" in out and "ocultas" in out


class _Reference:
    """Stands for a course layer a graded exercise must not delegate to."""

    def __call__(self, x):
        return x * 2


def _reference_function(x):
    return x + 1


def test_check_own_work_passes_own_code_and_returns_its_result():
    assert checks.check_own_work(lambda: 3 * 2, [_Reference, _reference_function]) == 6


@pytest.mark.parametrize(
    "call",
    [
        lambda: _reference_function(1),  # a direct call
        lambda: (lambda f: f(1))(_reference_function),  # through an alias
        lambda: type("Sub", (_Reference,), {})()(1),  # a subclass running the parent's code
    ],
)
def test_check_own_work_catches_calls_aliases_and_subclasses(call):
    with pytest.raises(AssertionError, match="usa la implementación del curso"):
        checks.check_own_work(call, [_Reference, _reference_function], name="tu capa")


def test_check_own_work_catches_a_listed_c_function():
    """F.scaled_dot_product_attention is C code: no Python frame runs, the c_call event does."""
    q = torch.zeros(1, 2, 4)
    attention = torch.nn.functional.scaled_dot_product_attention
    checks.check_own_work(lambda: torch.softmax(q @ q.transpose(-2, -1), dim=-1) @ q, [attention])
    with pytest.raises(AssertionError, match="scaled_dot_product_attention"):
        checks.check_own_work(lambda: attention(q, q, q), [attention])


def test_check_own_work_flags_a_submission_that_switches_the_watch_off():
    import sys

    with pytest.raises(AssertionError, match="desactivó la vigilancia"):
        checks.check_own_work(lambda: sys.setprofile(None), [_reference_function])
