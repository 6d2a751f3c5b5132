"""A small expiring key-value store for the LTI handshake, shared by all workers and hosts.

Holds OIDC login state (bound to its nonce), used nonces, launch data and cached platform JWKS.
Redis when ``REDIS_URL`` is set, the database otherwise; never process memory. ``consume`` and
``add`` are atomic, which is what makes a state or a nonce usable exactly once.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

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


class DatabaseStore:
    """Uses its own short transactions so it never touches the request's unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> Any | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(LaunchValue.value).where(LaunchValue.key == key, LaunchValue.expires_at > utcnow())
            ).first()
        return None if row is None else row[0]

    def set(self, key: str, value: Any, ttl: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(LaunchValue).where(LaunchValue.key == key))
            conn.execute(insert(LaunchValue).values(key=key, value=value, expires_at=self._expiry(ttl)))

    def add(self, key: str, value: Any, ttl: int) -> bool:
        now = utcnow()
        with self.engine.begin() as conn:
            # An expired row must not block a new one; sweep a few expired rows while here.
            conn.execute(delete(LaunchValue).where(LaunchValue.expires_at <= now))
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(LaunchValue).values(key=key, value=value, expires_at=self._expiry(ttl)))
        except IntegrityError:
            return False
        return True

    def consume(self, key: str) -> Any | None:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(LaunchValue.value).where(LaunchValue.key == key, LaunchValue.expires_at > utcnow())
            ).first()
            if row is None:
                return None
            deleted = conn.execute(delete(LaunchValue).where(LaunchValue.key == key)).rowcount
        # Two workers may read the same row; only the one whose DELETE removed it wins.
        return row[0] if deleted == 1 else None

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(LaunchValue).where(LaunchValue.key == key))

    @staticmethod
    def _expiry(ttl: int):
        return utcnow() + timedelta(seconds=ttl)
