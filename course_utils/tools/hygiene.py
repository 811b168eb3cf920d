"""Notebook hygiene that students notice: each notebook opens with a title, objectives and an
estimated time; its images and links resolve offline; it links to the next one; its tags and
nbgrader metadata are valid. Each check returns a list of problems in plain words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import nbformat

KNOWN_TAGS = {"parameters", "nbval-check-output", "nbval-ignore-output", "nbval-skip", "raises-exception"}
OPENING_PARTS = {
    "un título (# …)": r"^#\s+\S",
    "los objetivos (**Objetivos.**)": r"\*\*Objetivos\.?\*\*",
    "el tiempo estimado (**Tiempo estimado:**)": r"\*\*Tiempo estimado:?\*\*",
}

_MD_TARGET = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_IMG = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.I)
_CODE_SPAN = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def _markdown(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "markdown"]


def opening_problems(nb: nbformat.NotebookNode) -> list[str]:
    """The first cell must give the title, the objectives and the estimated time."""
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return ["la primera celda no es de texto (debe dar título, objetivos y tiempo estimado)"]
    first = nb.cells[0].source
    return [
        f"la primera celda no tiene {part}"
        for part, pattern in OPENING_PARTS.items()
        if not re.search(pattern, first, re.M)
    ]


def _targets(cell: nbformat.NotebookNode) -> list[tuple[str, bool]]:
    """(target, is_image) of every Markdown link and image, code spans ignored."""
    text = _CODE_SPAN.sub("", cell.source)
    found = [(m.group(1), m.group(0).startswith("!")) for m in _MD_TARGET.finditer(text)]
    return found + [(src, True) for src in _HTML_IMG.findall(text)]


def link_problems(nb: nbformat.NotebookNode, folder: Path) -> list[str]:
    """Images must be local (the course works offline) and exist; relative links must resolve."""
    problems = []
    for cell in _markdown(nb):
        for target, is_image in _targets(cell):
            if target.startswith("attachment:"):
                if target.split(":", 1)[1] not in cell.get("attachments", {}):
                    problems.append(f"imagen adjunta que falta: {target}")
                continue
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:, data:
                if is_image and not target.startswith("data:"):
                    problems.append(f"imagen remota (no se ve sin conexión): {target}")
                continue
            path = target.split("#", 1)[0]
            if path and not (folder / path).exists():
                kind = "imagen" if is_image else "enlace"
                problems.append(f"{kind} roto: {target}")
    return problems


def next_link_problems(nb: nbformat.NotebookNode, next_notebook: str | None) -> list[str]:
    """The last text cell must link to the next notebook (``../<ch>/<ch>.ipynb``) or, for the
    last chapter, back to the course index."""
    cells = _markdown(nb)
    last = [t for t, _ in _targets(cells[-1])] if cells else []
    wanted = f"../{next_notebook}/{next_notebook}.ipynb" if next_notebook else "../../README.md"
    if wanted not in last:
        return [f"la última celda de texto no enlaza con {wanted}"]
    return []


def metadata_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Cell tags from the known set; nbgrader metadata valid for nbgrader's own validator."""
    from nbgrader.nbgraderformat import ValidationError
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    problems = [
        f"etiqueta desconocida {tag!r} en la celda {i}"
        for i, cell in enumerate(nb.cells)
        for tag in cell.metadata.get("tags", [])
        if tag not in KNOWN_TAGS
    ]
    try:
        MetadataValidatorV3().validate_nb(nb)
    except ValidationError as err:
        problems.append(f"metadatos de nbgrader no válidos: {err}")
    return problems


def notebook_problems(path: Path, next_notebook: str | None) -> list[str]:
    """Every hygiene problem of the notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    return (
        opening_problems(nb)
        + link_problems(nb, path.parent)
        + next_link_problems(nb, next_notebook)
        + metadata_problems(nb)
    )


def course_problems(folder: Path, chapters: Sequence[str]) -> list[str]:
    """Hygiene problems of every chapter notebook under ``folder`` (``notebooks/`` or
    ``solutions/``), each prefixed with its chapter."""
    problems = []
    for index, chapter in enumerate(chapters):
        following = chapters[index + 1] if index + 1 < len(chapters) else None
        path = folder / chapter / f"{chapter}.ipynb"
        problems += [f"{chapter}: {p}" for p in notebook_problems(path, following)]
    return problems
