"""Collecting submissions from a folder tree into nbgrader's layout."""

from course_utils.tools.grading.collect import collect_tree


def test_collect_takes_student_folders_and_says_why_it_skips_the_rest(tmp_path):
    src = tmp_path / "entregas"
    (src / "ana").mkdir(parents=True)
    (src / "ana" / "tarea.ipynb").write_text("{}", encoding="utf-8")
    (src / "ana" / "datos.csv").write_text("a,b", encoding="utf-8")
    (src / "blas" / "tarea").mkdir(parents=True)  # nested assignment folder
    (src / "blas" / "tarea" / "tarea.ipynb").write_text("{}", encoding="utf-8")
    (src / "carla").mkdir()
    (src / "carla" / "notas.txt").write_text("sin notebook", encoding="utf-8")
    (src / "con espacio").mkdir()
    (src / "con espacio" / "tarea.ipynb").write_text("{}", encoding="utf-8")
    (src / "suelto.ipynb").write_text("{}", encoding="utf-8")
    course = tmp_path / "curso"
    result = collect_tree(src, course, "tarea")
    assert [s for s, _ in result.taken] == ["ana", "blas"]
    assert (course / "submitted" / "ana" / "tarea" / "datos.csv").is_file()
    assert (course / "submitted" / "blas" / "tarea" / "tarea.ipynb").is_file()
    reasons = {p.name: why for p, why in result.skipped}
    assert set(reasons) == {"carla", "con espacio", "suelto.ipynb"}
    assert "notebook" in reasons["carla"] and "identificador" in reasons["con espacio"]
