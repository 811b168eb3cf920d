"""The prose lint: a result typed by hand in a Markdown cell of a solution notebook.

Every number the prose states as a result must come from the run: a placeholder
(``[(al ejecutar)](#=name:.3f)``, see :mod:`course_utils.prose`) filled by ``course run``. This lint
finds the numbers that look like results in the *text* of Markdown cells, by a rule, not by a list
of allowed cells:

* **Looks like a result:** a number with decimals (``0,83``, ``0.829``), a percentage (``83 %``),
  or an integer of five digits or more, or written with a thousands separator (``45 386``).
  Small integers (counts of things, chapter numbers, years, citations such as "Wolpert, 1992",
  "1/27") are never flagged.
* **Passes through:** a sentence that cites a paper ("… 1,3 puntos (Radford et al., 2021)"):
  its numbers are the paper's; a quotation (a ``>`` block: someone else's text, numbers and all);
  references (a link to a URL or DOI, ``doi:…``, ``arXiv:…``); a heading's number; code spans and
  blocks (settings as the code writes them:
  `` `lr=1e-3` ``, `` `p=0.5` ``), LaTeX math (``$\\tau = 0{,}07$``: formulas and their
  constants), link targets and URLs, HTML comments, placeholders; a dotted number after a
  reference word (``sección 8.3``, ``Python 3.11``, ``torch 2.13``, ``figura 2.1``); a
  confidence level (``IC 95 %``, ``al 95 %``, ``95 % de confianza``); and a number after an
  assignment to a short symbol in running text (``p = 0,5``, ``C = 1``, ``τ = 0,07``), which is
  how the prose names a setting.

The lint is a heuristic and can be fooled (a result written as ``p = 0,83``); what it must do is
catch the ordinary way a result gets typed: "la fusión acierta 0,829".
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

_STRIP = [
    re.compile(r"```.*?```", re.S),  # fenced code
    re.compile(r"~~~.*?~~~", re.S),
    re.compile(r"<!--.*?-->", re.S),  # HTML comments
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?\$", re.S),  # inline math
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S),
    re.compile(r"`[^`]*`"),  # code spans
    re.compile(r"\[[^\[\]]*\]\(#=[^()\s]+\)"),  # placeholders
    re.compile(r"\[[^\[\]]*\]\((?:https?:|doi:)[^\s]*?\)(?=[\s.,;:)]|$)"),  # a link to a reference, text and all
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"https?://\S+"),
    re.compile(r"\b(?:doi|arxiv):?\s*\S+", re.I),  # identifiers of references
    re.compile(r"^\s*>.*$", re.M),  # a quotation (someone else's text, numbers and all)
    re.compile(r"^\s*#+\s*[\d.]+", re.M),  # a heading's number
    re.compile(r"<[^>]+>"),  # HTML tags and their attributes
]

_GROUP = r"[ \u202f\u2009\u00a0]"
_NUMBER = re.compile(
    r"(?<![\w.,/])"
    r"(?P<num>[+\-−±]?(?:\d{1,3}(?:" + _GROUP + r"\d{3})+|\d+)(?:[.,]\d+)?)"
    r"(?P<pct>\s?%)?"
    r"(?![\w/])"
)
_REFERENCE = re.compile(
    r"(secci[oó]n|secciones|apartados?|cap[ií]tulos?|notebooks?|cuadernos?|figuras?|tablas?|ecuaci[oó]n|"
    r"ecuaciones|pasos?|versi[oó]n|python|torch|pytorch|keras|tensorflow|scikit-learn|numpy|scipy|nbgrader|"
    r"jupyterlab|v|y|e|o|,)\s*$",
    re.I,
)
_SECTION = re.compile(r"[1-9]\d?\.\d{1,2}(?:\.\d+)?$")  # a section's number: never 0.x, never 3 decimals
_ARTICLE = re.compile(r"(\b(?:la|las|el|los|y|e|o)|[(,])\s*$", re.I)
_CONFIDENCE_BEFORE = re.compile(r"(\bIC|\bal|\bconfianza(?: del)?|\bnivel(?: del?)?)\s*$", re.I)
_CONFIDENCE_AFTER = re.compile(r"^\s*(de confianza|de los intervalos|\))", re.I)
_ASSIGNMENT = re.compile(r"(?:^|[\s(])[A-Za-zα-ωΑ-Ω_][\w\u0370-\u03ff]{0,5}\s*(?:=|≈|≤|≥|<|>)\s*$")


def _strip(markdown: str) -> str:
    text = markdown
    for pattern in _STRIP:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


_CITATION = re.compile(r"\bet al\.|\((?:[^()]*?\D)?(?:19|20)\d{2}[a-z]?(?:[,;][^()]*)?\)")


def _cited_spans(text: str) -> list[tuple[int, int]]:
    """Sentences that cite a paper ("(Radford et al., 2021)"): a number there is the paper's."""
    spans = []
    start = 0
    for part in re.split(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÑ¿¡(*])|\n", text):
        index = text.find(part, start)
        if _CITATION.search(part):
            spans.append((index, index + len(part)))
        start = index + len(part)
    return spans


def typed_results(markdown: str) -> list[str]:
    """The numbers in ``markdown`` that look like results typed by hand (see the module)."""
    text = _strip(markdown)
    cited = _cited_spans(text)
    found = []
    for match in _NUMBER.finditer(text):
        if any(a <= match.start() < b for a, b in cited):
            continue  # a number a cited paper reports
        num, pct = match["num"], match["pct"]
        digits = re.sub(r"\D", "", num.split(",")[0].split(".")[0])
        decimal = bool(re.search(r"[.,]\d+$", num))
        grouped = bool(re.search(_GROUP, num)) or len(digits) >= 5
        if not (decimal or pct or grouped):
            continue  # a small integer: a count, a chapter, a year, a citation
        before = text[max(0, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 30]
        if (
            decimal
            and "." in num
            and not pct
            and (_REFERENCE.search(before) or _SECTION.match(num) and _ARTICLE.search(before))
        ):
            continue  # sección 8.3, Python 3.11, secciones 8.1 y 8.2, «en la 10.1», «(8.3)»
        if pct and not decimal and (_CONFIDENCE_BEFORE.search(before) or _CONFIDENCE_AFTER.search(after)):
            continue  # IC 95 %, al 95 %, 95 % de confianza
        if _ASSIGNMENT.search(before):
            continue  # p = 0,5: a setting named by its symbol
        found.append(match.group(0).strip())
    return found


def lint_notebook(path: Path) -> list[str]:
    """``'<file>, celda N: «0,829» …'`` for every Markdown cell of ``path`` with a typed result."""
    nb = nbformat.read(str(path), as_version=4)
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        hits = typed_results(cell.source)
        if hits:
            shown = ", ".join(f"«{h}»" for h in hits[:6]) + (" …" if len(hits) > 6 else "")
            problems.append(
                f"{Path(path).name}, celda {index} (Markdown): resultado escrito a mano {shown}; "
                "cítalo con un marcador [(al ejecutar)](#=nombre) (docs/claims.md)"
            )
    return problems
