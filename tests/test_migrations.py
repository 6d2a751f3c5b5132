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
