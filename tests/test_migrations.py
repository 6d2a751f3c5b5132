"""Migrations build exactly the schema the models describe, upgrade and downgrade, on SQLite or PostgreSQL."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lti_tool import create_app
from lti_tool.config import TestConfig
from lti_tool.extensions import db
from lti_tool.models import Base


@pytest.fixture
def empty_database_uri(tmp_path):
    """A brand-new database: a SQLite file, or a throwaway PostgreSQL database in CI's second pass."""
    if not os.environ.get("DATABASE_URL"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    admin = sa.create_engine(TestConfig.SQLALCHEMY_DATABASE_URI, isolation_level="AUTOCOMMIT")
    name = "mentoring_mig_" + uuid.uuid4().hex[:8]
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_matches_models_and_downgrades(empty_database_uri, tmp_path):
    """`flask db upgrade` on an empty database yields no difference from the models; downgrade empties it."""
    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_uri, KEYS_DIR=str(tmp_path / "keys"), SANDBOX_ENABLED=True
    )
    with app.app_context():
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def test_single_migration_head():
    """Feature branches' migrations are merged: `flask db upgrade` has exactly one head to go to."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    folder = Path(__file__).resolve().parent.parent / "lti_tool" / "migrations"
    config = Config()
    config.set_main_option("script_location", str(folder))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: run `flask db merge heads`"


def _insert(conn, table: sa.Table, values: dict) -> int:
    """Insert a row giving every required column a plain value (the test cares about ``values`` only)."""
    from datetime import UTC, datetime

    plain = {int: 1, str: "x", bool: False, float: 1.0, datetime: datetime.now(UTC), dict: {}, list: []}
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key or column.server_default is not None:
            continue
        row[column.name] = plain[column.type.python_type]
    if "key" in table.columns and "key" not in values:
        row["key"] = uuid.uuid4().hex
    if "sub" in table.columns and "sub" not in values:
        row["sub"] = uuid.uuid4().hex
    return conn.execute(table.insert().values(**row)).inserted_primary_key[0]


def test_upgrade_marks_the_results_a_coordinator_typed_as_overrides(empty_database_uri, tmp_path):
    """Results recorded before ``is_override`` existed: a hand-graded activity's scores, evaluation results
    with a comment, and completion scores below the maximum become overrides; computed ones (and every
    participation result) do not."""
    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_uri, KEYS_DIR=str(tmp_path / "keys"), SANDBOX_ENABLED=True
    )
    with app.app_context():
        upgrade(revision="4c0c7d8621ac")
        meta = sa.MetaData()
        meta.reflect(db.engine)
        t = meta.tables
        with db.engine.begin() as conn:
            platform = _insert(conn, t["platform"], {})
            course = _insert(conn, t["course"], {"platform_id": platform})
            people = [_insert(conn, t["person"], {"platform_id": platform}) for _ in range(2)]

            def column(kind: str, rule: str) -> int:
                item = _insert(conn, t["grade_line_item"], {"course_id": course, "score_maximum": 10.0})
                _insert(
                    conn,
                    t["gradable_activity"],
                    {"course_id": course, "kind": kind, "rule": rule, "score_maximum": 10.0, "line_item_id": item},
                )
                return item

            manual, completion = column("evaluation", "manual"), column("evaluation", "completion")
            instrument, participation = (
                column("evaluation", "instrument_score"),
                column("participation", "participation"),
            )
            rows = {
                "manual graded": (manual, people[0], 8.0, None),
                "manual pending": (manual, people[1], None, None),
                "completion computed": (completion, people[0], 10.0, None),
                "completion overridden": (completion, people[1], 7.0, None),
                "instrument computed": (instrument, people[0], 6.0, None),
                "instrument with comment": (instrument, people[1], 6.0, "Well argued"),
                "participation": (participation, people[0], 5.0, "Mentoring participation: 3 messages"),
            }
            ids = {
                name: _insert(
                    conn,
                    t["grade_result"],
                    {"line_item_id": item, "person_id": person, "score_given": score, "comment": comment},
                )
                for name, (item, person, score, comment) in rows.items()
            }
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            marked = dict(conn.execute(sa.text("SELECT id, is_override FROM grade_result")).all())
        db.engine.dispose()
    assert {name: bool(marked[i]) for name, i in ids.items()} == {
        "manual graded": True,
        "manual pending": False,
        "completion computed": False,
        "completion overridden": True,
        "instrument computed": False,
        "instrument with comment": True,
        "participation": False,
    }
