"""`python -m course_utils.tools.nbgrader_main` is `python -m nbgrader` whose new gradebooks carry
the schema version nbgrader itself would write (read in-process instead of from the `alembic`
program)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from course_utils.tools.environment import tool_environment
from course_utils.tools.nbgrader_main import schema_version
from course_utils.tools.release import nbgrader_command, run_nbgrader


def test_the_schema_version_is_the_one_nbgrader_asks_alembic_for():
    nbgraders_own = subprocess.run(
        [sys.executable, "-c", "import nbgrader.api; print(nbgrader.api.get_alembic_version())"],
        capture_output=True,
        text=True,
        env=tool_environment(),
        check=True,
    ).stdout.strip()
    assert nbgraders_own and schema_version() == nbgraders_own


def test_a_gradebook_made_through_it_is_stamped_with_that_version(tmp_path):
    db = tmp_path / "gradebook.db"
    run_nbgrader(
        nbgrader_command(
            "db", "student", "add", "ana", root=tmp_path, extra=[f"--CourseDirectory.db_url=sqlite:///{db}"]
        ),
        cwd=tmp_path,
    )
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(schema_version(),)]
        assert con.execute("SELECT id FROM student").fetchall() == [("ana",)]
