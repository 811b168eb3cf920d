"""nbgrader release step: each blank stub says, in Spanish, what to write.

``ClearSolutions`` leaves ``raise NotImplementedError("Ejercicio sin hacer")`` where a solution
was; this step names the function or method the stub stands in, so that running a blank
exercise tells the student exactly where to work (``… escribe el cuerpo de
WeightedAverage.forward``) instead of a bare English ``NotImplementedError``."""

from __future__ import annotations

import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

STUB = 'raise NotImplementedError("Ejercicio sin hacer")'
_DEF = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)")


def stub_message(owner: str) -> str:
    if not owner:
        return "Ejercicio sin hacer: sustituye esta línea por tu código"
    return f"Ejercicio sin hacer: escribe el cuerpo de {owner} en lugar de esta línea"


def name_stubs(source: str) -> str:
    """``source`` with every generic stub naming its enclosing ``Class.method`` or function."""
    lines, scopes = source.split("\n"), []  # scopes: (indent, name)
    for i, line in enumerate(lines):
        match = _DEF.match(line)
        indent = len(line) - len(line.lstrip())
        if line.strip():
            scopes = [s for s in scopes if s[0] < indent]
        if match:
            scopes.append((len(match.group(1)), match.group(3)))
            continue
        if line.strip() == STUB:
            owner = ".".join(name for _, name in scopes)
            lines[i] = line.replace(STUB, f"raise NotImplementedError({stub_message(owner)!r})")
    return "\n".join(lines)


class NameTheStub(NbGraderPreprocessor):
    """After ``ClearSolutions``: name the function to write in every solution cell's stub."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_solution(cell):
            cell.source = name_stubs(cell.source)
        return cell, resources
