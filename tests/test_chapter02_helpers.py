"""course_utils.chapter02: chapter 02's bookkeeping (issue 26 item 4), out of the notebook. It records
numbers and verdict words only; the sentences are the notebook's Markdown alternatives."""

import json

import numpy as np
import pytest

from course_utils.chapter02 import CASES, Trained, accuracy, compare_all, record_family
from course_utils.prose import choose, fill, values_from_metrics_file
from course_utils.report import METRICS_ENV


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """What the helpers record, read back as ``course run`` reads it."""
    target = tmp_path / "m.jsonl"
    monkeypatch.setenv(METRICS_ENV, str(target))
    return lambda: values_from_metrics_file(target)


def test_accuracy_of_a_trained_model():
    split = {"x": np.eye(4), "label": np.array([0, 1, 2, 0])}
    model = Trained("identidad", "una modalidad", lambda s: s["x"], params=0, seconds=0.0)
    assert accuracy(model, split) == 0.75


def test_compare_all_records_numbers_and_a_verdict_word(recorded):
    a, b = [0.90, 0.92, 0.91, 0.93], [0.80, 0.81, 0.79, 0.82]
    family = compare_all(
        {
            "t_clara": (a, b),
            "t_al_reves": (b, a),
            "t_nada": ([0.5, 0.6, 0.4, 0.55], [0.52, 0.58, 0.45, 0.5]),
            "t_umbral": (a, b, 0.5),  # a − b ≈ 0.11, far below 0.5
            "t_igual": ([0.5, 0.5, 0.5, 0.5], [0.4, 0.4, 0.4, 0.4]),
        }
    )
    v = recorded()
    assert family["t_clara"].family == 5
    cases = {name: v[f"{name}_caso"] for name in family}
    assert cases == {
        "t_clara": "mejor",
        "t_al_reves": "peor",
        "t_nada": "ninguno",
        "t_umbral": "peor",
        "t_igual": "sin_juzgar",
    }
    assert set(cases.values()) <= set(CASES)
    assert v["t_nada_mayor"] == 2 and v["t_nada_n"] == 4, "seeds where a − b > 0: the second and the fourth"
    assert v["t_umbral_mayor"] == 0 and abs(v["t_umbral"] - 0.11) < 1e-9
    assert v["t_clara_ic"].startswith("IC ") and "." not in v["t_clara_ic"].split("[")[1], "Spanish numbers"
    assert all(" " not in str(v[f"{name}_caso"]) for name in family), "a value an alternative's link can hold"


def test_record_family_gives_the_prose_its_numbers(recorded):
    record_family("f3", compare_all({"x": ([1.0, 2.0, 3.5], [0.0, 0.5, 0.2]), "y": ([1.0, 2.0, 3.0], [1.1, 2.1, 2.0])}))
    record_family("f1", compare_all({"z": ([1.0], [0.0])}))
    v = recorded()
    assert (v["f3_k"], v["f3_n"], v["f3_gl"], v["f3_caso"]) == (2, 3, 2, "varias_semillas")
    assert abs(v["f3_nivel"] - 0.975) < 1e-12 and abs(v["f3_t95"] - 4.303) < 1e-3 and abs(v["f3_t"] - 6.205) < 1e-3
    assert v["f1_caso"] == "una_semilla" and "f1_t" not in v


def test_the_recorded_words_choose_the_notebooks_sentences(recorded):
    """The records fill a Markdown list of cases the way chapter 02 writes it (no sentence in Python)."""
    compare_all({"d": ([0.9, 0.92, 0.91], [0.8, 0.81, 0.79])})
    text = (
        "Diferencia [(al ejecutar)](#=d:+.3f) ([(al ejecutar)](#=d_ic))\n"
        "- [Si queda por encima de 0:](#?d_caso=mejor) : **gana A**.\n"
        "- [Si queda por debajo:](#?d_caso=peor) : **gana B**.\n"
        "- [Si lo contiene:](#?d_caso=ninguno) : **sin efecto medible** (mayor en [(al ejecutar)](#=d_mayor) "
        "de [(al ejecutar)](#=d_n)).\n"
        "- [Sin intervalo:](#?d_caso=sin_juzgar) : **sin juzgar**.\n"
    )
    v = recorded()
    filled = fill(choose(text, v), v)
    assert filled.startswith("Diferencia +0,110 (IC ") and filled.rstrip().endswith("): **gana A**."), filled
    assert json.dumps(filled).count("al ejecutar") == 0
