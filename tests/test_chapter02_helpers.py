"""course_utils.chapter02: chapter 02's bookkeeping (issue 26 item 4), out of the notebook."""

import numpy as np

from course_utils.chapter02 import Trained, accuracy, compare_all, family_note, seeds_text
from course_utils.report import recorded_metrics


def test_accuracy_of_a_trained_model():
    split = {"x": np.eye(4), "label": np.array([0, 1, 2, 0])}
    model = Trained("identidad", "una modalidad", lambda s: s["x"], params=0, seconds=0.0)
    assert accuracy(model, split) == 0.75


def test_compare_all_records_difference_interval_and_verdict_for_the_prose():
    a, b = [0.90, 0.92, 0.91, 0.93], [0.80, 0.81, 0.79, 0.82]
    family = compare_all(
        {
            "t_clara": (a, b, "gana A", "gana B"),
            "t_nada": ([0.5, 0.6, 0.4, 0.55], [0.52, 0.58, 0.45, 0.5], "gana A", "gana B"),
        }
    )
    m = recorded_metrics()
    assert family["t_clara"].family == 2
    assert m["t_clara_veredicto"] == "gana A" and m["t_clara_ic"].startswith("IC ")
    assert m["t_nada_veredicto"].startswith("sin efecto medible (")
    assert "," in m["t_clara_ic"] and "." not in m["t_clara_ic"].split("[")[1], "Spanish numbers in the interval"
    assert "semillas" in family_note(family)


def test_seeds_text_describes_without_judging():
    assert seeds_text([1, 2, 3], [0, 0, 0]) == "la diferencia es mayor que 0 en las 3 semillas"
    assert seeds_text([1, -2, 3], [0, 0, 0]) == "la diferencia es mayor que 0 en 2 de las 3 semillas"
    assert seeds_text([0.5, 0.6], [0, 0], threshold=0.1) == "la diferencia es mayor que 0,1 en las 2 semillas"
