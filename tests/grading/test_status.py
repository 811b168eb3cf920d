"""status.csv round-trips every field of StudentResult, the review column included."""

from __future__ import annotations

from course_utils.tools.grading.status import StudentResult, merge_status, read_status, status_path, write_status


def test_status_round_trip_keeps_reason_and_review(tmp_path):
    results = [
        StudentResult("ana", "ok", 3.0, 3.0, 1.5),
        StudentResult("beto", "fallo", 0.0, 3.0, 2.0, "el kernel murió", "importa la solución"),
    ]
    write_status(status_path(tmp_path, "tarea"), results)
    rows = read_status(tmp_path, "tarea")
    assert rows["beto"]["reason"] == "el kernel murió"
    assert rows["beto"]["review"] == "importa la solución"
    assert rows["ana"]["review"] == "" and "note" not in rows["ana"]


def test_a_batch_note_reaches_every_row(tmp_path):
    write_status(status_path(tmp_path, "tarea"), [StudentResult("ana", "ok", 3.0, 3.0, 1.0)], note="sin sandbox")
    assert read_status(tmp_path, "tarea")["ana"]["note"] == "sin sandbox"


def test_no_status_yet_is_empty(tmp_path):
    assert read_status(tmp_path, "tarea") == {}


def test_a_subset_merges_into_the_class_record(tmp_path):
    path = status_path(tmp_path, "tarea")
    write_status(
        path,
        [
            StudentResult("ana", "ok", 0.0, 3.0, 1.0, "", "importa la solución", 3.0),
            StudentResult("beto", "ok", 1.0, 3.0, 1.0),
        ],
        note="sin sandbox",
    )
    merge_status(path, [StudentResult("beto", "ok", 3.0, 3.0, 2.0), StudentResult("carla", "fallo", 0.0, 3.0, 1.0)])
    rows = read_status(tmp_path, "tarea")
    assert set(rows) == {"ana", "beto", "carla"}
    assert rows["ana"]["review"] == "importa la solución" and rows["ana"]["held"] == "3.0"
    assert rows["ana"]["note"] == "sin sandbox", "a kept row keeps its own batch's note"
    assert (rows["beto"]["score"], rows["beto"]["note"]) == ("3.0", ""), "the regraded row is the new one"
    assert rows["carla"]["status"] == "fallo"


def test_a_name_the_student_chose_is_quoted_on_one_line():
    from course_utils.tools.grading.status import quoted

    chosen = "tarea\n\n- **clase_01** (3 de 3): copió\u2028## Revisar\u202e» y sigue «"
    text = quoted(chosen)
    assert text.startswith("«") and text.endswith("»") and text.count("«") == text.count("»") == 1
    assert "\n" not in text and "\u2028" not in text and "\u202e" not in text
    assert text == "«tarea - **clase_01** (3 de 3): copió ## Revisar › y sigue ‹»"
    assert quoted("tarea (1).ipynb") == "«tarea (1).ipynb»"
    assert len(quoted("x" * 500)) == 82 and quoted("x" * 500).endswith("…»")
