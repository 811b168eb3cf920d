"""The course's progress bar (tqdm with Spanish defaults), light enough to import anywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(
    iterable: Iterable[T], desc: str = "Entrenando", total: int | None = None, leave: bool = True, **kwargs
) -> tqdm[T]:
    """A tqdm progress bar with course defaults (Spanish label, works in notebooks and shells).

    Use ``bar.set_postfix(pérdida=...)`` inside the loop to show the current loss.
    """
    return tqdm(iterable, desc=desc, total=total, leave=leave, dynamic_ncols=True, **kwargs)
