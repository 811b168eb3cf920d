"""The course's notebook executor: papermill, in the course's kernel.

``course run`` (and through it the tests' executions of each chapter) and the first-hour check
(``course bench first-hour``) execute notebooks with :func:`execute_notebook`. The first-hour
check runs it in a child process, ``python -m course_utils.tools.execution SOURCE OUTPUT``, so
that the kernel starts inside that process's network isolation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

KERNEL_NAME = "python3"


def describe_failure(err: BaseException) -> str:
    """Say which cell failed and why, from papermill's execution error when there is one."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(err, PapermillExecutionError):
        source = "\n".join(err.source.splitlines()[:8])
        return (
            f"cell {err.cell_index} (execution {err.exec_count}) raised {err.ename}: {err.evalue}\n"
            f"--- cell source (first lines) ---\n{source}"
        )
    return f"{type(err).__name__}: {err}"


def execute_notebook(
    source: Path,
    output: Path,
    *,
    parameters: dict | None = None,
    cwd: Path | None = None,
    cell_timeout: int | None = None,
    progress: bool = False,
) -> str | None:
    """Execute ``source`` into ``output`` in the course's kernel, in ``cwd`` (default: the
    notebook's folder), with ``parameters`` injected after the cell tagged ``parameters``.

    Returns None when every cell ran, else what failed (see :func:`describe_failure`); never
    raises for a notebook's error. ``output`` is written in both cases, the failing cell with
    its traceback. ``cell_timeout`` (seconds per cell) defaults to no limit."""
    import papermill as pm

    try:
        pm.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(cwd or Path(source).parent),
            progress_bar=progress,
            execution_timeout=cell_timeout,
        )
    except Exception as err:  # noqa: BLE001 - reported to the caller
        return describe_failure(err)
    return None


def main(argv: list[str] | None = None) -> int:
    """Execute one notebook in this process (exit status 1 and the failure on stderr if it fails)."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.execution", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("source", type=Path, help="the notebook to execute")
    parser.add_argument("output", type=Path, help="where the executed notebook is written")
    parser.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default: no limit)")
    args = parser.parse_args(argv)
    error = execute_notebook(args.source, args.output, cell_timeout=args.cell_timeout)
    if error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - run by first_hour in a child process
    sys.exit(main())
