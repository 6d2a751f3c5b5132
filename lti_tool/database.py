"""Engine settings that depend on the database behind ``SQLALCHEMY_DATABASE_URI``.

SQLite (the embedded default) gets write-ahead logging and ``synchronous=NORMAL``: readers no longer wait
for writers and a commit no longer waits for a disk sync, which is what makes several gunicorn threads
usable on one file. A busy timeout lets a writer wait for another instead of failing at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


def prepare_sqlite_folder(uri: str) -> None:
    """A fresh checkout has no ``instance/`` folder yet: create the SQLite file's folder."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and uri[len(prefix) :] not in {"", ":memory:"}:
        Path(uri[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def engine_options(uri: str, configured: dict[str, Any]) -> dict[str, Any]:
    options = dict(configured)
    if uri.startswith("sqlite"):
        # Each request may hold a session connection and a launch-store connection.
        options.setdefault("pool_size", 20)
        options.setdefault("max_overflow", 20)
    else:
        # No pre-ping (it costs a round trip per request); connections are recycled instead, and a
        # connection broken by a database restart fails one request, which the user can retry.
        options.setdefault("pool_recycle", 300)
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
    return options


_REQUEST_CACHE = "request_cache"


def enable_request_cache(session: Session) -> None:
    """Let domain code keep what it read for the rest of this web request (see :func:`request_cache`).

    The page guard turns it on for each request's session; jobs and CLI commands never have it."""
    session.info.setdefault(_REQUEST_CACHE, {})


def request_cache(session: Session) -> dict[Any, Any] | None:
    """A dict for results read more than once while rendering one page (several cards asking for the same
    rows), or None outside a web request. Emptied whenever the session flushes or a transaction ends, so
    nothing read before a write is served after it; None while changes are pending (a query would flush
    them first, so a cached answer could miss them)."""
    cache = session.info.get(_REQUEST_CACHE)
    if cache is None or session.new or session.dirty or session.deleted:
        return None
    return cache


@event.listens_for(Session, "after_flush")
def _remember_flush(session: Session, flush_context: Any) -> None:
    session.info["wrote"] = True
    if _REQUEST_CACHE in session.info:
        session.info[_REQUEST_CACHE].clear()


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, transaction: Any) -> None:
    if _REQUEST_CACHE in session.info:
        session.info[_REQUEST_CACHE].clear()
    # Only the outermost transaction: releasing a SAVEPOINT (``begin_nested``) keeps its writes pending.
    if transaction.parent is None:
        session.info.pop("wrote", None)


def commit_if_written(session: Session) -> None:
    """Commit only when this unit of work wrote something (pages that create rows on a first visit
    commit once; later visits end without a COMMIT round trip)."""
    if session.new or session.dirty or session.deleted or session.info.get("wrote"):
        session.commit()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
