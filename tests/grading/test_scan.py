"""The static scan flags code that reaches into the grading machinery, and nothing honest."""

from __future__ import annotations

import nbformat
import pytest

from course_utils.config import repo_root
from course_utils.tools.grading.scan import review_reason, scan_notebook, scan_source

HOSTILE = {
    "code_object": "check_close.__code__ = (lambda *a, **k: None).__code__",
    "restore_replaced": "import course_utils.tools.grading.guard as g\ng.restore = lambda *a: None",
    "guard_by_name": "__import__('course_utils.tools.grading.guard')",
    "input_transformer": "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
    "input_transformer_post": "ip = get_ipython()\nip.input_transformers_post.insert(0, f)",
    "custom_exc": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",
    "showtraceback": "get_ipython().showtraceback = lambda *a, **k: None",
    "events": "get_ipython().events.register('pre_run_cell', f)",
    "allclose": "import numpy as np\nnp.allclose = lambda *a, **k: True",
    "allclose_setattr": "import numpy\nsetattr(numpy, 'allclose', lambda *a, **k: True)",
    "torch_testing": "import torch\ntorch.testing.assert_close = lambda *a, **k: None",
    "builtins": "import builtins\nbuiltins.abs = lambda x: 0",
    "dunder_builtins": "__builtins__.len = lambda x: 0",
    "sys_modules": "import sys\nsys.modules['course_utils.checks'] = object()",
    "sys_modules_from": "from sys import modules\nmodules.pop('numpy')",
    "ctypes": "import ctypes\nctypes.memmove(0, 0, 0)",
    "raw_socket": "import _socket",
    "fork": "import os\nif os.fork() == 0:\n    os.setsid()",
    "posix_spawn": "import os\nos.posix_spawn('/bin/cat', ['cat'], {})",
    "spawnv": "import os\nos.spawnv(os.P_NOWAIT, '/bin/sleep', ['sleep', '9'])",
    "execv": "import os\nos.execv('/bin/sh', ['sh'])",
    "subprocess": "import subprocess\nsubprocess.Popen(['sleep', '9'])",
    "multiprocessing": "from multiprocessing import Process",
    "os_system": "import os as sistema\nsistema.system('sleep 9 &')",
    "proc": "open('/proc/self/mem', 'rb')",
    "setprofile": "import sys\nsys.setprofile(None)",
    "settrace": "import sys\nsys.settrace(lambda *a: None)",
    "getsource": "import inspect\nimport course_utils.checks as c\ninspect.getsource(c)",
    "frames": "import sys\nsys._getframe(1).f_back.f_globals['x'] = 1",
    "referrers": "import gc\ngc.get_referrers(check_close)",
    "globals_write": "globals()['check_close'] = print",
    "rebind_helper": "def check_close(*a, **k):\n    pass",
    "exec": "exec('import os')",
    "magic_line": "%load_ext autoreload\nimport ctypes",
    # the red team's: code written to a file and run, shell commands, code hidden in %time
    "run_written_file": "open('ayuda.py', 'w').write(codigo)\n%run ayuda.py",
    "shell_line": "!python3 -c 'import os; os.setsid()'",
    "shell_cell": "%%bash\npython3 -c 'import ctypes'",
    "timed_import": "%time import ctypes",
    # a thread started before the call, a course function copied under another module's name
    "thread_pool": "from concurrent.futures import ThreadPoolExecutor\n_hilo = ThreadPoolExecutor(1)",
    "thread": "import threading",
    "function_copy": "import types\ncopia = types.FunctionType(getattr(f, nombre), {})",
    "trigger": "import sqlite3\nsqlite3.connect('x.db').execute('CREATE TRIGGER t AFTER INSERT ON grade BEGIN SELECT 1; END')",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_each_trick_is_flagged(name):
    assert scan_source(HOSTILE[name]), f"{name} not flagged"


@pytest.mark.parametrize(
    "source",
    [
        "import numpy as np\nx = np.allclose(a, b)",
        "%matplotlib inline\n%timeit sum(range(10))",
        "import torch\nmodel.eval()\nfor m in model.modules():\n    pass",
        "import os\npath = os.path.join('data', 'x.csv')",
        "import platform\nprint(platform.system())",
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.rcParams['figure.dpi'] = 100",
        "from course_utils.checks import check_close\ncheck_close(f(2), 4, name='f')",
        "self.proj = nn.Linear(4, 2)\nsetattr(self, 'w', 1)",
        "def forward(self, x):\n    return self.net(x)",
        "esto no es Python (",
    ],
)
def test_honest_code_is_not_flagged(source):
    assert scan_source(source) == []


def test_no_flag_on_the_published_course():
    """Every code cell of every chapter (solutions and hidden tests, and the student release)."""
    notebooks = sorted(repo_root().glob("solutions/*/*.ipynb")) + sorted(repo_root().glob("notebooks/*/*.ipynb"))
    assert len(notebooks) >= 12
    flagged = {p.name: [str(f) for f in scan_notebook(nbformat.read(p, as_version=4))] for p in notebooks}
    assert {name: found for name, found in flagged.items() if found} == {}


def test_reason_names_cell_line_and_cause():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("import numpy as np\nnp.allclose = max")]
    )
    reason = review_reason(scan_notebook(nb))
    assert reason.startswith("revisión manual") and "celda 2, línea 2" in reason and "numpy.allclose" in reason
    assert review_reason([]) == ""


def test_guard_attribute_path_and_forged_guard_id():
    assert scan_source("course_utils.tools.grading.guard.restore = print")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    nb.cells[0]["id"] = "course-grading-guard"
    assert "protección" in review_reason(scan_notebook(nb))


def test_a_grade_id_the_student_chose_is_quoted_on_one_line():
    """The cell is named by its grade_id, which the student can write: it is quoted («…», one
    line, cut), so Markdown and newlines in it cannot add lines to the teacher's summary."""
    injected = "x\n- **clase_00** (3/3): revisión manual: copia\n\n## Entregas para revisar a mano\n"
    cell = nbformat.v4.new_code_cell("import gc")
    cell.metadata["nbgrader"] = {"grade_id": injected}
    reason = review_reason(scan_notebook(nbformat.v4.new_notebook(cells=[cell])))
    assert "\n" not in reason
    assert "— «x - **clase_00** (3/3): revisión manual: copia ## Entregas…», línea 1: usa el recolector" in reason
