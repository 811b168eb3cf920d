"""Instructor reports of one assignment: a CSV for the LMS and a Markdown summary with a grade
histogram and, per exercise, the mean score and the fraction of students with full marks.

Scores are the class gradebook's: a submission flagged for manual review counts 0 for its held
points, and ``grades.csv`` says so in its ``held`` column (the points withheld) until the
teacher releases them (``course grade release``) or grades the cells in formgrader. The status
columns come from ``status.csv``, which keeps every student graded so far (a regrade of some
students merges into it), so the summary lists every flag, not only the last batch's."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from .autograde import read_status  # noqa: E402
from .gradebook import held_points  # noqa: E402
from .similarity import similarity_section  # noqa: E402

_MARKDOWN = re.compile(r"([\\`*\[\]<>|~&])")  # what can format inside one line (a new line cannot start)


def one_line(text: object) -> str:
    """``text`` as one line of plain Markdown: whitespace (newlines included) collapsed and every
    Markdown or HTML character escaped. Reasons quote names and ids a student chose
    (:func:`.status.quoted`, «…» on one line already); this is the Markdown writer's own escape,
    for everything a row of ``status.csv`` holds, so that nothing in it adds lines, headings,
    links or tags to the teacher's summary."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def grades_table(db_url: str, assignment: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(per_student, per_exercise)``: one row per student (score, max) and per graded cell
    (mean score, max points, fraction of students with full marks)."""
    rows, cells = [], []
    with Gradebook(db_url) as gb:
        for submission in gb.find_assignment(assignment).submissions:
            rows.append(
                {
                    "student": submission.student.id,
                    "score": float(submission.score),
                    "max_score": float(submission.max_score),
                }
            )
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cells.append(
                        {"exercise": grade.name, "score": float(grade.score or 0.0), "max": float(grade.max_score)}
                    )
    students = pd.DataFrame(rows, columns=["student", "score", "max_score"]).sort_values("student")
    per_cell = pd.DataFrame(cells, columns=["exercise", "score", "max"])
    per_cell["full"] = per_cell["score"] >= per_cell["max"]
    exercises = (
        per_cell.groupby("exercise")
        .agg(mean=("score", "mean"), points=("max", "first"), full_marks=("full", "mean"))
        .reset_index()
    )
    return students.reset_index(drop=True), exercises.sort_values("full_marks").reset_index(drop=True)


def write_reports(course_root: Path, assignment: str, db_url: str) -> dict[str, Path]:
    """Write ``grading/<assignment>/grades.csv``, ``summary.md``, ``histogram.png`` and
    ``exercises.png``; return their paths."""
    out = Path(course_root) / "grading" / assignment
    out.mkdir(parents=True, exist_ok=True)
    students, exercises = grades_table(db_url, assignment)
    status = read_status(course_root, assignment)
    students["status"] = students["student"].map(lambda s: status.get(s, {}).get("status", ""))
    students["reason"] = students["student"].map(lambda s: status.get(s, {}).get("reason", ""))
    students["review"] = students["student"].map(lambda s: status.get(s, {}).get("review", "") or "")
    held = held_points(db_url, assignment)
    students["held"] = students["student"].map(lambda s: held.get(s, 0.0))
    paths = {
        "csv": out / "grades.csv",
        "summary": out / "summary.md",
        "histogram": out / "histogram.png",
        "exercises": out / "exercises.png",
    }
    students.to_csv(paths["csv"], index=False)

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(students["score"], bins=min(20, max(5, len(students))), color="#4c72b0")
    ax.set(title=f"Notas de {assignment}", xlabel="puntos", ylabel="estudiantes")
    fig.tight_layout()
    fig.savefig(paths["histogram"], dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.4 * max(1, len(exercises))))
    ax.barh(exercises["exercise"], exercises["full_marks"], color="#dd8452")
    ax.set(title="Fracción con la nota máxima por ejercicio", xlabel="fracción", xlim=(0, 1))
    fig.tight_layout()
    fig.savefig(paths["exercises"], dpi=110)
    plt.close(fig)

    notes = sorted({row.get("note") for row in status.values() if row.get("note")})
    problems = students[students["reason"].fillna("") != ""]
    lines = [
        f"# {assignment}: resumen de la calificación",
        "",
        f"{len(students)} entregas · media {students['score'].mean():.2f} de "
        f"{students['max_score'].max() if len(students) else 0:g} puntos",
        "",
        *[f"**AVISO: {one_line(note)}.**\n" for note in notes],
        "![histograma](histogram.png)",
        "",
        "## Ejercicios (del más difícil al más fácil)",
        "",
        exercises.round(3).to_markdown(index=False),
        "",
        "![ejercicios](exercises.png)",
        "",
        "## Entregas con incidencias",
        "",
    ]
    lines += [
        f"- **{one_line(r.student)}** ({r.score:g}/{r.max_score:g}): {one_line(r.reason)}"
        for r in problems.itertuples()
    ] or ["ninguna"]
    to_review = students[students["review"].fillna("") != ""]
    lines += ["", "## Entregas para revisar a mano", ""]
    lines += [
        f"- **{one_line(r.student)}** ({r.score:g}/{r.max_score:g}"
        + (f", {r.held:g} puntos retenidos" if r.held else "")
        + f"): {one_line(r.review)}"
        for r in to_review.itertuples()
    ] or ["ninguna"]
    if held:
        lines += [
            "",
            f"Puntos retenidos: {len(held)} entrega(s) cuentan 0 en el gradebook y en grades.csv hasta su revisión. "
            f"Tras revisarlas, `course grade release {assignment} --student ID…` devuelve los puntos automáticos "
            "(o califique las celdas a mano en formgrader).",
        ]
    similarity = out / "similarity.csv"  # written by ``course grade similarity``
    if similarity.is_file():
        lines += ["", *similarity_section(similarity)]
    paths["summary"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths
