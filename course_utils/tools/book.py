"""``course book``: the course as a book a student reads offline, with every chapter's results.

Each chapter page is made from two notebooks: the *release* (what the student receives) gives
every exercise cell — the statement, the stub in place of the solution, the visible tests, never
a hidden test — and the *executed solution run* (``course run``) gives the outputs and figures
of every other cell. Exercise cells carry no output, since the solution's output would give the
answer away. The report's claims (``build/report.json``) become a results page.

The pages are built by Sphinx with MyST-NB (chosen by measurement: ``docs/maintainers.md``),
in Spanish (Sphinx's ``language = "es"``: navigation, search and labels), with MathJax and
Mermaid loaded from the vendored copies (``vendor.py``), no launch buttons and no other URL:
the book opens from ``file://`` with no network.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..config import repo_root
from ..prose import number, unlinked
from .chapters import list_chapters
from .first_hour import is_exercise_cell
from .grading.feedback import page_text
from .report_builder import NOT_HELD, NotebookResult, read_claims_file, write_benchmark
from .vendor import MATHJAX_SCRIPT, MERMAID_SCRIPT, copy_vendor
from .vendor import MATHJAX_SVG_SCRIPT as MATHJAX_SVG

ASSETS = Path(__file__).with_name("book_assets")
EXERCISE_TAG = "ejercicio"
_LINK = re.compile(r"\]\((?:\.\./)+README\.md\)")
_CHAPTER_LINK = re.compile(
    r"\[(?P<text>[^\[\]]*)\]\(\.\./(?P<chapter>[^/()]+)/(?P=chapter)\.ipynb(?P<anchor>#[^)]*)?\)"
)


class BookError(RuntimeError):
    """A book that cannot be built as asked (missing runs, a release out of step)."""


@dataclass
class ChapterSource:
    name: str
    release: Path
    executed: Path | None  # None: shown without results (never for `course book`)
    fast: bool


def _is_exercise(cell) -> bool:
    """An nbgrader cell of a graded exercise: its statement, its answer cell, its tests."""
    return bool(cell.metadata.get("nbgrader", {}).get("grade_id")) or is_exercise_cell(cell)


def chapter_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def _unlink_absent(markdown: str, chapters: set[str] | None) -> str:
    """Links to a chapter the book does not hold (not released yet, or left out) become text."""
    if chapters is None:
        return markdown
    return _CHAPTER_LINK.sub(lambda m: m[0] if m["chapter"] in chapters else m["text"], markdown)


def merge_chapter(
    release, executed, notes: list[str] | None = None, chapters: set[str] | None = None
) -> nbformat.NotebookNode:
    """The chapter as the book shows it: the release's cells, each non-exercise code cell as the
    same cell (same id) of the executed solution run, with its outputs. ``notes`` collects the
    cells where the two disagree (a release not regenerated since the solutions changed)."""
    notes = [] if notes is None else notes
    by_id = {}
    if executed is not None:
        for cell in executed.cells:
            if "injected-parameters" not in cell.metadata.get("tags", []):
                by_id[cell.get("id")] = cell
    merged = copy.deepcopy(release)
    for cell in merged.cells:
        if _is_exercise(cell):  # as the student receives it: statement, stub, visible tests
            tags = cell.metadata.setdefault("tags", [])
            if EXERCISE_TAG not in tags:
                tags.append(EXERCISE_TAG)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            continue
        source = by_id.get(cell.get("id"))
        if source is None or source.cell_type != cell.cell_type:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            if executed is not None:
                notes.append(f"celda {cell.get('id')}: no está en la ejecución; se muestra sin resultados")
        else:
            if source.source != cell.source:  # the run is of the current solutions; the release may lag
                if cell.cell_type == "code":  # a Markdown cell differs anyway: the run filled its placeholders
                    notes.append(f"celda {cell.get('id')}: la edición difiere de la ejecución (`course release`)")
                cell.source = source.source  # Markdown: with the run's values in its placeholders
            if cell.cell_type == "code":
                cell.outputs = source.get("outputs", [])
                cell.execution_count = source.get("execution_count")
        if cell.cell_type == "markdown":  # a placeholder left unfilled (no run) reads as its text
            cell.source = unlinked(_LINK.sub("](../index.md)", cell.source))
            cell.source = _unlink_absent(cell.source, chapters)
    merged.metadata.pop("papermill", None)
    return merged


def _claims_page(sources: list[ChapterSource], titles: dict[str, str]) -> str:
    lines = [
        "# Resultados: lo que cada capítulo afirma",
        "",
        "Cada afirmación de la prosa que compara números se comprueba al ejecutar el curso: se da su "
        "estimación con un intervalo t (Holm en las familias de comparaciones) y se cumple solo si el "
        "intervalo entero queda del lado afirmado. En modo rápido (FAST) hay una sola semilla y "
        "ninguna afirmación se juzga.",
        "",
    ]
    for source in sources:
        if source.executed is None:
            continue
        claims = read_claims_file(source.executed.with_suffix(".metrics.jsonl"))
        lines += [f"## {titles.get(source.name) or source.name}", ""]
        if not claims:
            lines += ["Este capítulo no registra afirmaciones.", ""]
            continue
        result = NotebookResult(name=source.name, status="ok", seconds=0.0, fast=source.fast, claims=claims)
        lines += [
            "| afirmación | estimación | se afirma | intervalo | n | veredicto |",
            "| --- | ---: | :---: | --- | ---: | --- |",
        ]
        for name, c in claims.items():
            status = result.claim_status(c)
            lines.append(
                f"| {c.description} (`{name}`) | {number(c.estimate, '.4g')} | {c.relation} {number(c.threshold, 'g')} "
                f"| {c.interval_text(4)} | {c.n} | {f'**{status}**' if status == NOT_HELD else status} |"
            )
        lines.append("")
    return "\n".join(lines)


def _index_page(sources: list[ChapterSource], titles: dict[str, str], fast: bool) -> str:
    mode = (
        "Esta edición se construyó en **modo rápido (FAST)**: pocos datos y pocas épocas, para comprobar "
        "el libro; sus números no son los del curso."
        if fast
        else "Los resultados son los de la ejecución completa del curso (`course run`)."
    )
    toc = "\n".join(f"{s.name}/{s.name}" for s in sources)
    return f"""# Fusión multimodal

Un curso sobre **fusión multimodal en aprendizaje profundo**: cómo combinar texto, imágenes,
datos tabulares y audio en un mismo modelo. Este libro muestra cada capítulo con sus resultados
y sus figuras, para leerlo sin ejecutarlo. {mode}

Los ejercicios aparecen tal como los recibes: el enunciado, el hueco donde va tu código y las
pruebas visibles, sin la solución. Para resolverlos, abre los notebooks en JupyterLab
(`python run.py lab`).

```{{toctree}}
:maxdepth: 1
:caption: Capítulos

{toc}
```

```{{toctree}}
:maxdepth: 1
:caption: Resultados y guía

resultados
estudiantes
```
"""


CONF = """# Generated by course_utils/tools/book.py: do not edit.
project = "Fusión multimodal"
author = "Curso de fusión multimodal"
copyright = "el curso de fusión multimodal"
language = "es"
extensions = ["myst_nb"]
myst_enable_extensions = ["dollarmath", "amsmath"]
nb_execution_mode = "off"
nb_output_stderr = "remove"
nb_merge_streams = True
html_theme = "sphinx_book_theme"
html_title = "Fusión multimodal"
html_static_path = ["_static"]
html_css_files = ["libro.css"]
html_js_files = [{mermaid!r}, "diagramas.js"]
mathjax_path = {mathjax!r}
html_theme_options = {{
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "show_navbar_depth": 1,
    "home_page_in_toc": True,
    "launch_buttons": {{}},
}}
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_show_sphinx = False
# The search page would fetch each result's page for a summary, which file:// refuses.
html_show_search_summary = False
suppress_warnings = ["misc.highlighting_failure", "mystnb.unknown_mime_type"]
exclude_patterns = ["_build", "notas.txt", "warnings.txt"]
"""


def _students_page(src: Path) -> str:
    """The students' guide (docs/estudiantes.md) as the book's appendix, with its images; links
    into the repository become text."""
    guide = repo_root() / "docs" / "estudiantes.md"
    if not guide.is_file():
        return "# Guía para estudiantes\n\nVéase `docs/estudiantes.md` en el repositorio del curso.\n"
    text = guide.read_text(encoding="utf-8")
    for image in re.findall(r"!\[[^\]]*\]\(([^):]+)\)", text):
        if (guide.parent / image).is_file():
            shutil.copy2(guide.parent / image, src / Path(image).name)
    return re.sub(r"(?<!!)\[([^\]]*)\]\((?![a-z]+:)[^)]*\)", r"\1", text)


def write_sources(sources: list[ChapterSource], src: Path, fast: bool) -> Path:
    """The Sphinx project of the book in ``src`` (regenerated from scratch)."""
    if src.exists():
        shutil.rmtree(src)
    static = src / "_static"
    static.mkdir(parents=True)
    copy_vendor(static)
    (static / MATHJAX_SVG).unlink(missing_ok=True)  # the feedback pages' build; the book uses CommonHTML
    for name in ("diagramas.js", "libro.css"):
        shutil.copy2(ASSETS / name, static / name)
    titles = {}
    notes = []
    for source in sources:
        release = nbformat.read(source.release, as_version=4)
        executed = nbformat.read(source.executed, as_version=4) if source.executed else None
        chapter_notes = []
        merged = merge_chapter(release, executed, chapter_notes, {s.name for s in sources})
        notes += [f"{source.name}: {note}" for note in chapter_notes]
        titles[source.name] = chapter_title(merged)
        (src / source.name).mkdir()
        nbformat.write(merged, src / source.name / f"{source.name}.ipynb")
    (src / "conf.py").write_text(CONF.format(mathjax=MATHJAX_SCRIPT, mermaid=MERMAID_SCRIPT), encoding="utf-8")
    (src / "index.md").write_text(_index_page(sources, titles, fast), encoding="utf-8")
    (src / "resultados.md").write_text(_claims_page(sources, titles), encoding="utf-8")
    (src / "estudiantes.md").write_text(_students_page(src), encoding="utf-8")
    (src / "notas.txt").write_text("".join(f"{n}\n" for n in notes), encoding="utf-8")
    return src


def sphinx_build(src: Path, out: Path) -> list[str]:
    """Build the HTML into ``out``; return Sphinx's warnings (the build fails on an error)."""
    if out.exists():
        shutil.rmtree(out)
    warnings = src / "warnings.txt"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-w", str(warnings), str(src), str(out)],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise BookError(f"Sphinx falló ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    (out / ".buildinfo").unlink(missing_ok=True)
    for leftover in (".doctrees", "_sources"):
        shutil.rmtree(out / leftover, ignore_errors=True)
    shutil.rmtree(out.parent / "jupyter_execute", ignore_errors=True)  # MyST-NB's copies of the notebooks
    return [line for line in warnings.read_text(encoding="utf-8").splitlines() if line.strip()]


SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "def pruebas_ocultas")


def answer_secrets(solutions_dir: Path | None = None) -> tuple[list[list[str]], set[str]]:
    """Every chapter's solution blocks (lists of stripped lines) and hidden-test lines, less the
    lines a reader is shown anyway (the rest of the solution notebooks)."""
    blocks, hidden, shown = [], set(), set()
    for notebook in sorted(Path(solutions_dir or repo_root() / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            source, solution_cell = cell.source, bool(cell.metadata.get("nbgrader", {}).get("solution"))
            answers = SOLUTION.findall(source) or ([source] if solution_cell else [])  # no markers: all answer
            blocks += [[line.strip() for line in part.splitlines() if line.strip()] for part in answers]
            for part in HIDDEN.findall(source):
                hidden.update(line.strip() for line in part.splitlines() if line.strip())
            if not (solution_cell and not SOLUTION.search(source)):
                shown.update(line.strip() for line in HIDDEN.sub("", SOLUTION.sub("", source)).splitlines())
    return [[line for line in block if line not in shown] for block in blocks], hidden - shown


def book_leaks(out: Path, solutions_dir: Path | None = None) -> list[str]:
    """Solution blocks, hidden-test lines and nbgrader's markers found in the book's pages (their
    text, as a reader sees it) and in any notebook or source file copied into it."""
    blocks, hidden = answer_secrets(solutions_dir)
    leaks = []
    for path in sorted(Path(out).rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".ipynb", ".txt", ".md", ".py", ".js"):
            continue
        if "_static" in path.relative_to(out).parts and path.suffix == ".js" and path.name != "searchindex.js":
            continue  # vendored libraries and the theme's code
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = [line.strip() for line in (page_text(text) if path.suffix == ".html" else text).splitlines()]
        where = path.relative_to(out)
        present, joined = set(lines), "\n" + "\n".join(lines) + "\n"
        leaks += [f"{where}: marcador {m!r}" for m in MARKERS if m in joined]
        leaks += [f"{where}: línea de prueba oculta {line!r}" for line in sorted(hidden & present) if len(line) >= 30]
        for block in blocks:  # whole lines in a row (a statement may quote a line in its prose)
            if block and (len(block) >= 2 or len(block[0]) >= 30) and "\n" + "\n".join(block) + "\n" in joined:
                leaks.append(f"{where}: bloque de solución que empieza por {block[0]!r}")
    return leaks


def _fast_of(report: Path, chapter: str) -> bool | None:
    if not report.is_file():
        return None
    for entry in json.loads(report.read_text(encoding="utf-8")).get("notebooks", []):
        if entry.get("name") == chapter:
            return bool(entry.get("fast"))
    return None


def collect_sources(
    chapters: list[str], executed_dir: Path | None, fast: bool, release_dir: Path | None = None
) -> list[ChapterSource]:
    """Each chapter's release and executed run; a missing run, or one of the other mode, is an error
    (``executed_dir=None``: every chapter without results, for a structural check)."""
    release_dir = release_dir or repo_root() / "notebooks"
    sources, problems = [], []
    for chapter in chapters:
        release = release_dir / chapter / f"{chapter}.ipynb"
        if not release.is_file():
            problems.append(f"{chapter}: falta la edición {release} (`course release`)")
            continue
        executed = None
        if executed_dir is not None:
            executed = executed_dir / f"{chapter}.ipynb"
            mode = _fast_of(executed_dir.parent / "report.json", chapter)
            if not executed.is_file():
                problems.append(f"{chapter}: falta la ejecución {executed}")
            elif mode is not None and mode != fast:
                problems.append(f"{chapter}: {executed} es una ejecución en modo {'FAST' if mode else 'completo'}")
        sources.append(ChapterSource(chapter, release, executed, fast))
    if problems:
        how = "course book --fast" if fast else "course run (modo completo) y luego course book"
        raise BookError("no se puede construir el libro:\n  " + "\n  ".join(problems) + f"\nEjecute: {how}")
    return sources


def build_book(
    chapters: list[str] | None = None,
    fast: bool = False,
    build_dir: Path | None = None,
    out: Path | None = None,
    execute: bool | None = None,
) -> dict:
    """Build the book; return what was done (paths, seconds, size, warnings).

    Full mode reads ``<build>/executed/`` (``course run``). ``fast`` executes every chapter in
    FAST mode into ``<build>/fast/`` first (``execute=False`` reuses what is there)."""
    from .runner import run_course

    build_dir = Path(build_dir or repo_root() / "build")
    out = Path(out or build_dir / "book")
    chapters = chapters or list_chapters()
    timings = {}
    runs = build_dir / ("fast" if fast else "")
    if fast and execute is not False:
        start = time.perf_counter()
        results, _ = run_course(chapters, True, build_dir=runs)
        timings["execute_s"] = round(time.perf_counter() - start, 1)
        failed = [r.name for r in results if r.status != "ok"]
        if failed:
            raise BookError(f"falló la ejecución FAST de: {', '.join(failed)}")
    sources = collect_sources(chapters, runs / "executed", fast)
    start = time.perf_counter()
    src = write_sources(sources, build_dir / "book-src", fast)
    warnings = sphinx_build(src, out)
    timings["sphinx_s"] = round(time.perf_counter() - start, 1)
    leaks = book_leaks(out)
    if leaks:
        shutil.rmtree(out)
        raise BookError("el libro citaba respuestas y se ha borrado:\n  " + "\n  ".join(leaks))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    notes = (src / "notas.txt").read_text(encoding="utf-8").splitlines()
    done = {"out": str(out), "chapters": chapters, "fast": fast, "bytes": size, "warnings": notes + warnings, **timings}
    write_benchmark(report_dir := runs if fast else build_dir, "book", done, _report_section(done, out))
    done["report"] = str(report_dir / "report.md")
    return done


def _report_section(done: dict, out: Path) -> str:
    """The book's lines in the report (``report.md``'s benchmarks): its size and build time."""
    pages = sum(1 for _ in out.rglob("*.html"))
    static = sum(p.stat().st_size for p in (out / "_static").rglob("*") if p.is_file())
    times = " · ".join(
        f"{label} {done[key]} s"
        for key, label in (("execute_s", "ejecución FAST"), ("sphinx_s", "Sphinx"))
        if key in done
    )
    return (
        f"### El libro del curso ({'FAST' if done['fast'] else 'modo completo'})\n\n"
        f"`{out}`: {len(done['chapters'])} capítulos, {pages} páginas, **{done['bytes'] / 1e6:.1f} MB** "
        f"({static / 1e6:.1f} MB de tema, MathJax y Mermaid) · {times} · avisos: {len(done['warnings'])}\n"
    )
