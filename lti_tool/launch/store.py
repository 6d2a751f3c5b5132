"""A small expiring key-value store for the LTI handshake, shared by all workers and hosts.

Holds OIDC login state (bound to its nonce), used nonces, launch data and cached platform JWKS.
Redis when ``REDIS_URL`` is set, the database otherwise; never process memory. ``consume`` and
``add`` are atomic, which is what makes a state or a nonce usable exactly once.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ..models import LaunchValue, utcnow


class ExpiringStore(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, ttl: int) -> None: ...
    def add(self, key: str, value: Any, ttl: int) -> bool:
        """Store only if absent; False when the key already exists (and has not expired)."""
        ...

    def consume(self, key: str) -> Any | None:
        """Return and delete in one step; None when absent, expired or consumed by someone else."""
        ...

    def delete(self, key: str) -> None: ...


class RedisStore:
    def __init__(self, client: Any, prefix: str = "ms:lti:") -> None:
        self.client = client
        self.prefix = prefix

    def get(self, key: str) -> Any | None:
        raw = self.client.get(self.prefix + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int) -> None:
        self.client.set(self.prefix + key, json.dumps(value), ex=ttl)

    def add(self, key: str, value: Any, ttl: int) -> bool:
        return bool(self.client.set(self.prefix + key, json.dumps(value), ex=ttl, nx=True))

    def consume(self, key: str) -> Any | None:
        raw = self.client.getdel(self.prefix + key)
        return None if raw is None else json.loads(raw)

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)


class _Statements:
    """The store's statements, built once per engine: building a statement costs more than running it.

    Values are bound parameters (``:k``, ``:v``, ``:exp``, ``:now``); SQLAlchemy caches each compiled form.
    """

    def __init__(self, insert: Any) -> None:
        key, value, expires_at = LaunchValue.key, LaunchValue.value, LaunchValue.expires_at
        live = expires_at > bindparam("now")
        self.get = select(value).where(key == bindparam("k"), live)
        upsert = insert(LaunchValue).values(key=bindparam("k"), value=bindparam("v"), expires_at=bindparam("exp"))
        taken_over = {"value": upsert.excluded.value, "expires_at": upsert.excluded.expires_at}
        self.set = upsert.on_conflict_do_update(index_elements=[key], set_=taken_over)
        # Take over the key only when the row there has expired; a live row means "already present".
        # RETURNING rather than rowcount: psycopg reports -1 for an upsert's rowcount.
        self.add = upsert.on_conflict_do_update(
            index_elements=[key], set_=taken_over, where=expires_at <= bindparam("now")
        ).returning(key)
        self.consume = delete(LaunchValue).where(key == bindparam("k"), live).returning(value)
        self.delete = delete(LaunchValue).where(key == bindparam("k"))
        self.sweep = delete(LaunchValue).where(expires_at <= bindparam("now"))


class DatabaseStore:
    """Uses its own one-statement transactions so it never touches the request's unit of work.

    ``add`` and ``set`` are upserts (``INSERT … ON CONFLICT``), ``consume`` is ``DELETE … RETURNING``: one
    round trip each, atomic on SQLite and PostgreSQL alike. Expired rows are overwritten by ``add`` and
    swept now and then by ``sweep``.
    """

    SWEEP_EVERY = 500

    def __init__(self, engine: Engine, session: Session | None = None, parent: DatabaseStore | None = None) -> None:
        self.engine = engine
        self.session = session
        # A store used ``within`` a session shares its parent's statements and write count (so the sweep
        # also runs when every write goes through a launch's transaction).
        self._sql: _Statements = parent._sql if parent else _Statements(_dialect_insert(engine))
        self._writes: itertools.count[int] = parent._writes if parent else itertools.count(1)

    def within(self, session: Session) -> DatabaseStore:
        """The same store writing inside ``session``'s transaction: the caller's commit makes the writes
        permanent and a rollback undoes them (a launch records its nonce with the identity it syncs)."""
        return DatabaseStore(self.engine, session, self)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        if self.session is not None:
            yield self.session.connection()
        else:
            with self.engine.begin() as conn:
                yield conn

    def get(self, key: str) -> Any | None:
        with self._transaction() as conn:
            row = conn.execute(self._sql.get, {"k": key, "now": utcnow()}).first()
        return None if row is None else row[0]

    def set(self, key: str, value: Any, ttl: int) -> None:
        self._write(self._sql.set, {"k": key, "v": value, "exp": self._expiry(ttl)})

    def add(self, key: str, value: Any, ttl: int) -> bool:
        params = {"k": key, "v": value, "exp": self._expiry(ttl), "now": utcnow()}
        with self._transaction() as conn:
            written = conn.execute(self._sql.add, params).first() is not None
        self._count_write()
        return written

    def consume(self, key: str) -> Any | None:
        with self._transaction() as conn:
            row = conn.execute(self._sql.consume, {"k": key, "now": utcnow()}).first()
        # Two workers may race for the same key; only the one whose DELETE removed the row gets it.
        return None if row is None else row[0]

    def delete(self, key: str) -> None:
        self._write(self._sql.delete, {"k": key})

    def sweep(self) -> int:
        """Remove expired rows; returns how many."""
        with self._transaction() as conn:
            return conn.execute(self._sql.sweep, {"now": utcnow()}).rowcount

    def _write(self, stmt: Any, params: dict[str, Any]) -> None:
        with self._transaction() as conn:
            conn.execute(stmt, params)
        self._count_write()

    def _count_write(self) -> None:
        if next(self._writes) % self.SWEEP_EVERY == 0:
            self.sweep()

    @staticmethod
    def _expiry(ttl: int):
        return utcnow() + timedelta(seconds=ttl)


def _dialect_insert(engine: Engine):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise RuntimeError(f"the launch store supports SQLite and PostgreSQL, not {engine.dialect.name}; set REDIS_URL")
