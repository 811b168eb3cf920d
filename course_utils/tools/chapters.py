"""The ordered chapters of the course and the time each may take (the report checks it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import repo_root


@dataclass(frozen=True)
class Budget:
    """Wall-clock seconds a chapter notebook may take on the 2-core reference machine."""

    fast: float
    full: float


# Targets from the issues; a chapter without an entry has no budget in the report.
BUDGETS: dict[str, Budget] = {
    "01_operaciones_fusion": Budget(fast=60, full=300),
    "02_estrategias_fusion": Budget(fast=90, full=300),
    "03_minibatches_multimodales": Budget(fast=90, full=300),
    "04_agresividad_dropout": Budget(fast=90, full=300),
    "05_atencion_cruzada": Budget(fast=60, full=600),
    "06_vit_clip": Budget(fast=90, full=300),
    "07_codificador_decodificador": Budget(fast=60, full=360),
    "08_preguntas_visuales": Budget(fast=60, full=360),
}


def source_notebook(chapter: str, source_dir: Path | None = None) -> Path:
    """Path of a chapter's instructor notebook: ``solutions/<chapter>/<chapter>.ipynb``."""
    base = source_dir or repo_root() / "solutions"
    return base / chapter / f"{chapter}.ipynb"


def list_chapters(source_dir: Path | None = None) -> list[str]:
    """Chapters present in ``solutions/``, in course order (by their numeric prefix)."""
    base = source_dir or repo_root() / "solutions"
    if not base.is_dir():
        return []
    return sorted(d.name for d in base.iterdir() if d.is_dir() and (d / f"{d.name}.ipynb").is_file())


def select_chapters(only: list[str] | None, source_dir: Path | None = None) -> list[str]:
    """Chapters whose name contains any of ``only`` (all when ``only`` is empty)."""
    names = list_chapters(source_dir)
    if not only:
        return names
    chosen = [n for n in names if any(o in n for o in only)]
    if not chosen:
        raise SystemExit(f"No chapter matches {only!r}; available: {', '.join(names)}")
    return chosen
