"""Near-identical submissions: pairs of students whose solution code matches after renaming,
new comments, other literals and moved lines, and submissions that match the published
solutions.

Each student's solution cells (nbgrader ``solution`` cells, minus what the release already
gave) become one token stream: names the student chose → ``V``, numbers → ``N``, strings →
``S``, comments and layout dropped; keywords, builtins, attributes and imported or given names
kept; the lines the release already gave (signatures, docstrings, the placeholder) are left out.
copydetect's winnowing fingerprints (k-grams of tokens, robust winnowing) are compared, and a
pair's similarity is the share of each
side's tokens covered by shared fingerprints, the smaller of the two; pairs at or above the
threshold are reported. A report is a reason to look, never a verdict.
"""

from __future__ import annotations

import builtins
import csv
import io
import keyword
import re
import textwrap
import tokenize
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import nbformat
import numpy as np
from copydetect.utils import find_fingerprint_overlap, get_copied_slices, get_document_fingerprints

PUBLISHED = "(solución publicada)"
K, WINDOW, THRESHOLD, MIN_TOKENS = 10, 3, 0.8, 20
_SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.S | re.M)
_STUB = {"raise NotImplementedError()", "raise NotImplementedError"}  # nbgrader's placeholder
_KEEP = set(dir(builtins)) | set(keyword.kwlist) | {"self", "cls"}


@dataclass(frozen=True)
class Match:
    """Two submissions (or one and the published solution) that share most of their code."""

    first: str
    second: str
    similarity: float  # the smaller of the two sides' shares of copied tokens, 0…1
    tokens: int  # tokens of the smaller side


def _tokens(source: str, keep: set[str]) -> list[str]:
    """Normalised tokens of Python source (magics and unparsable tails are skipped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    out: list[str] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            kind, text = tok.type, tok.string
            if kind in (
                tokenize.COMMENT,
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.ENDMARKER,
            ):
                if kind == tokenize.NEWLINE:
                    out.append(";")
                continue
            if kind == tokenize.NAME:
                out.append(text if text in keep or previous == "." else "V")
            elif kind == tokenize.NUMBER:
                out.append("N")
            elif kind == tokenize.STRING or kind in getattr(tokenize, "FSTRING_START", ()):
                out.append("S")
            else:
                out.append(text)
            previous = text
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def _kept_names(sources: list[str]) -> set[str]:
    """Names the release gives (function names, imports): they are not the student's choice."""
    names = set()
    for source in sources:
        names |= set(re.findall(r"\bdef\s+([A-Za-z_]\w*)", source))
        names |= set(re.findall(r"\bclass\s+([A-Za-z_]\w*)", source))
        names |= set(re.findall(r"\bimport\s+[\w.]+\s+as\s+(\w+)", source))
        for imported in re.findall(r"\bfrom\s+[\w.]+\s+import\s+([\w, ]+)", source):
            names |= {name.strip() for name in imported.split(",") if name.strip()}
        names |= set(re.findall(r"^\s*import\s+(\w+)", source, re.M))
    return names


class _Alphabet:
    """One character per distinct token, so copydetect's k-grams are k tokens long."""

    def __init__(self) -> None:
        self._chars: dict[str, str] = {}

    def encode(self, tokens: list[str]) -> str:
        return "".join(self._chars.setdefault(t, chr(0x4E00 + len(self._chars))) for t in tokens)


def _solution_cells(nb) -> dict[str, str]:
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in nb.cells
        if cell.cell_type == "code"
        and cell.metadata.get("nbgrader", {}).get("solution")
        and cell.metadata["nbgrader"].get("grade_id")
    }


def _covered(doc_len: int, idx: np.ndarray) -> int:
    slices = get_copied_slices(idx, K)
    if len(slices[0]) == 0:
        return 0
    covered = np.zeros(doc_len, dtype=bool)
    for start, end in zip(*slices):
        covered[int(start) : int(end)] = True
    return int(covered.sum())


def compare_documents(docs: dict[str, str], threshold: float = THRESHOLD) -> list[Match]:
    """Pairs among ``docs`` (name → already-encoded token string) at or above ``threshold``."""
    prints = {name: get_document_fingerprints(doc, K, WINDOW) for name, doc in docs.items() if len(doc) >= MIN_TOKENS}
    matches = []
    for a, b in combinations(sorted(prints), 2):
        idx_a, idx_b = find_fingerprint_overlap(prints[a][0], prints[b][0], prints[a][1], prints[b][1])
        share = min(_covered(len(docs[a]), idx_a) / len(docs[a]), _covered(len(docs[b]), idx_b) / len(docs[b]))
        if share >= threshold:
            matches.append(Match(a, b, round(share, 3), min(len(docs[a]), len(docs[b]))))
    return sorted(matches, key=lambda m: (-m.similarity, m.first, m.second))


def find_similar(course_root: Path, assignment: str, threshold: float = THRESHOLD) -> list[Match]:
    """Near-identical pairs among ``submitted/*/<assignment>/`` and the published solutions."""
    course_root = Path(course_root)
    sources = sorted((course_root / "solutions" / assignment).glob("*.ipynb"))
    if not sources:
        raise SystemExit(f"No existe solutions/{assignment}/*.ipynb en {course_root}")
    published_cells, template_cells = {}, {}
    for path in sources:
        for grade_id, source in _solution_cells(nbformat.read(path, as_version=4)).items():
            published_cells[(path.name, grade_id)] = source
            template_cells[(path.name, grade_id)] = _SOLUTION_REGION.sub("", source)
    keep = _KEEP | _kept_names(list(published_cells.values()))
    given = {key: {line.strip() for line in source.split("\n")} | _STUB for key, source in template_cells.items()}
    alphabet = _Alphabet()

    def document(cells: dict[tuple[str, str], str]) -> str:
        """The student's own lines of every solution cell (what the release gave is left out)."""
        own = {
            key: textwrap.dedent(
                "\n".join(line for line in cells.get(key, "").split("\n") if line.strip() not in given[key])
            )
            for key in sorted(given)
        }
        return alphabet.encode([t for key in sorted(own) for t in _tokens(own[key], keep)])

    docs = {PUBLISHED: document(published_cells)}
    for folder in sorted((course_root / "submitted").glob(f"*/{assignment}")):
        cells = {}
        for path in sources:
            try:
                nb = nbformat.read(folder / path.name, as_version=4)
            except Exception:  # noqa: BLE001 - a missing or damaged notebook has nothing to compare
                continue
            cells |= {(path.name, grade_id): source for grade_id, source in _solution_cells(nb).items()}
        docs[folder.parent.name] = document(cells)
    return compare_documents(docs, threshold)


def write_similarity(course_root: Path, assignment: str, threshold: float = THRESHOLD) -> Path:
    """Write ``grading/<assignment>/similarity.csv`` (and its section in ``summary.md`` if any)."""
    matches = find_similar(course_root, assignment, threshold)
    out = Path(course_root) / "grading" / assignment / "similarity.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["primero", "segundo", "similitud", "tokens"])
        writer.writerows([m.first, m.second, m.similarity, m.tokens] for m in matches)
    summary = out.parent / "summary.md"
    if summary.is_file():
        replace_section(summary, similarity_section(out))
    return out


SECTION = "## Entregas casi idénticas"


def similarity_section(csv_path: Path) -> list[str]:
    """The Markdown section for ``summary.md`` from a ``similarity.csv``."""
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    lines = [
        SECTION,
        "",
        "Código de solución casi idéntico tras normalizar nombres, literales, comentarios y "
        f"orden (umbral {THRESHOLD:.0%}): motivo para mirar, no un veredicto.",
        "",
    ]
    lines += [
        f"- **{r['primero']}** y **{r['segundo']}**: {float(r['similitud']):.0%} de {r['tokens']} tokens" for r in rows
    ] or ["ninguna"]
    return lines


def replace_section(summary: Path, lines: list[str]) -> None:
    """Put ``lines`` (a section starting with its ``## `` title) in ``summary``, replacing it."""
    text = summary.read_text(encoding="utf-8").rstrip("\n").split("\n")
    if lines[0] in text:
        start = text.index(lines[0])
        end = next((i for i in range(start + 1, len(text)) if text[i].startswith("## ")), len(text))
        text[start:end] = lines + ([""] if end < len(text) else [])
    else:
        text += [""] + lines
    summary.write_text("\n".join(text) + "\n", encoding="utf-8")
