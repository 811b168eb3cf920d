"""Hidden tests judged through the proxy: the verdict is the trusted side's, whatever the
student's code returns or patches (served in-process here; the sandboxed kernel path is
covered by tests/grading/test_hostile_submissions.py and the round trip)."""

import pytest

from course_utils.tools.grading.evaluator.hidden import HiddenTestError, split_hidden
from course_utils.tools.grading.evaluator.local import judge_cell

CELL = """check_close(f([1]), 1)
### BEGIN HIDDEN TESTS
def pruebas_ocultas(student):
    x = torch.arange(6.0).reshape(2, 3)
    check_close(student.f([x, x]), torch.cat([x, x], dim=-1), "f con dos tensores")
    check_raises(ValueError, student.f, [], what="f([])")
    m = student.Net(3)
    g = gradients(m, x)
    check_true(all(v is not None for v in g.param_grads.values()), "sin gradiente en algún parámetro")
    check_true(fetch(m.lin.weight).shape == (2, 3), "forma de los pesos")
    check_true([tuple(b.shape) for b in student.loader] == [(2,), (2,), (1,)], "lotes")
### END HIDDEN TESTS
visible_tests_passed(1)"""

SOLUTION = """
import torch
from torch import nn
def f(xs):
    if not xs:
        raise ValueError("vacío")
    return torch.cat(xs, dim=-1)
class Net(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.lin = nn.Linear(d, 2)
    def forward(self, x):
        return self.lin(x)
loader = [torch.zeros(2), torch.ones(2), torch.ones(1)]
"""


def _namespace(extra=""):
    ns = {}
    exec(SOLUTION + extra, ns)  # noqa: S102 - the test's own code
    return ns


def test_the_kernel_never_runs_the_hidden_block():
    kept, hidden = split_hidden(CELL)
    assert "pruebas_ocultas" not in kept and "check_close(f([1]), 1)" in kept and "visible_tests_passed(1)" in kept
    assert hidden.startswith("def pruebas_ocultas(student):")


def test_a_correct_notebook_earns_the_points():
    verdict = judge_cell(CELL, _namespace(), points=2)
    assert (verdict.points, verdict.message) == (2, ""), verdict
    assert verdict.requests > 5


@pytest.mark.parametrize(
    "mistake, words",
    [
        ("def f(xs):\n    return torch.cat(xs, dim=0)\n", "Forma incorrecta en f con dos tensores"),
        ("def f(xs):\n    return torch.cat(xs, dim=-1) if xs else None\n", "debía lanzar ValueError"),
        ("Net.forward = lambda self, x: self.lin(x.detach()).detach()\n", "sin gradiente"),
        ("del f\n", "no existe «f» en el notebook"),
        ("def f(xs):\n    raise NotImplementedError('Ejercicio sin hacer')\n", "NotImplementedError"),
    ],
)
def test_each_mistake_loses_the_points_with_its_reason(mistake, words):
    verdict = judge_cell(CELL, _namespace(mistake), points=2)
    assert verdict.points == 0 and words in verdict.message, verdict


def test_a_cell_without_the_evaluators_function_is_the_courses_error():
    with pytest.raises(HiddenTestError):
        judge_cell("x = 1\n### BEGIN HIDDEN TESTS\ncheck_true(False, 'viejo')\n### END HIDDEN TESTS", {})


def test_a_value_kept_in_the_kernel_shows_in_place_edits():
    cell = """### BEGIN HIDDEN TESTS
def pruebas_ocultas(student):
    xs = student.keep([torch.ones(2), torch.full((2,), 2.0)])
    student.suma_en_sitio(xs)
    check_close(fetch(xs)[0], torch.ones(2), "el primer tensor (no debe modificarse)")
### END HIDDEN TESTS"""
    honest = {"suma_en_sitio": lambda xs: xs[0] + xs[1]}
    exec("def suma_en_sitio(xs):\n    xs[0] += xs[1]\n    return xs[0]", mutating := {})  # noqa: S102
    assert judge_cell(cell, honest).points == 1
    verdict = judge_cell(cell, mutating)
    assert verdict.points == 0 and "no debe modificarse" in verdict.message, verdict


def test_own_work_catches_a_library_routine_under_its_c_name_and_a_thread():
    cell = """### BEGIN HIDDEN TESTS
def pruebas_ocultas(student):
    q = torch.randn(1, 2, 4, generator=torch.Generator().manual_seed(0))
    out = own_work(student.atiende, q, q, q, name="atiende",
                   forbidden=["torch.nn.functional.scaled_dot_product_attention"])
    check_close(out, torch.softmax(q @ q.transpose(-2, -1) / 2.0, -1) @ q, "atiende")
### END HIDDEN TESTS"""
    own = "import torch\ndef atiende(q, k, v):\n    return torch.softmax(q @ k.transpose(-2, -1) / 2.0, -1) @ v\n"
    library = (
        "import torch.nn.functional as F\ndef atiende(q, k, v):\n    return F.scaled_dot_product_attention(q, k, v)\n"
    )
    threaded = (
        "import threading, torch.nn.functional as F\n"
        "def atiende(q, k, v):\n    box = []\n"
        "    t = threading.Thread(target=lambda: box.append(F.scaled_dot_product_attention(q, k, v)))\n"
        "    t.start(); t.join()\n    return box[0]\n"
    )
    verdicts = {}
    for name, source in {"own": own, "library": library, "threaded": threaded}.items():
        exec(source, namespace := {})  # noqa: S102 - the test's own code
        verdicts[name] = judge_cell(cell, namespace)
    assert verdicts["own"].points == 1, verdicts["own"]
    for name in ("library", "threaded"):
        assert verdicts[name].points == 0 and "ya resuelve el ejercicio" in verdicts[name].message, verdicts[name]


def test_gradients_of_a_chosen_output():
    cell = """### BEGIN HIDDEN TESTS
def pruebas_ocultas(student):
    x = torch.ones(3)
    g = gradients(student.dos, x, output=1)
    check_close(g.input_grads[0], torch.full((3,), 3.0), "gradiente de la segunda salida")
### END HIDDEN TESTS"""
    assert judge_cell(cell, {"dos": lambda x: (2 * x, 3 * x)}).points == 1
    assert judge_cell(cell, {"dos": lambda x: (2 * x, 2 * x)}).points == 0


SECRET_INPUTS = """check_close(doble(2), 4, name="doble(2)")
### BEGIN HIDDEN TESTS
def pruebas_ocultas(student):
    x = round(float(student.rng.uniform(-100, 100)), 3)
    check_close(student.doble(x), 2 * x, name=f"doble({x})")
    g = student.torch_generator()
    t = torch.randn(3, generator=g)
    check_close(student.doble(t), 2 * t, name="doble de un tensor")
### END HIDDEN TESTS"""


def test_hidden_inputs_drawn_from_the_gradings_secret_cannot_be_memorised():
    """A table of the inputs one verdict message printed scores nothing the next grading: the
    inputs come from a fresh secret each time (a fixed ``seed`` reproduces one verdict)."""
    honest = {"doble": lambda x: 2 * x}
    assert all(judge_cell(SECRET_INPUTS, honest).points == 1 for _ in range(3))
    first = judge_cell(SECRET_INPUTS, {"doble": lambda x: x}, seed=7)
    assert first.points == 0 and first.message == judge_cell(SECRET_INPUTS, {"doble": lambda x: x}, seed=7).message
    seen = float(first.message.split("doble(")[1].split(")")[0])  # the input the verdict printed
    table = {"doble": lambda x, seen=seen: 2 * x if isinstance(x, float) and x == seen else x}
    replayed = judge_cell(SECRET_INPUTS, table, seed=7)
    assert "doble de un tensor" in replayed.message, "with the same inputs the table gets past that check"
    fresh = judge_cell(SECRET_INPUTS, table)
    assert fresh.points == 0 and f"doble({seen})" not in fresh.message and "doble(" in fresh.message
    messages = {judge_cell(SECRET_INPUTS, {"doble": lambda x: x}).message for _ in range(5)}
    assert len(messages) == 5, "each grading draws other inputs"
    # the teacher's log keeps each grading's secret: a disputed verdict is replayed exactly
    disputed = judge_cell(SECRET_INPUTS, {"doble": lambda x: x})
    again = judge_cell(SECRET_INPUTS, {"doble": lambda x: x}, seed=disputed.seed)
    assert isinstance(disputed.seed, int) and again.message == disputed.message


def test_an_exception_of_the_hidden_test_itself_asks_for_review_and_never_blames_the_student():
    """0 for an exception raised by a check or by the student's code (with "tu código lanzó"); an
    exception in the test's own lines (a bug, or a value the test did not foresee) is marked
    ``test_error``: the evaluator then holds the points for the teacher (chapter 07's greedy
    decoding once blamed the student for the test's own ``max()`` of an empty set)."""
    namespace = {"f": lambda x: x + 1, "g": lambda x: [1, 2]}

    def verdict(body: str):
        return judge_cell(
            f"### BEGIN HIDDEN TESTS\ndef pruebas_ocultas(student):\n{body}\n### END HIDDEN TESTS", namespace
        )

    own = verdict("    check_true(student.f(1) == 2, 'f')\n    max([])")
    assert (own.points, own.test_error) == (0, "ValueError: max() arg is an empty sequence")
    assert "tu código" not in own.message and "revisará" in own.message
    unforeseen = verdict("    student.g(1).shape")
    assert unforeseen.test_error.startswith("AttributeError") and unforeseen.points == 0
    for body, words in (
        ("    student.f('a')", "tu código lanzó TypeError"),  # raised by the student's code
        ("    check_true(student.f(1) == 3, 'f no suma 1')", "f no suma 1"),  # a check
        ("    np.asarray(student.g)", "se esperaba un tensor"),  # an object where data was expected
    ):
        judged = verdict(body)
        assert (judged.points, judged.test_error) == (0, "") and words in judged.message, judged
