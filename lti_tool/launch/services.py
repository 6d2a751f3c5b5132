"""Build the protocol objects a request needs from the app's configuration (one place, no globals)."""

from __future__ import annotations

import requests
from flask import current_app, g

from ..extensions import db
from .keys import KeyRing
from .message_launch import LaunchValidator, PlatformKeys
from .settings import LaunchSettings
from .store import DatabaseStore, ExpiringStore, RedisStore
from .tool_config import DatabaseToolConf

USER_AGENT = "MentoringSpace/0.1 (+LTI 1.3 tool)"


def http_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def launch_store() -> ExpiringStore:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get("launch_store")
    if store is None:
        if app.config.get("REDIS_URL"):
            import redis

            store = RedisStore(redis.Redis.from_url(app.config["REDIS_URL"]))
        else:
            store = DatabaseStore(db.engine)
        app.extensions["launch_store"] = store
    return store


def keyring() -> KeyRing:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ring = app.extensions.get("keyring")
    if ring is None:
        ring = KeyRing(app.config["KEYS_DIR"])
        app.extensions["keyring"] = ring
    return ring


def launch_settings() -> LaunchSettings:
    cfg = current_app.config
    return LaunchSettings(
        public_url=cfg["PUBLIC_URL"],
        secret_key=str(current_app.secret_key or ""),
        state_ttl=cfg["LOGIN_STATE_TTL"],
        launch_data_ttl=cfg["LAUNCH_DATA_TTL"],
        jwks_ttl=cfg["PLATFORM_JWKS_TTL"],
        leeway=cfg["JWT_LEEWAY_SECONDS"],
    )


def tool_conf() -> DatabaseToolConf:
    if "tool_conf" not in g:
        g.tool_conf = DatabaseToolConf(db.session(), keyring())
    return g.tool_conf


def launch_validator() -> LaunchValidator:
    store = launch_store()
    settings = launch_settings()
    keys = PlatformKeys(store, settings.jwks_ttl, http_session)
    if isinstance(store, DatabaseStore):
        # The nonce is recorded in the launch's own transaction, committed with the identity sync.
        store = store.within(db.session())
    return LaunchValidator(tool_conf(), store, keys, settings)
