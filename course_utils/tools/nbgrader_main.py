"""``python -m nbgrader``, except that a new gradebook's schema version is read in-process.

nbgrader stamps every gradebook it creates with its newest alembic revision, which it asks the
``alembic`` program for: a second Python process, about 3 s, for each gradebook a grading batch
creates (the class gradebook, the batch's template). The same revision is read here from
nbgrader's own migration scripts with alembic's API; a test compares the two."""

from __future__ import annotations

import functools
import runpy
import sys


@functools.cache
def schema_version() -> str:
    """nbgrader's newest gradebook revision, as ``alembic heads`` prints it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader import dbutil

    config = Config()
    config.set_main_option("script_location", dbutil.ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def read_schema_version_in_process() -> None:
    """Make this process's nbgrader use :func:`schema_version` for new gradebooks."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = schema_version


if __name__ == "__main__":
    read_schema_version_in_process()
    sys.argv[0] = "nbgrader"
    runpy.run_module("nbgrader", run_name="__main__", alter_sys=True)
