"""The outputs of the cells tagged ``nbval-check-output``, read from an executed notebook and
compared with the expectations stored in ``tests/expected_outputs/<chapter>.json``.

nbval checked the same cells by executing every notebook a second time; they are now read from
the test run's single execution and compared as ``nbval --nbval-lax`` compares them (nbval's own
stream coalescing; every output key and MIME type except metadata, tracebacks, execution counts,
widget ids and images, the order kept among outputs of one kind). After a deliberate change to a
checked cell, rewrite the expectations from a FAST execution:
``python run.py test tests/test_notebooks.py -k <NN> --update-expected-outputs``."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import nbformat
from nbval.plugin import coalesce_streams, transform_streams_for_comparison

TAG = "nbval-check-output"
EXPECTED_DIR = Path(__file__).parent / "expected_outputs"
# nbval's IPyNbFile.skip_compare without --nbdime
SKIP = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}


def comparable(outputs: list) -> dict[str, list]:
    """A cell's outputs as nbval compares them: output key or MIME type → values, in order."""
    flat: dict[str, list] = defaultdict(list)
    for out in transform_streams_for_comparison(coalesce_streams([nbformat.from_dict(o) for o in outputs])):
        for key, value in out.items():
            if key == "data":
                for mime, data in value.items():
                    if mime not in SKIP:
                        flat[mime].append(data)
            elif key not in SKIP:
                flat[key].append(value)
    return dict(flat)


def checked_outputs(executed_notebook: Path) -> dict[str, dict]:
    """cell id → comparable outputs, for every cell tagged ``nbval-check-output``."""
    nb = nbformat.read(executed_notebook, as_version=4)
    return {
        cell.id: comparable(cell.get("outputs", []))
        for cell in nb.cells
        if cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])
    }


def expected_path(chapter: str) -> Path:
    return EXPECTED_DIR / f"{chapter}.json"


def read_expected(chapter: str) -> dict[str, dict]:
    path = expected_path(chapter)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_expected(chapter: str, outputs: dict[str, dict]) -> Path:
    path = expected_path(chapter)
    if not outputs:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(outputs, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def differences(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """One line per checked cell whose outputs differ, or that is tagged on one side only."""
    problems = []
    for cell_id in sorted(set(expected) | set(actual)):
        if cell_id not in actual:
            problems.append(f"cell {cell_id}: expected outputs stored, but the cell is gone or no longer tagged {TAG}")
        elif cell_id not in expected:
            problems.append(f"cell {cell_id}: tagged {TAG} but no expected outputs are stored")
        elif expected[cell_id] != actual[cell_id]:
            problems.append(
                f"cell {cell_id}: outputs differ\n  expected: {expected[cell_id]}\n  got:      {actual[cell_id]}"
            )
    return problems
