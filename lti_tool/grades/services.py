"""What grade delivery needs, built once per process: sessions, the tool's keys, the token store, settings.

Everything here is plain SQLAlchemy and pylti1p3, so the worker runs the same in a request thread, a
background thread, a CLI command or a job. :func:`from_app` is the one place that reads the Flask app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..launch.keys import KeyRing
from ..launch.store import ExpiringStore
from ..launch.tool_config import DatabaseToolConf
from ..models import Platform
from .ags import AgsClient, TimeoutSession, ags_scopes
from .connector import SharedTokenServiceConnector

USER_AGENT = "MentoringSpace/0.1 (+LTI 1.3 tool; grades)"


@dataclass(frozen=True)
class DeliverySettings:
    """Tuning of the delivery worker (``GRADES_*`` in the configuration)."""

    concurrency: int = 8
    batch: int = 200
    lease_seconds: float = 120.0
    backoff_base: float = 2.0
    backoff_max: float = 900.0
    max_attempts: int = 12
    timeout: float = 20.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliverySettings:
        return cls(
            concurrency=int(config.get("GRADES_CONCURRENCY", cls.concurrency)),
            batch=int(config.get("GRADES_BATCH", cls.batch)),
            lease_seconds=float(config.get("GRADES_LEASE_SECONDS", cls.lease_seconds)),
            backoff_base=float(config.get("GRADES_BACKOFF_BASE", cls.backoff_base)),
            backoff_max=float(config.get("GRADES_BACKOFF_MAX", cls.backoff_max)),
            max_attempts=int(config.get("GRADES_MAX_ATTEMPTS", cls.max_attempts)),
            timeout=float(config.get("GRADES_HTTP_TIMEOUT", cls.timeout)),
        )


@dataclass
class GradeServices:
    session_factory: Callable[[], Session]
    keyring: KeyRing
    store: ExpiringStore
    settings: DeliverySettings = field(default_factory=DeliverySettings)
    _connectors: dict[tuple[int, str], SharedTokenServiceConnector] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_engine(
        cls, engine: Engine, keyring: KeyRing, store: ExpiringStore, settings: DeliverySettings | None = None
    ) -> GradeServices:
        return cls(sessionmaker(bind=engine, expire_on_commit=False), keyring, store, settings or DeliverySettings())

    def connector(self, session: Session, platform_id: int) -> SharedTokenServiceConnector:
        """One connector per registration and signing key: after ``flask keys rotate`` the next connector
        signs its client assertions with the new key (tokens are shared through the store anyway)."""
        kid = self.keyring.active().kid
        with self._lock:
            connector = self._connectors.get((platform_id, kid))
            if connector is None:
                platform = session.get(Platform, platform_id)
                if platform is None:
                    raise LookupError(f"no platform {platform_id}")
                registration = DatabaseToolConf(session, self.keyring).registration_for(platform)
                http = TimeoutSession(self.settings.timeout, USER_AGENT)
                connector = SharedTokenServiceConnector(registration, self.store, http)
                self._connectors[(platform_id, kid)] = connector
            return connector

    def client(self, session: Session, platform_id: int, granted_scopes: list | None, http=None) -> AgsClient:
        return AgsClient(
            self.connector(session, platform_id),
            ags_scopes(granted_scopes),
            http or TimeoutSession(self.settings.timeout, USER_AGENT),
        )

    @property
    def token_requests(self) -> int:
        return sum(c.token_requests for c in self._connectors.values())


def from_app(app: Any) -> GradeServices:
    """The app's grade services (cached on the app): its engine, key folder, launch store and settings."""
    cached = app.extensions.get("grade_services")
    if cached is None:
        from ..extensions import db
        from ..launch.services import keyring, launch_store

        with app.app_context():
            cached = GradeServices.for_engine(
                db.engine, keyring(), launch_store(), DeliverySettings.from_config(app.config)
            )
        app.extensions["grade_services"] = cached
    return cached
