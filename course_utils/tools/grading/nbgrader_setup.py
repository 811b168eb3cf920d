"""The course's nbgrader configuration, applied by ``nbgrader_config.py`` so that every path —
``course grade``, plain ``nbgrader`` commands and formgrader's buttons — grades and gives
feedback the same way: hidden tests judged by the trusted evaluator outside the kernel
(:mod:`.evaluator`), never shown in feedback (:mod:`.hide_hidden_tests`)."""

from __future__ import annotations

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters.autograde import Autograde
from nbgrader.converters.generate_assignment import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions, DeduplicateIds, Execute, GetGrades, SaveAutoGrades

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
    # or event handler a student wrote runs in their browsers
    c.HTMLExporter.sanitize_html = True
