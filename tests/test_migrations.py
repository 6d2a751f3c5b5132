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


def test_upgrade_fills_the_latest_member_post_of_existing_space_threads(empty_database_uri, tmp_path):
    """The turn-taking migration sets each pair or group thread's latest *member* post (a coordinator's later
    post is skipped, a thread with only a coordinator's post and forum threads stay empty)."""
    from datetime import UTC, datetime, timedelta

    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_uri, KEYS_DIR=str(tmp_path / "keys"), SANDBOX_ENABLED=True
    )
    tables = Base.metadata.tables
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="4c0c7d8621ac")
        with db.engine.begin() as conn:

            def add(table: str, **values) -> int:
                return conn.execute(sa.insert(tables[table]).values(**values)).inserted_primary_key[0]

            platform = add(
                "platform", name="LMS", issuer="https://lms.example", client_id="c", auth_login_url="https://a",
                auth_token_url="https://t", jwks_url="https://j",
            )  # fmt: skip
            course = add("course", platform_id=platform, context_id="ctx")
            program = add("program", course_id=course)
            person, participant = {}, {}
            for name, role in (("mentor", "participant"), ("mentee", "participant"), ("peer", "participant"),
                               ("coordinator", "coordinator")):  # fmt: skip
                person[name] = add("person", platform_id=platform, sub=name)
                membership = add(
                    "membership", course_id=course, person_id=person[name], lti_roles=[], program_role=role
                )
                participant[name] = add("program_participant", program_id=program, membership_id=membership)
            pair = add(
                "mentorship", course_id=course, mentee_id=participant["mentee"], mentor_id=participant["mentor"],
                approved_at=start,
            )  # fmt: skip
            group = add("mentoring_group", course_id=course, name="Group 1")
            add("group_member", group_id=group, participant_id=participant["peer"], role="mentee")
            topic = add("forum_topic", course_id=course, title="General")

            def thread(where: dict, posts: list[str]) -> int:
                found = add("discussion_thread", course_id=course, title="t", **where)
                for i, author in enumerate(posts):
                    add(
                        "discussion_post", thread_id=found, author_id=person[author], body="b", body_html="<p>b</p>",
                        created_at=start + timedelta(hours=i),
                    )  # fmt: skip
                return found

            talk = thread({"space_kind": "pair", "space_id": pair}, ["mentee", "mentor", "coordinator"])
            asked = thread({"space_kind": "pair", "space_id": pair}, ["coordinator"])
            circle = thread({"space_kind": "group", "space_id": group}, ["peer", "coordinator"])
            forum = thread({"space_kind": "forum", "topic_id": topic}, ["mentee"])
        upgrade(revision="5e17e6399558")
        with db.engine.connect() as conn:
            t = tables["discussion_thread"]
            rows = {
                row.id: row
                for row in conn.execute(
                    sa.select(t.c.id, t.c.last_member_post_id, t.c.last_member_post_at, t.c.last_member_author_id)
                )
            }
            p = tables["discussion_post"]
            posts = {(row.thread_id, row.author_id): row.id for row in conn.execute(sa.select(p))}
        db.engine.dispose()
    assert rows[talk].last_member_author_id == person["mentor"]
    assert rows[talk].last_member_post_id == posts[(talk, person["mentor"])]
    assert rows[talk].last_member_post_at == start + timedelta(hours=1)
    assert rows[circle].last_member_author_id == person["peer"]
    assert rows[circle].last_member_post_at == start
    for empty in (asked, forum):
        assert (rows[empty].last_member_post_id, rows[empty].last_member_author_id) == (None, None)


def test_commitments_move_to_one_row_per_person_and_back(empty_database_uri, tmp_path):
    """A stored commitment becomes its author's ``prompt_commitment`` row (the closed stage stays closed);
    downgrading puts it back on the stage's progress row."""
    from datetime import UTC, datetime

    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_uri, KEYS_DIR=str(tmp_path / "keys"), SANDBOX_ENABLED=True
    )
    tables = Base.metadata.tables
    closed = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="5e17e6399558")
        with db.engine.begin() as conn:
            platform = conn.execute(
                sa.insert(tables["platform"]).values(
                    name="LMS",
                    issuer="https://lms.example",
                    client_id="c",
                    auth_login_url="https://a",
                    auth_token_url="https://t",
                    jwks_url="https://j",
                )
            ).inserted_primary_key[0]
            course = conn.execute(
                sa.insert(tables["course"]).values(platform_id=platform, context_id="ctx")
            ).inserted_primary_key[0]
            mentee = conn.execute(
                sa.insert(tables["person"]).values(platform_id=platform, sub="mentee")
            ).inserted_primary_key[0]
            progress = sa.Table("prompt_progress", sa.MetaData(), autoload_with=conn)
            row = {"course_id": course, "space_kind": "group", "space_id": 7, "set_kind": "five_cs"}
            conn.execute(
                sa.insert(progress),
                [
                    {
                        **row,
                        "stage_key": "creative",
                        "completed_at": closed,
                        "completed_by": mentee,
                        "commitment": None,
                    },
                    {
                        **row,
                        "stage_key": "conclusions",
                        "completed_at": closed,
                        "completed_by": mentee,
                        "commitment": "I will apply to three internships",
                    },
                ],
            )
        upgrade(revision="b2b06f5b8140")
        with db.engine.connect() as conn:
            c = tables["prompt_commitment"]
            moved = conn.execute(sa.select(c.c.space_kind, c.c.space_id, c.c.person_id, c.c.text, c.c.created_at)).all()
            stages = conn.execute(sa.select(tables["prompt_progress"].c.stage_key)).scalars().all()
        assert [tuple(r) for r in moved] == [("group", 7, mentee, "I will apply to three internships", closed)]
        assert sorted(stages) == ["conclusions", "creative"]
        downgrade(revision="5e17e6399558")
        with db.engine.connect() as conn:
            progress = sa.Table("prompt_progress", sa.MetaData(), autoload_with=conn)
            back = dict(conn.execute(sa.select(progress.c.stage_key, progress.c.commitment)).all())
        db.engine.dispose()
    assert back == {"creative": None, "conclusions": "I will apply to three internships"}


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
