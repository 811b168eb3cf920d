"""Collecting submissions from a folder tree into nbgrader's layout: what is taken, what is
refused and why (Spanish, naming the student and the file), and the submission time collect
records (never a ``timestamp.txt`` the student wrote)."""

import os
import time
import unicodedata
from datetime import datetime, timezone

from course_utils.tools.grading.collect import CollectLimits, collect_tree, nbgrader_timestamp, read_manifest


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


def _notebook(path, text="{}"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_link_is_refused_not_graded_as_a_phantom(tmp_path):
    src = tmp_path / "entregas"
    _notebook(src / "ana" / "tarea.ipynb")
    (src / "fantasma").symlink_to(src / "ana")
    (src / "ana2").mkdir()
    (src / "ana2" / "tarea").symlink_to(src / "ana")
    result = collect_tree(src, tmp_path / "curso", "tarea")
    assert [s for s, _ in result.taken] == ["ana"]
    reasons = {p.name: why for p, why in result.skipped}
    assert "enlace simbólico" in reasons["fantasma"] and "«fantasma»" in reasons["fantasma"]
    assert "ana2" in reasons["ana2"] and "enlace simbólico" in reasons["ana2"]
    assert not (tmp_path / "curso" / "submitted" / "fantasma").exists()
    assert read_manifest(tmp_path / "curso", "tarea")["ana2"]["status"] == "rechazada"


def test_accented_ids_are_normalised_to_nfc_and_kept(tmp_path):
    src = tmp_path / "entregas"
    decomposed = unicodedata.normalize("NFD", "josé")
    assert decomposed != "josé"
    _notebook(src / decomposed / "tarea.ipynb")
    _notebook(src / "Zoë_2" / "tarea.ipynb")
    result = collect_tree(src, tmp_path / "curso", "tarea")
    assert {s for s, _ in result.taken} == {"josé", "Zoë_2"}
    assert set(os.listdir(tmp_path / "curso" / "submitted")) == {"josé", "Zoë_2"}  # NFC on disk too
    assert any("NFC" in note and "josé" in note for _, note in result.notes)


def test_two_folders_with_the_same_normalised_id_are_both_refused(tmp_path):
    src = tmp_path / "entregas"
    _notebook(src / "josé" / "tarea.ipynb")
    _notebook(src / unicodedata.normalize("NFD", "josé") / "tarea.ipynb")
    result = collect_tree(src, tmp_path / "curso", "tarea")
    assert result.taken == []
    assert len(result.skipped) == 2 and all("mismo identificador «josé»" in why for _, why in result.skipped)


def test_large_files_are_refused_and_reported_and_sparse_ones_never_copied(tmp_path):
    src = tmp_path / "entregas"
    _notebook(src / "ana" / "tarea.ipynb")
    with open(src / "ana" / "disperso.bin", "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # 200 MiB apparent, nothing on disk
    (src / "ana" / "datos.csv").write_bytes(b"x" * (2 * 1024 * 1024))
    (src / "ana" / "mas.csv").write_bytes(b"x" * (2 * 1024 * 1024))
    result = collect_tree(src, tmp_path / "curso", "tarea", CollectLimits(max_file_mb=3, max_total_mb=3))
    dest = tmp_path / "curso" / "submitted" / "ana" / "tarea"
    assert sorted(p.name for p in dest.iterdir()) == ["datos.csv", "tarea.ipynb", "timestamp.txt"]
    notes = " | ".join(note for _, note in result.notes)
    assert "ana: «disperso.bin» ocupa 200,0 MiB, más que el límite de 3 MiB por fichero" in notes
    assert "ana: «mas.csv» supera el límite de 3 MiB por entrega" in notes


def test_a_notebook_too_large_refuses_the_submission_with_the_reason(tmp_path):
    src = tmp_path / "entregas"
    _notebook(src / "ana" / "tarea.ipynb", "x" * (2 * 1024 * 1024))
    result = collect_tree(src, tmp_path / "curso", "tarea", CollectLimits(max_file_mb=1))
    assert result.taken == []
    why = read_manifest(tmp_path / "curso", "tarea")["ana"]["note"]
    assert "tarea.ipynb" in why and "límite de 1 MiB" in why


def test_the_submission_time_is_collects_never_the_students(tmp_path):
    src = tmp_path / "entregas"
    notebook = _notebook(src / "ana" / "tarea.ipynb")
    (src / "ana" / "timestamp.txt").write_text("2000-01-01 00:00:00.000000 UTC", encoding="utf-8")
    arrived = datetime.now(timezone.utc).replace(microsecond=0).timestamp() - 3 * 86400
    os.utime(notebook, (arrived, arrived))
    _notebook(src / "beto" / "tarea.ipynb")
    future = time.time() + 86400 * 365
    os.utime(src / "beto" / "tarea.ipynb", (future, future))
    result = collect_tree(src, tmp_path / "curso", "tarea")
    stamp = (tmp_path / "curso" / "submitted" / "ana" / "tarea" / "timestamp.txt").read_text(encoding="utf-8")
    assert stamp == nbgrader_timestamp(arrived)
    assert read_manifest(tmp_path / "curso", "tarea")["ana"]["submitted_at"] == stamp
    assert read_manifest(tmp_path / "curso", "tarea")["ana"]["note"] == ""
    assert any("ana: se descarta el «timestamp.txt» entregado" in note for _, note in result.notes)
    beto = read_manifest(tmp_path / "curso", "tarea")["beto"]
    assert beto["submitted_at"] < nbgrader_timestamp(time.time() + 60), (
        "a modification time in the future is not believed"
    )
    assert "es posterior a la recogida" in beto["note"]
    collect_tree(src, tmp_path / "ahora", "tarea", time_from="now")
    assert read_manifest(tmp_path / "ahora", "tarea")["ana"]["submitted_at"] >= nbgrader_timestamp(time.time() - 60)


def test_a_misnamed_notebook_is_taken_with_a_note_or_refused_when_ambiguous(tmp_path):
    src = tmp_path / "entregas"
    _notebook(src / "ana" / "tarea (1).ipynb")
    _notebook(src / "beto" / "Copia de tarea.ipynb")
    _notebook(src / "beto" / "tarea (2).ipynb")
    _notebook(src / "carla" / "tarea.ipynb")
    _notebook(src / "carla" / "borrador.ipynb")
    result = collect_tree(src, tmp_path / "curso", "tarea")
    assert sorted(s for s, _ in result.taken) == ["ana", "carla"]
    ana = tmp_path / "curso" / "submitted" / "ana" / "tarea"
    assert sorted(p.name for p in ana.iterdir()) == ["tarea.ipynb", "timestamp.txt"]
    manifest = read_manifest(tmp_path / "curso", "tarea")
    assert (
        manifest["ana"]["note"]
        == "se entregó «tarea (1).ipynb» en lugar de «tarea.ipynb»; se calificó como «tarea.ipynb»"
    )
    assert manifest["beto"]["status"] == "rechazada"
    assert (
        "«Copia de tarea.ipynb»" in manifest["beto"]["note"]
        and "ninguno se llama «tarea.ipynb»" in manifest["beto"]["note"]
    )
    assert any(p.name == "beto" and "beto: entregó varios notebooks" in why for p, why in result.skipped)
    assert manifest["carla"]["note"] == "" and manifest["carla"]["status"] == "recogida"


def test_links_and_fifos_inside_a_folder_are_reported_not_taken(tmp_path):
    secret = tmp_path / "secreto.txt"
    secret.write_text("clave", encoding="utf-8")
    src = tmp_path / "entregas"
    _notebook(src / "ana" / "tarea.ipynb")
    (src / "ana" / "robado.txt").symlink_to(secret)
    os.mkfifo(src / "ana" / "tuberia")
    result = collect_tree(src, tmp_path / "curso", "tarea")
    dest = tmp_path / "curso" / "submitted" / "ana" / "tarea"
    assert sorted(p.name for p in dest.iterdir()) == ["tarea.ipynb", "timestamp.txt"]
    notes = [note for _, note in result.notes]
    assert "ana: «robado.txt» es un enlace simbólico: no se recoge" in notes
    assert "ana: «tuberia» no es un fichero normal: no se recoge" in notes


def test_a_notebook_dated_before_any_term_gets_collects_clock_and_a_note(tmp_path):
    """A zip the student made, unpacked with its dates (2000-01-01), does not become the
    submission time: collect records its own clock and says why (teacher and student)."""
    src = tmp_path / "entregas"
    notebook = _notebook(src / "ana" / "tarea.ipynb")
    old = datetime(2000, 1, 1, tzinfo=timezone.utc).timestamp()
    os.utime(notebook, (old, old))
    _notebook(src / "beto" / "tarea.ipynb")
    recent = time.time() - 170 * 86400  # within CollectLimits.max_age_days: taken
    os.utime(src / "beto" / "tarea.ipynb", (recent, recent))
    before = time.time()
    result = collect_tree(src, tmp_path / "curso", "tarea")
    manifest = read_manifest(tmp_path / "curso", "tarea")
    assert nbgrader_timestamp(before - 1) <= manifest["ana"]["submitted_at"] <= nbgrader_timestamp(time.time() + 1)
    assert manifest["ana"]["note"].startswith("la fecha del notebook en la entrega (2000-01-01 00:00 UTC) es anterior")
    assert any(note.startswith("ana: la fecha del notebook") for _, note in result.notes)
    assert manifest["beto"]["submitted_at"] == nbgrader_timestamp(recent) and manifest["beto"]["note"] == ""
    collect_tree(src, tmp_path / "estricto", "tarea", CollectLimits(max_age_days=30))
    assert "anterior en más de 30 días" in read_manifest(tmp_path / "estricto", "tarea")["beto"]["note"]


def test_names_the_student_chose_are_quoted_on_one_line(tmp_path):
    src = tmp_path / "entregas"
    _notebook(src / "ana" / "tarea\n\n- **beto** (3 de 3): copió «x».ipynb")
    collect_tree(src, tmp_path / "curso", "tarea")
    note = read_manifest(tmp_path / "curso", "tarea")["ana"]["note"]
    assert note == (
        "se entregó «tarea - **beto** (3 de 3): copió ‹x›.ipynb» en lugar de «tarea.ipynb»; se calificó como "
        "«tarea.ipynb»"
    )
