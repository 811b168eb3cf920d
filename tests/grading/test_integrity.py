"""The gradebook schema check: nbgrader's own gradebook passes; a trigger, a view or a foreign
table that could forge or hide scores is reported."""

from __future__ import annotations

import sqlite3

import pytest
from nbgrader.api import Gradebook

from course_utils.tools.environment import patched_environ, tool_environment
from course_utils.tools.grading.integrity import schema_problems

FORGERIES = {
    "trigger": (
        "CREATE TRIGGER nota_maxima AFTER UPDATE ON grade BEGIN "
        "UPDATE grade SET auto_score = 100 WHERE id = NEW.id; END",
        "trigger",
    ),
    "view": ("CREATE VIEW notas AS SELECT * FROM grade", "vista"),
    "table": ("CREATE TABLE notas_falsas (x)", "tabla"),
}


@pytest.fixture
def gradebook(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with patched_environ(PATH=tool_environment()["PATH"]), Gradebook(url) as gb:  # nbgrader runs alembic
        gb.add_student("ana")
    return url, tmp_path / "gradebook.db"


def test_nbgraders_own_gradebook_is_sound(gradebook):
    assert schema_problems(gradebook[0]) == []


@pytest.mark.parametrize("kind", FORGERIES)
def test_forgeries_are_reported(gradebook, kind):
    url, path = gradebook
    sql, word = FORGERIES[kind]
    with sqlite3.connect(path) as con:
        con.execute(sql)
    problems = schema_problems(url)
    assert len(problems) == 1 and word in problems[0]


def test_postgresql_trigger_and_view_are_reported(postgres_url):
    import psycopg

    with patched_environ(PATH=tool_environment()["PATH"]), Gradebook(postgres_url) as gb:
        gb.update_or_create_student("integridad")
    assert schema_problems(postgres_url) == []
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(
            "CREATE FUNCTION forja() RETURNS trigger AS $$ BEGIN NEW.auto_score := 100; RETURN NEW; END $$ "
            "LANGUAGE plpgsql"
        )
        con.execute("CREATE TRIGGER forja BEFORE UPDATE ON grade FOR EACH ROW EXECUTE FUNCTION forja()")
        con.execute("CREATE VIEW notas AS SELECT 1 AS x")
        try:
            problems = schema_problems(postgres_url)
        finally:  # the server is shared by the session's other tests
            con.execute("DROP VIEW notas")
            con.execute("DROP TRIGGER forja ON grade")
            con.execute("DROP FUNCTION forja()")
    assert any("trigger" in p and "forja" in p for p in problems) and any("vista" in p for p in problems)
    assert len(problems) == 2
