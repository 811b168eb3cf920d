"""The course book (`course book`) read as a student reads it: every page opened from file:// in
headless Chromium with the network cut — no request leaves the machine, no link or image is
broken, the math is typeset by the vendored MathJax, every Mermaid diagram is an SVG — and no
page quotes a solution or a hidden test.

To stay within two minutes the book is built here from chapter 01's FAST execution (the
suite's shared one) and every other chapter without outputs: the same pages, links, math and
diagrams; `course book --fast` in CI executes them all. The leak scan runs over every chapter's
exercises, and `course book` itself refuses to keep a book that quotes an answer."""

from __future__ import annotations

import contextlib
import shutil
import urllib.parse
from pathlib import Path

import pytest

from course_utils.tools import book
from lab_browser import SCREENSHOTS, browser_context  # noqa: F401 - fixture
from support import CHAPTERS, ROOT
from support.services import service_unavailable

pytestmark = pytest.mark.e2e
FIRST = "01_operaciones_fusion"
LOCAL = ("file:", "data:", "blob:", "about:")
RELEASED = [c for c in CHAPTERS if (ROOT / "notebooks" / c / f"{c}.ipynb").is_file()]


@pytest.fixture(scope="module")
def vendored() -> Path:
    """MathJax and Mermaid, from the npm registry once (pinned, checksummed)."""
    from course_utils.tools.vendor import TARBALLS_ENV, ensure_vendor

    try:
        return ensure_vendor()
    except RuntimeError as err:
        service_unavailable(
            "MathJax y Mermaid", "COURSE_VENDOR_UNAVAILABLE", str(err), how=f"o ponga sus tarballs en {TARBALLS_ENV}"
        )


@pytest.fixture(scope="module")
def fast_book(executed, vendored, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("libro")
    runs = base / "executed"
    runs.mkdir()
    run = executed[FIRST]
    assert run.result.status == "ok", f"{FIRST} falló en modo FAST:\n{run.result.error}"
    shutil.copy2(run.path, runs / f"{FIRST}.ipynb")
    metrics = Path(run.path).with_suffix(".metrics.jsonl")
    if metrics.is_file():
        shutil.copy2(metrics, runs / f"{FIRST}.metrics.jsonl")
    # a chapter still being written has no release yet (test_release fails on that, not this test)
    sources = [
        book.ChapterSource(c, ROOT / "notebooks" / c / f"{c}.ipynb", runs / f"{c}.ipynb" if c == FIRST else None, True)
        for c in RELEASED
    ]
    out = base / "book"
    warnings = book.sphinx_build(book.write_sources(sources, base / "src", fast=True), out)
    assert not [w for w in warnings if "xref" in w or "ERROR" in w], warnings
    return out


def test_the_book_quotes_no_solution_and_no_hidden_test(fast_book):
    assert book.book_leaks(fast_book) == []
    page = (fast_book / FIRST / f"{FIRST}.html").read_text(encoding="utf-8")
    assert "NotImplementedError" in page, "each exercise is shown with the stub a student receives"
    assert "tag_ejercicio" in page


def test_the_scan_finds_a_planted_answer(fast_book, tmp_path):
    blocks, hidden = book.answer_secrets()
    planted = tmp_path / "book"
    shutil.copytree(fast_book, planted, ignore=shutil.ignore_patterns("_static", "_images"))
    page = planted / FIRST / f"{FIRST}.html"
    block = next(b for b in blocks if len(b) >= 2)
    page.write_text(page.read_text(encoding="utf-8") + "<pre>" + "\n".join(block) + "</pre>", encoding="utf-8")
    (planted / "resultados.html").write_text(f"<p>{max(hidden, key=len)}</p>", encoding="utf-8")
    found = book.book_leaks(planted)
    assert any("bloque de solución" in f for f in found) and any("prueba oculta" in f for f in found), found


def _pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "_static" not in p.parts)


@contextlib.contextmanager
def _offline_tab(context, outside: list[str]):
    """A tab whose requests leaving the machine are aborted and listed in ``outside``."""

    def guard(route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    try:
        yield tab
    finally:
        tab.close()
        context.unroute("**/*", guard)


def test_every_page_opens_offline_with_math_and_diagrams(fast_book, browser_context):  # noqa: F811
    pages = _pages(fast_book)
    assert len(pages) >= len(RELEASED) + 3
    outside, failed, problems = [], [], []
    with _offline_tab(browser_context, outside) as tab:
        tab.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        for path in pages:
            name = path.relative_to(fast_book)
            tab.goto(path.as_uri(), wait_until="load")
            html = path.read_text(encoding="utf-8")
            has_math = 'class="math' in html
            has_diagram = "highlight-mermaid" in html
            if has_math:
                tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
                tab.evaluate("() => MathJax.startup.promise")
                typeset = tab.locator("mjx-container").count()
                if not typeset or tab.locator("mjx-merror").count():
                    problems.append(f"{name}: fórmulas sin componer ({typeset} compuestas)")
            if has_diagram:
                tab.wait_for_selector("html[data-diagramas=listos]", state="attached", timeout=30_000)
                states = tab.eval_on_selector_all("pre.mermaid", "els => els.map(e => e.dataset.diagrama)")
                drawn = tab.locator("pre.mermaid svg").count()
                if not states or any(s != "ok" for s in states) or drawn != len(states):
                    problems.append(f"{name}: diagramas {states}, {drawn} SVG")
            broken = tab.eval_on_selector_all(
                "img", "els => els.filter(i => !i.complete || !i.naturalWidth).map(i => i.src)"
            )
            problems += [f"{name}: imagen rota {src}" for src in broken]
            for href in tab.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
                if href.startswith("file:"):
                    target = Path(urllib.parse.unquote(urllib.parse.urlsplit(href).path))
                    if not target.exists():
                        problems.append(f"{name}: enlace roto {href}")
        tab.goto((fast_book / "search.html").as_uri() + "?q=fusi%C3%B3n", wait_until="load")
        tab.wait_for_selector("#search-results li", timeout=30_000)
        lang = tab.eval_on_selector("html", "e => e.lang")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.goto((fast_book / FIRST / f"{FIRST}.html").as_uri(), wait_until="load")
        tab.wait_for_selector("html[data-diagramas=listos]", state="attached", timeout=30_000)
        tab.screenshot(path=str(SCREENSHOTS / "libro-capitulo-01.png"))
    assert not outside, f"peticiones fuera de la máquina: {outside}"
    assert not failed, f"recursos que no cargan: {failed}"
    assert not problems, problems
    assert not errors, f"errores de JavaScript: {errors}"
    assert lang == "es"


def _nbconvert_page(tmp_path: Path, template: str) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "La atención: $\\mathrm{softmax}(QK^\\top/\\sqrt{d})V$ y\n\n$$\\boldsymbol{z} = W x$$"
        ),
        nbformat.v4.new_markdown_cell("```mermaid\nflowchart LR\n  A[texto] --> C((fusión))\n  B[imagen] --> C\n```"),
    ]
    html, _ = HTMLExporter(template_name=template).from_notebook_node(nb)
    assert "https://" in html, "nbconvert's page loads its scripts from CDNs"
    page = tmp_path / f"retroalimentacion-{template}.html"
    page.write_text(html, encoding="utf-8")
    return page


def test_feedback_pages_render_math_and_diagrams_offline(browser_context, vendored, tmp_path):  # noqa: F811
    """Feedback pages (nbgrader's template builds on nbconvert's classic one) carry the vendored
    MathJax and Mermaid inline: opened alone from file:// with the network cut, both render."""
    from course_utils.tools.vendor import make_pages_offline

    pages = [_nbconvert_page(tmp_path, t) for t in ("classic", "lab")]
    make_pages_offline(pages)
    outside = []
    with _offline_tab(browser_context, outside) as tab:
        for page in pages:
            tab.goto(page.as_uri(), wait_until="load")
            tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            tab.evaluate("() => MathJax.startup.promise")
            assert tab.locator("mjx-container svg").count() == 2, page.name
            assert tab.locator("mjx-merror").count() == 0
            tab.wait_for_selector("html[data-diagramas=listos]", state="attached", timeout=30_000)
            assert tab.eval_on_selector_all("pre.mermaid", "els => els.map(e => e.dataset.diagrama)") == ["ok"]
    assert not outside, f"peticiones fuera de la máquina: {outside}"


def test_the_edition_carries_the_book_and_refuses_one_with_answers(fast_book, tmp_path):
    from course_utils.tools.dist import build_edition

    edition = build_edition(tmp_path / "edicion", book=fast_book)
    assert (edition / "book" / "index.html").is_file()
    planted = tmp_path / "plantado"
    shutil.copytree(fast_book, planted, ignore=shutil.ignore_patterns("_static", "_images"))
    _, hidden = book.answer_secrets()
    (planted / "resultados.html").write_text(f"<p>{max(hidden, key=len)}</p>", encoding="utf-8")
    with pytest.raises(ValueError, match="not a book without answers"):
        build_edition(tmp_path / "otra", book=planted)
