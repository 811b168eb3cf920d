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
    assert "Valores incorrectos en y: la mayor diferencia es 5.0 en la posición [1, 1]" in message
    assert "se esperaba 4.0, se obtuvo 9.0" in message


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


def _failure(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as err:
        check(*args, **kwargs)
    assert type(err.value) is checks.CheckFailure, f"a plain {type(err.value).__name__}, not the Spanish failure"
    return str(err.value)


def _masked_mean_without_clamp(values, mask):
    """Notebook 03's canonical mistake in exercise 3: dividing by the count of valid positions,
    which is 0 for a row without any (0/0 = NaN)."""
    weights = mask.unsqueeze(-1).to(values.dtype)
    return (values * weights).sum(dim=1) / weights.sum(dim=1)


def test_check_close_reports_an_all_nan_output_in_spanish_with_its_position():
    """Notebook 03's masked mean without the clamp gives NaN everywhere on rows without valid
    positions; np.nanargmax used to crash on it with "ValueError: All-NaN slice encountered"."""
    empty = _masked_mean_without_clamp(torch.randn(2, 4, 3), torch.zeros(2, 4, dtype=torch.bool))
    assert torch.isnan(empty).all()
    message = _failure(checks.check_close, empty, torch.zeros(2, 3), "masked_mean de filas vacías")
    assert message.startswith("masked_mean de filas vacías contiene NaN en la posición [0, 0] (se esperaba 0.0)")
    assert "6 de 6 valores no son finitos" in message and "0/0" in message


def test_check_close_reports_the_first_nan_or_infinity_not_the_largest_difference():
    actual = torch.tensor([[1.0, 50.0, 3.0], [float("nan"), 5.0, float("inf")]])
    message = _failure(checks.check_close, actual, torch.ones(2, 3), "x")
    assert message.startswith("x contiene NaN en la posición [1, 0] (se esperaba 1.0); 2 de 6 valores no son finitos")
    message = _failure(checks.check_close, torch.tensor([1.0, float("inf")]), [1.0, 2.0], "y")
    assert "y contiene infinito (inf) en la posición [1] (se esperaba 2.0)" in message and "dividir entre 0" in message
    message = _failure(checks.check_close, np.array([-np.inf]), [0.0], "z")
    assert "z contiene menos infinito (-inf) en la posición [0]" in message
    message = _failure(checks.check_close, torch.tensor(float("nan")), 1.0, "la pérdida")
    assert message.startswith("la pérdida contiene NaN en su valor (se esperaba 1.0).")


def test_check_close_accepts_matching_infinities_and_survives_nan_in_the_expected_value():
    checks.check_close(torch.tensor([1.0, float("-inf")]), [1.0, float("-inf")], "máscara")
    message = _failure(checks.check_close, [1.0, 2.0], [1.0, float("nan")], "x")
    assert "la mayor diferencia es inf en la posición [1] (se esperaba nan, se obtuvo 2.0" in message


@pytest.mark.parametrize(
    "actual,expected,text",
    [
        (np.float32(1.0), 0.5, "se esperaba 0.5, se obtuvo 1.0"),
        (torch.tensor(1.0), torch.tensor(0.5), "se esperaba 0.5, se obtuvo 1.0"),
        (
            torch.tensor([0.1]),
            np.array([0.2], dtype=np.float32),
            "la mayor diferencia es 0.1 en la posición [0] (se esperaba 0.2, se obtuvo 0.1",
        ),
        (np.int64(3), 4, "se esperaba 4, se obtuvo 3"),
        (torch.tensor([True, False]), [True, True], "se esperaba True, se obtuvo False"),
        (torch.tensor([2.0], dtype=torch.bfloat16), [1.0], "se esperaba 1.0, se obtuvo 2.0"),
    ],
)
def test_check_close_prints_plain_numbers(actual, expected, text):
    message = _failure(checks.check_close, actual, expected, "v")
    assert text in message, message
    assert not any(wrapper in message for wrapper in ("np.", "tensor(", "array(", "dtype")), message
    assert "tolerancia 1e-05 + 0.0001 × |esperado|" in message


def test_check_close_refuses_what_is_not_numbers_in_spanish():
    assert "lo obtenido debe ser numérico y es dict" in _failure(checks.check_close, {"a": 1}, 1.0, "d")
    assert "lo obtenido debe ser numérico y es list" in _failure(checks.check_close, ["a"], [1.0], "s")


def test_check_shape_names_a_missing_return_and_prints_plain_shapes():
    assert "es None: ¿olvidaste devolver (return) el valor?" in _failure(checks.check_shape, None, (2,), "f")
    message = _failure(checks.check_shape, torch.zeros(2, 3), torch.Size([2, 4]), "g")
    assert message == "Forma incorrecta en g: se esperaba (2, 4) y se obtuvo (2, 3)."


def test_check_true_with_a_tensor_of_several_values_fails_in_spanish():
    message = _failure(checks.check_true, torch.tensor([True, False]), "todas deben ser positivas")
    assert message.startswith("todas deben ser positivas (la comprobación dio Tensor de forma (2,)")
    checks.check_true(np.bool_(True), "nunca")


def test_check_grad_flows_reports_nan_and_infinite_gradients_with_their_position():
    w = torch.ones(4, requires_grad=True)
    (w * torch.tensor([1.0, 2.0, float("nan"), 1.0])).sum().backward()
    message = _failure(checks.check_grad_flows, [w], "el modelo")
    assert message.startswith("El gradiente del tensor n.º 0 del modelo contiene NaN en la posición [2] (1 de 4")
    layer = torch.nn.Linear(2, 1)
    (layer(torch.tensor([[1.0, float("inf")]])) * 0 + layer.weight.sum() * float("inf")).sum().backward()
    message = _failure(checks.check_named_grads_flow, layer, "la capa")
    assert "El gradiente del parámetro 'weight' de la capa contiene" in message and "en la posición [0, " in message
