"""Gradebook schema integrity: nbgrader's gradebook has its tables and nothing else. A trigger
(``UPDATE grade SET auto_score = max_score``), a view or a table that nbgrader did not create
means someone changed how scores are stored; grading refuses to trust such a gradebook."""

from __future__ import annotations

import sqlalchemy
from nbgrader.api import Base

# nbgrader's tables, alembic's version table, SQLite's bookkeeping
_KNOWN_TABLES = frozenset(Base.metadata.tables) | {"alembic_version", "sqlite_sequence", "sqlite_stat1"}


def _triggers(connection, dialect: str) -> list[str]:
    if dialect == "sqlite":
        rows = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    elif dialect == "postgresql":
        rows = connection.exec_driver_sql(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        )
    else:
        return []
    return sorted(row[0] for row in rows)


def schema_problems(db_url: str) -> list[str]:
    """Triggers, views and tables in the gradebook at ``db_url`` that nbgrader does not create
    (Spanish, one line each; empty when the schema is nbgrader's)."""
    engine = sqlalchemy.create_engine(db_url)
    try:
        inspector = sqlalchemy.inspect(engine)
        with engine.connect() as connection:
            problems = [
                f"disparador (trigger) ajeno a nbgrader: {name}" for name in _triggers(connection, engine.dialect.name)
            ]
        problems += [f"vista ajena a nbgrader: {name}" for name in sorted(inspector.get_view_names())]
        problems += [
            f"tabla ajena a nbgrader: {name}"
            for name in sorted(inspector.get_table_names())
            if name not in _KNOWN_TABLES
        ]
        return problems
    finally:
        engine.dispose()
