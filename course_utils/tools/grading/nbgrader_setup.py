"""The course's nbgrader configuration, applied by ``nbgrader_config.py`` so that every path —
``course grade``, plain ``nbgrader`` commands and formgrader's buttons — grades and gives
feedback the same way: hidden tests judged by the trusted evaluator outside the kernel
(:mod:`.evaluator`), never shown in feedback (:mod:`.hide_hidden_tests`)."""

from __future__ import annotations

import re

import bleach
from bleach.css_sanitizer import CSSSanitizer
from jinja2 import pass_context
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters.autograde import Autograde
from nbgrader.converters.generate_assignment import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions, DeduplicateIds, Execute, GetGrades, SaveAutoGrades
from traitlets.config import LoggingConfigurable

from ..name_the_stub import NameTheStub
from .drop_empty_metadata import DropEmptyNbgraderMetadata
from .evaluator.execute import ExecuteThenEvaluate
from .evaluator.save_grades import SaveTrustedGrades
from .hide_hidden_tests import HideHiddenTests
from .kernel import SANDBOXED
from .preprocessors import GuardGradedTests, StderrIsNotAFailure, TruncateLargeOutputs

MISSING_CELL_NOTE = "# RESTAURADA AL CALIFICAR: la celda {cell_id} faltaba en la entrega.\n"


def autograde_steps() -> list[type]:
    """nbgrader's autograde steps with the course's: the guard first, the evaluator in place of
    ``Execute``, outputs cut and stderr kept as text, the evaluator's scores saved."""
    steps = Autograde.class_traits()["autograde_preprocessors"].default()
    if steps[0] is not Execute or SaveAutoGrades not in steps:
        raise RuntimeError("nbgrader's autograde steps changed: review course_utils.tools.grading.nbgrader_setup")
    rest = [SaveTrustedGrades if step is SaveAutoGrades else step for step in steps[1:]]
    return [GuardGradedTests, ExecuteThenEvaluate, TruncateLargeOutputs, StderrIsNotAFailure, *rest]


def sanitize_steps() -> list[type]:
    """nbgrader's sanitize steps with an emptied cell metadata dropped right after ``DeduplicateIds``."""
    steps = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    at = steps.index(DeduplicateIds) + 1
    return [*steps[:at], DropEmptyNbgraderMetadata, *steps[at:]]


def release_steps() -> list[type]:
    """nbgrader's release steps with each blank stub naming the function to write."""
    steps = list(GenerateAssignment.class_traits()["preprocessors"].default())
    at = steps.index(ClearSolutions) + 1
    return [*steps[:at], NameTheStub, *steps[at:]]


def configure(c) -> None:
    """Apply the course's grading and feedback steps to nbgrader's config object ``c``."""
    c.GenerateAssignment.preprocessors = release_steps()
    c.Autograde.sanitize_preprocessors = sanitize_steps()
    c.Autograde.autograde_preprocessors = autograde_steps()
    # every kernel that autograding starts runs in the sandbox, whoever starts it (plain nbgrader,
    # formgrader's button); `course grade` adds its per-student workspace, limits and uid, and
    # only its explicit --no-sandbox runs kernels without it
    c.ExecuteThenEvaluate.kernel_manager_class = SANDBOXED
    # a deleted grade cell comes back from the gradebook, and the teacher is told
    c.OverwriteCells.add_missing_cells = True
    c.OverwriteCells.missing_cell_notification = MISSING_CELL_NOTE
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
    # submissions are shown to the teacher (formgrader) and students (feedback) as HTML: no script
    # or event handler a student wrote runs in their browsers. sanitize_html drops Javascript and
    # widget outputs and cleans HTML and Markdown outputs (through the clean_html filter); the
    # formgrade and feedback templates render markdown cells with markdown2html alone, so that
    # filter cleans its own HTML too (formgrader builds its exporter from this config)
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {
        "markdown2html": f"{__name__}.SanitizedMarkdown",
        "clean_html": f"{__name__}.clean_submission_html",
    }


# --- HTML of a submission, for formgrader and feedback pages ------------------------------------------
_TAGS = {
    *("a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "kbd", "li", "ol", "p", "pre", "q"),
    *("s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr"),
    *("u", "ul"),
}
# the classes nbconvert's Markdown and code highlighting write (Pygments' short token classes); never
# formgrader's own (score, tabbable, nbgrader_cell…), which its scripts look up in the page
_CLASS = re.compile(r"^(?:[a-z]{1,3}\d?|highlight|hll|hl-[\w-]+|anchor-link|language-[\w+-]+|math)$")
_TABLE_CSS = CSSSanitizer(allowed_css_properties={"text-align"})


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """Attributes kept: no event handler, no ``id`` or ``name`` (formgrader finds its grade inputs
    by id), no style but a table cell's alignment; bleach then drops a link or image whose URL
    is not http(s), mailto, relative or (images only) data."""
    if name == "class":
        return all(_CLASS.match(token) for token in value.split())
    if name in ("title", "alt"):
        return True
    if tag == "a":
        return name == "href" and not value.strip().lower().startswith("data:")
    if tag == "img":
        return name in ("src", "width", "height")
    if tag in ("td", "th"):
        return name in ("align", "colspan", "rowspan", "style")
    if tag == "ol":
        return name == "start"
    if tag == "input":
        return (name == "type" and value == "checkbox") or name in ("checked", "disabled")
    return False


def clean_submission_html(html: object) -> str:
    """HTML a student can influence (a markdown cell, an HTML or Markdown output), safe to show
    in the teacher's formgrader page: no script, style sheet, iframe, form, event handler or
    ``javascript:`` URL; what Markdown writes (headings, tables, images, links, code) stays.
    Also nbconvert's ``clean_html`` filter in the course's config (same name, stricter)."""
    text = html.decode() if isinstance(html, bytes) else str(html)
    return bleach.clean(
        text,
        tags=_TAGS,
        attributes=_allowed_attribute,
        protocols={"http", "https", "mailto", "data"},
        css_sanitizer=_TABLE_CSS,
        strip=True,
        strip_comments=True,
    )


class SanitizedMarkdown(LoggingConfigurable):
    """The exporter's own ``markdown2html`` filter (attachments, anchors, math), its HTML then
    cleaned by :func:`clean_submission_html`. nbconvert builds it with the exporter as parent."""

    jinja_pass_arg = pass_context(lambda context: None).jinja_pass_arg  # jinja hands it the context

    def __call__(self, context, source):
        render = getattr(self.parent, "markdown2html", None)
        if render is None:
            from nbconvert.filters import markdown2html

            return clean_submission_html(markdown2html(source))
        return clean_submission_html(render(context, source))
