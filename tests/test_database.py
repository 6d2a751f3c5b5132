"""Engine and session helpers: commit_if_written sees writes made inside savepoints."""

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.database import commit_if_written, enable_request_cache, request_cache
from lti_tool.extensions import db
from lti_tool.models import LaunchValue, utcnow


def _row(key: str) -> LaunchValue:
    return LaunchValue(key=key, value=1, expires_at=utcnow() + timedelta(minutes=5))


def test_writes_inside_a_savepoint_are_committed(app):
    """A row flushed inside begin_nested (get-or-create) is committed by commit_if_written."""
    key = "savepoint-" + uuid.uuid4().hex
    with app.app_context():
        with Session(db.engine) as session:
            with session.begin_nested():
                session.add(_row(key))
                session.flush()
            commit_if_written(session)
        with Session(db.engine) as fresh:
            assert fresh.execute(select(LaunchValue.key).where(LaunchValue.key == key)).scalar() == key


def test_nothing_written_means_no_commit_needed(app):
    """A read-only unit of work ends without a commit; a plain flush is committed."""
    key = "plain-" + uuid.uuid4().hex
    with app.app_context():
        with Session(db.engine) as session:
            session.execute(select(LaunchValue.key).limit(1))
            commit_if_written(session)
            assert "wrote" not in session.info
            session.add(_row(key))
            session.flush()
            commit_if_written(session)
            assert "wrote" not in session.info, "cleared once the outer transaction ends"
        with Session(db.engine) as fresh:
            assert fresh.execute(select(LaunchValue.key).where(LaunchValue.key == key)).scalar() == key


def test_request_cache_is_emptied_by_writes_and_transaction_ends(app):
    """What a page read once is served again until the session flushes or its transaction ends; off unless
    enabled (jobs and commands never cache)."""
    with app.app_context(), Session(db.engine) as session:
        assert request_cache(session) is None
        enable_request_cache(session)
        session.execute(select(LaunchValue.key).limit(1))
        request_cache(session)["k"] = 1  # type: ignore[index]
        assert request_cache(session) == {"k": 1}
        session.add(_row("cache-" + uuid.uuid4().hex))
        session.flush()
        assert request_cache(session) == {}
        request_cache(session)["k"] = 2  # type: ignore[index]
        session.add(_row("pending-" + uuid.uuid4().hex))
        assert request_cache(session) is None, "pending changes are not served from the cache"
        session.rollback()
        assert request_cache(session) == {}
