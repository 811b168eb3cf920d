"""Static scan of a submission for code that reaches into the grading machinery.

Honest solutions of this course never touch the test helpers' code objects, IPython's input
and error machinery, ``sys.modules``, the interpreter's tracing hooks, ``ctypes``, raw sockets,
``/proc``, other frames or the garbage collector's object graph; a submission that does is
marked for **manual review** (with the Spanish reason) even when its tampering was undone by
the guard. The scan only reads the notebook: nothing in it runs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ... import checks
from .status import quoted

# attribute → why it is suspicious (reason shown to teacher and student, in Spanish)
_ATTRIBUTES = {
    "__code__": "cambia o lee el código de una función (__code__)",
    "__globals__": "accede a las variables globales de otra función (__globals__)",
    "__closure__": "accede al cierre de otra función (__closure__)",
    "__defaults__": "cambia los valores por defecto de otra función (__defaults__)",
    "__kwdefaults__": "cambia los valores por defecto de otra función (__kwdefaults__)",
    "__builtins__": "modifica las funciones integradas de Python (__builtins__)",
    "__subclasses__": "recorre las clases del intérprete (__subclasses__)",
    "f_back": "lee marcos de ejecución de otro código (f_back)",
    "f_globals": "lee marcos de ejecución de otro código (f_globals)",
    "f_locals": "lee marcos de ejecución de otro código (f_locals)",
    "f_code": "lee marcos de ejecución de otro código (f_code)",
    "tb_frame": "lee marcos de ejecución de otro código (tb_frame)",
    "modules": None,  # only as sys.modules, handled below
    "input_transformers_cleanup": "modifica cómo IPython transforma las celdas (input_transformers)",
    "input_transformers_post": "modifica cómo IPython transforma las celdas (input_transformers)",
    "input_transformer_manager": "modifica cómo IPython transforma las celdas (input_transformer_manager)",
    "ast_transformers": "modifica cómo IPython transforma las celdas (ast_transformers)",
    "set_custom_exc": "cambia cómo IPython informa de los errores (set_custom_exc)",
    "custom_exceptions": "cambia cómo IPython informa de los errores (custom_exceptions)",
    "showtraceback": "cambia cómo IPython informa de los errores (showtraceback)",
    "_showtraceback": "cambia cómo IPython informa de los errores (_showtraceback)",
    "showsyntaxerror": "cambia cómo IPython informa de los errores (showsyntaxerror)",
    "events": "registra ganchos en los eventos de IPython (events)",
    "run_cell": "intercepta la ejecución de celdas de IPython (run_cell)",
    "run_cell_async": "intercepta la ejecución de celdas de IPython (run_cell)",
    "transform_cell": "intercepta la ejecución de celdas de IPython (transform_cell)",
    "display_pub": "sustituye cómo IPython publica las salidas (display_pub)",
    "displayhook": "sustituye cómo IPython publica las salidas (displayhook)",
    "history_manager": "lee el historial de celdas de IPython (history_manager)",
    "get_referrers": "recorre el grafo de objetos del intérprete (gc.get_referrers)",
    "get_referents": "recorre el grafo de objetos del intérprete (gc.get_referents)",
    "get_objects": "recorre el grafo de objetos del intérprete (gc.get_objects)",
    "setprofile": "instala un gancho de perfilado o traza (sys.setprofile/settrace)",
    "settrace": "instala un gancho de perfilado o traza (sys.setprofile/settrace)",
    "_getframe": "lee marcos de ejecución de otro código (sys._getframe)",
    "currentframe": "lee marcos de ejecución de otro código (inspect.currentframe)",
    "getsource": "lee el código fuente de otro código (inspect.getsource)",
    "getsourcelines": "lee el código fuente de otro código (inspect.getsource)",
    "getouterframes": "lee marcos de ejecución de otro código (inspect)",
    "addaudithook": "instala un gancho de auditoría del intérprete (sys.addaudithook)",
    "meta_path": "modifica el sistema de importación (sys.meta_path)",
    "path_hooks": "modifica el sistema de importación (sys.path_hooks)",
    "excepthook": "cambia cómo se informa de los errores (excepthook)",
    "fork": "crea procesos (os.fork)",
    "forkpty": "crea procesos (os.forkpty)",
    "posix_spawn": "crea procesos (os.posix_spawn)",
    "posix_spawnp": "crea procesos (os.posix_spawnp)",
    **{
        name: f"crea procesos (os.{name})"
        for name in ("spawnv", "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe")
    },
    **{
        name: f"ejecuta otro programa (os.{name})"
        for name in ("execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe")
    },
    "FunctionType": "construye una función con el código de otra (types.FunctionType)",
    "CodeType": "construye código de Python a mano (types.CodeType)",
    "setsid": "se separa de su grupo de procesos (os.setsid)",
    "setpgid": "se separa de su grupo de procesos (os.setpgid)",
    "setpgrp": "se separa de su grupo de procesos (os.setpgrp)",
}
_MODULES = {  # importing these is never needed by an honest solution of this course
    "ctypes": "usa ctypes (acceso directo a la memoria del intérprete)",
    "_ctypes": "usa ctypes (acceso directo a la memoria del intérprete)",
    "_socket": "usa sockets de bajo nivel (_socket)",
    "gc": "usa el recolector de basura (gc) para llegar a objetos de la corrección",
    "builtins": "modifica las funciones integradas de Python (builtins)",
    "importlib": "recarga o manipula módulos (importlib)",
    "linecache": "lee el código fuente de otras celdas (linecache)",
    "nbgrader": "usa la herramienta de corrección (nbgrader)",
    "ipykernel": "manipula el kernel de Jupyter (ipykernel)",
    "jupyter_client": "manipula el kernel de Jupyter (jupyter_client)",
    "zmq": "manipula los canales del kernel de Jupyter (zmq)",
    "pty": "crea terminales y procesos (pty)",
    "subprocess": "crea procesos (subprocess)",
    "_posixsubprocess": "crea procesos (_posixsubprocess)",
    "multiprocessing": "crea procesos (multiprocessing)",
    # a thread started before an own_work call runs outside the watched thread
    "threading": "crea hilos (threading): trabajan fuera de la vigilancia de las pruebas",
    "_thread": "crea hilos (_thread): trabajan fuera de la vigilancia de las pruebas",
    "concurrent.futures": "crea hilos o procesos (concurrent.futures): trabajan fuera de la vigilancia de las pruebas",
    "types.FunctionType": "construye una función con el código de otra (types.FunctionType)",
    "types.CodeType": "construye código de Python a mano (types.CodeType)",
    "course_utils.tools": "usa las herramientas de corrección del curso (course_utils.tools)",
}
_CALLS = {
    "exec": "ejecuta código construido en tiempo de ejecución (exec)",
    "eval": "ejecuta código construido en tiempo de ejecución (eval)",
    "compile": "ejecuta código construido en tiempo de ejecución (compile)",
    "__import__": "importa módulos de forma oculta (__import__)",
    "setattr": None,  # only on a module, handled below
    "delattr": None,
    "globals": None,  # only when written to, handled below
}
# IPython magics a notebook of this course may use (%time and %timeit: their code is scanned too);
# any other (%run, %load, %%bash, %%script, %%writefile…) runs code or commands the scan cannot read
_HARMLESS_MAGICS = {"matplotlib", "time", "timeit"}
_STRINGS = {
    "/proc": "lee /proc (memoria o estado de otros procesos)",
    "grading.guard": "toca la protección de las pruebas (grading.guard)",
    "course-grading-guard": "se hace pasar por la protección de las pruebas",
    "course_utils.tools": "usa las herramientas de corrección del curso (course_utils.tools)",
    "gradebook": "intenta acceder al registro de notas (gradebook)",
    "sqlite_master": "intenta manipular una base de datos (sqlite_master)",
    "CREATE TRIGGER": "intenta manipular una base de datos (CREATE TRIGGER)",
    "course-evaluator": "imita las respuestas del evaluador de confianza",
}
MAX_CELL_CHARS = 200_000  # a longer code cell is not parsed (a scan bomb costs the grader memory): it is flagged
# Modules whose attributes a submission must not rebind (np.allclose = …, torch.testing.… = …).
_PROTECTED_MODULES = (
    "json",  # the evaluator's requests and answers are JSON in the kernel
    "numpy",
    "torch",
    "course_utils",
    "builtins",
    "sys",
    "IPython",
    "math",
    "operator",
    "functools",
    "unittest",
    "pytest",
    "os",
    "warnings",
    "inspect",
)
_GUARDED_NAMES = {*checks.__all__, "get_ipython"} - {"CheckFailure"}


@dataclass(frozen=True)
class Finding:
    """One suspicious construct: where (cell id or index, line) and why (Spanish)."""

    cell: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.cell}, línea {self.line}: {self.reason}"


def _python_source(source: str) -> str:
    """The Python that IPython would run for a cell (magics and ``!`` lines translated)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw text
        return source


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self.aliases: dict[str, str] = {}  # local name → module it names

    def _flag(self, node: ast.AST, reason: str) -> None:
        self.found.append((getattr(node, "lineno", 0), reason))

    def _module_of(self, node: ast.AST) -> str | None:
        """The module an expression like ``np.testing`` starts from, if a protected one."""
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if isinstance(node, ast.Name):
            module = self.aliases.get(node.id, node.id if node.id in ("__builtins__", "course_utils") else None)
            if module and module.split(".")[0] in _PROTECTED_MODULES + ("__builtins__",):
                return module
        return None

    def _is_shell(self, node: ast.AST) -> bool:
        """``get_ipython()`` or a name that is not an imported module (``ip = get_ipython()``)."""
        if isinstance(node, ast.Call):
            return isinstance(node.func, ast.Name) and node.func.id == "get_ipython"
        return isinstance(node, ast.Name) and node.id not in self.aliases

    def _check_import(self, node: ast.AST, module: str) -> None:
        for banned, reason in _MODULES.items():
            if module == banned or module.startswith(banned + "."):
                self._flag(node, reason)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_import(node, alias.name)
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._check_import(node, module)
        for alias in node.names:
            self._check_import(node, f"{module}.{alias.name}")
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
            if module == "sys" and alias.name == "modules":
                self._flag(node, "modifica los módulos cargados (sys.modules)")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        reason = _ATTRIBUTES.get(node.attr)
        if node.attr == "modules" and self._module_of(node.value) == "sys":
            reason = "modifica los módulos cargados (sys.modules)"
        if node.attr in ("system", "popen") and self._module_of(node.value) == "os":
            reason = f"crea procesos (os.{node.attr})"
        elif node.attr in ("system", "getoutput", "system_piped", "system_raw") and self._is_shell(node.value):
            reason = f"ejecuta órdenes de la terminal (!orden, .{node.attr})"
        if node.attr == "tools" and (self._module_of(node.value) or "").startswith("course_utils"):
            reason = _MODULES["course_utils.tools"]
        if reason:
            self._flag(node, reason)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self._flag(node, _ATTRIBUTES["__builtins__"])
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("run_line_magic", "run_cell_magic"):
            magic = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            cell = node.func.attr == "run_cell_magic"
            if magic not in _HARMLESS_MAGICS:
                shown = f"{'%%' if cell else '%'}{magic}" if isinstance(magic, str) else "una orden mágica de IPython"
                self._flag(node, f"ejecuta código u órdenes que no están en la celda ({shown})")
            for code in node.args[1:]:  # the statement that %time / %%timeit run
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    self.found += [(node.lineno, reason) for _, reason in scan_source(code.value)]
                elif magic in _HARMLESS_MAGICS and magic != "matplotlib":
                    self._flag(node, f"ejecuta código construido en tiempo de ejecución (%{magic})")
        if isinstance(node.func, ast.Name) and node.func.id in _CALLS:
            name = node.func.id
            if _CALLS[name]:
                self._flag(node, _CALLS[name])
            elif name in ("setattr", "delattr") and node.args and self._module_of(node.args[0]):
                self._flag(node, f"modifica el módulo {self._module_of(node.args[0])} ({name})")
        self.generic_visit(node)

    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element)
        elif isinstance(target, ast.Name) and target.id in _GUARDED_NAMES:
            self._flag(target, f"redefine {target.id}, que usan las pruebas")
        elif isinstance(target, ast.Attribute):
            module = self._module_of(target.value)
            if module:
                self._flag(target, f"modifica {module}.{target.attr}, que usan las pruebas")
        elif isinstance(target, ast.Subscript):
            base = target.value
            if (
                isinstance(base, ast.Call)
                and isinstance(base.func, ast.Name)
                and base.func.id in ("globals", "vars", "locals")
            ):
                self._flag(target, f"escribe en {base.func.id}()")
            elif self._module_of(base) in ("sys",) or (isinstance(base, ast.Attribute) and base.attr == "__dict__"):
                self._flag(target, "escribe en el diccionario de un módulo u objeto ajeno")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in _GUARDED_NAMES:
            self._flag(node, f"redefine {node.name}, que usan las pruebas")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            for needle, reason in _STRINGS.items():
                if needle.lower() in node.value.lower():
                    self._flag(node, reason)


def scan_source(source: str) -> list[tuple[int, str]]:
    """``(line, reason)`` for each suspicious construct in one cell's source."""
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:
        return []  # it cannot run either
    visitor = _Visitor()
    visitor.visit(tree)
    return sorted(set(visitor.found))


def scan_notebook(nb) -> list[Finding]:
    """Findings in every code cell of a notebook (``nbformat`` node or dict)."""
    findings = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        where = quoted(grade_id, 60) if grade_id else f"celda {index + 1}"  # an id the student may have chosen
        if len(source) > MAX_CELL_CHARS:
            findings.append(Finding(where, 1, f"celda de código de {len(source):,} caracteres, no analizada"))
            continue
        if str(cell.get("id", "")).startswith("course-grading-guard"):
            findings.append(Finding(where, 1, _STRINGS["course-grading-guard"]))
        findings += [Finding(where, line, reason) for line, reason in scan_source(source)]
    return findings


def review_reason(findings: list[Finding], limit: int = 3) -> str:
    """One Spanish sentence for status.csv, summary and feedback ('' when nothing was found)."""
    if not findings:
        return ""
    shown = "; ".join(str(f) for f in findings[:limit])
    more = f" (y {len(findings) - limit} más)" if len(findings) > limit else ""
    return f"revisión manual: el código entregado accede a la maquinaria de corrección — {shown}{more}"
