"""nbgrader sanitize step: a cell whose nbgrader metadata ``DeduplicateIds`` emptied is an
ordinary cell again.

A student who pastes a copy of a graded cell keeps its metadata (Jupyter copies it);
``DeduplicateIds`` then empties the earlier copy's to ``{}``, and ``OverwriteCells`` — which
puts back missing graded cells — fails on it with ``KeyError: 'grade_id'``: the whole notebook
scored 0 for an honest paste. Without the key the cell is plain code, and the graded cell comes
back from the gradebook as for any other missing one."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor


class DropEmptyNbgraderMetadata(NbGraderPreprocessor):
    """Remove ``metadata.nbgrader`` where it is empty."""

    def preprocess_cell(self, cell, resources, index):
        if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources
