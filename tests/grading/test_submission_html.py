"""The HTML of a submission in the teacher's formgrader page (and the students' feedback) runs
nothing the student wrote: the course's ``nbgrader_config.py`` sanitises what formgrader's own
exporter renders (nbgrader_setup: ``sanitize_html`` and the ``markdown2html``/``clean_html``
filters), while Markdown's headings, tables, images and links still show."""

from __future__ import annotations

from html.parser import HTMLParser

import nbformat
import pytest

from course_utils.tools.grading.nbgrader_setup import clean_submission_html
from fixture_course import build_course

MARK = "ROBADO"
MARKDOWN = (
    "# Mi respuesta\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n![figura](data:image/png;base64,iVBORw0KGgo=) "
    "[fuente](https://example.org) [truco](javascript:document.title='ROBADO')\n\n"
    f"<img src=\"x\" onerror=\"document.title='{MARK}'\"><script>document.title='{MARK}'</script>"
    '<span id="ej1_pruebas" class="score tabbable">5</span><svg onload="ROBADO()"></svg>'
    f"<iframe src=\"javascript:'{MARK}'\"></iframe>"
)


def _run(page: str) -> list[str]:
    """What a browser would run: ``<script>`` text, ``on…`` attributes, ``javascript:`` URLs."""
    found: list[str] = []

    class Scripts(HTMLParser):
        inside = False

        def handle_starttag(self, tag, attrs):
            self.inside = tag == "script"
            found.extend(
                f"<{tag} {name}>{value}"
                for name, value in attrs
                if name.startswith("on") or (value or "").strip().lower().startswith("javascript:")
            )

        def handle_endtag(self, tag):
            self.inside = False if tag == "script" else self.inside

        def handle_data(self, data):
            if self.inside:
                found.append(f"<script>{data}")

    Scripts().feed(page)
    return [f for f in found if MARK in f]


def test_clean_submission_html_keeps_markdown_and_drops_code():
    clean = clean_submission_html(
        f'<h2>T</h2><table><tr><th style="text-align:left;position:fixed">a</th></tr></table>'
        f'<img src="data:image/png;base64,AA" onerror="{MARK}"><a href="javascript:{MARK}">x</a>'
        f'<a href="data:text/html,{MARK}">y</a><a href="https://example.org" id="ej1" class="score">z</a>'
        f'<script>{MARK}()</script><style>body{{display:none}}</style><span class="kn highlight">k</span>'
    )
    assert _run(clean) == [] and "<script" not in clean and "<style" not in clean and "onerror" not in clean
    assert "<h2>T</h2>" in clean and '<th style="text-align:left;">a</th>' in clean
    assert '<img src="data:image/png;base64,AA">' in clean and '<a href="https://example.org">z</a>' in clean
    assert "<a>x</a>" in clean and "<a>y</a>" in clean, "javascript: and data: links lose their href"
    assert '<span class="kn highlight">k</span>' in clean, "code highlighting keeps its classes"


def _page(root, config) -> str:
    from nbconvert.exporters import HTMLExporter

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(MARKDOWN),
            nbformat.v4.new_code_cell(
                "print(1)",
                outputs=[
                    nbformat.v4.new_output("display_data", data={"application/javascript": f"document.title='{MARK}'"}),
                    nbformat.v4.new_output("display_data", data={"text/html": f'<b onclick="{MARK}()">b</b>'}),
                    nbformat.v4.new_output("display_data", data={"text/markdown": f"<img src=x onerror={MARK}()>"}),
                ],
            ),
        ]
    )
    path = root / "entrega.ipynb"
    nbformat.write(nb, path)
    resources = {
        "assignment_id": "tarea",
        "notebook_id": "entrega",
        "submission_id": "x",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": "ana",
        "last_name": "",
        "first_name": "",
        "notebook_path": "",
    }
    return HTMLExporter(config=config).from_filename(str(path), resources=resources)[0]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_formgraders_own_exporter_runs_no_student_script(tmp_path):
    """The exporter formgrader builds at start-up (``FormgradeExtension.initialize`` reads the
    course's config, then ``HTMLExporter(config=…)``) with its formgrade template, whose markdown
    cells skip nbconvert's ``sanitize_html``: nothing runs. Without the course's config the same
    page runs the student's handlers and scripts (the attack is real)."""
    from nbgrader.server_extensions.formgrader import handlers
    from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
    from traitlets.config import Config

    root = build_course(tmp_path / "curso")
    formgrader = FormgradeExtension()
    formgrader.initialize([], root=str(root))
    assert formgrader.config.HTMLExporter.template_name == "formgrade"
    page = _page(root, formgrader.config)
    assert _run(page) == []
    assert "<h1" in page and "<table>" in page and 'src="data:image/png;base64,iVBORw0KGgo="' in page
    assert 'href="https://example.org"' in page and 'id="ej1_pruebas"' not in page

    stock = Config()
    stock.HTMLExporter.template_name = "formgrade"
    stock.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    assert len(_run(_page(root, stock))) >= 4
