"""The baseline for ``benchmarks/launch.py``: a minimal LTI 1.3 tool built only from pylti1p3's stock parts.

``FlaskOIDCLogin`` and ``FlaskMessageLaunch`` with a ``ToolConfDict``, Flask's cookie session as the launch
data store (pylti1p3's default ``SessionDataStorage``), no database. The routes mirror Mentoring Space's:
``/lti/login`` → ``/lti/launch`` (303) → ``/page?launch_id=…``, which restores the launch from the session
and renders a small page with the user's name (``stock_templates/page.html``), as a pylti1p3 tool's first page does.

The one addition to a bare setup is pylti1p3's own public-key caching (``set_public_key_caching``) with a
per-process dict, so the baseline does not fetch the platform JWKS on every launch; Mentoring Space caches it
too, and a baseline that did one more HTTP call per launch would flatter us.

With ``STOCK_CHECKS_DATABASE_URL`` set, the same tool also does, in the plainest way, the two things issue 2
asks of every launch that pylti1p3 leaves to the tool (see ``RequiredChecks``): each nonce used at most once in
a store shared by all workers, and the person's course membership upserted on each launch, which every later
page checks. This is the third row of the benchmark: it shows how much of the gap to the bare stock tool is
those required checks and how much is Mentoring Space itself.

Configured from the environment by the benchmark (it is not a deployable tool):
``STOCK_ISSUER``, ``STOCK_CLIENT_ID``, ``STOCK_DEPLOYMENT_ID``, ``STOCK_AUTH_LOGIN_URL``,
``STOCK_AUTH_TOKEN_URL``, ``STOCK_JWKS_URL``, ``STOCK_PRIVATE_KEY_FILE``, ``STOCK_PUBLIC_KEY_FILE``,
``SECRET_KEY``. Serve it with ``gunicorn 'stock_pylti1p3_app:create_app()'`` from this folder.
"""

from __future__ import annotations

import os
import time
import typing as t
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, abort, redirect, render_template, url_for
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.tool_config import ToolConfDict
from sqlalchemy import Column, DateTime, MetaData, String, Table, UniqueConstraint, create_engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"

checks_metadata = MetaData()
used_nonces = Table(
    "bench_stock_nonce",
    checks_metadata,
    Column("issuer", String(255), primary_key=True),
    Column("nonce", String(255), primary_key=True),
    Column("used_at", DateTime, nullable=False),
)
memberships = Table(
    "bench_stock_membership",
    checks_metadata,
    Column("issuer", String(255), nullable=False),
    Column("sub", String(255), nullable=False),
    Column("context_id", String(255), nullable=False),
    Column("name", String(255)),
    Column("roles", String(2000), nullable=False),
    Column("launched_at", DateTime, nullable=False),
    UniqueConstraint("issuer", "sub", "context_id"),
)


class ProcessKeySetCache(LaunchDataStorage[t.Any]):
    """A dict for pylti1p3's public-key cache (key sets only; state and nonces stay in the session)."""

    def __init__(self) -> None:
        super().__init__()
        self._data: dict[str, tuple[float, t.Any]] = {}

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> t.Any:
        found = self._data.get(self._prepare_key(key))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def set_value(self, key: str, value: t.Any, exp: int | None = None) -> None:
        self._data[self._prepare_key(key)] = (time.monotonic() + (exp or 3600), value)

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None


class RequiredChecks:
    """A single-use nonce and a membership upsert per launch, and a membership check per page, with SQLAlchemy
    Core on the same kind of database as Mentoring Space's (SQLite in WAL mode, or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.dialect_insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        checks_metadata.create_all(self.engine)

    def record_launch(self, body: dict[str, t.Any]) -> bool:
        """False when the id_token's nonce was used before (a replay)."""
        now = datetime.now(UTC).replace(tzinfo=None)
        context_id = (body.get(CONTEXT_CLAIM) or {}).get("id", "")
        upsert = self.dialect_insert(memberships).values(
            issuer=body["iss"],
            sub=body["sub"],
            context_id=context_id,
            name=body.get("name"),
            roles=" ".join(body.get(ROLES_CLAIM) or []),
            launched_at=now,
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=["issuer", "sub", "context_id"],
            set_={"name": upsert.excluded.name, "roles": upsert.excluded.roles, "launched_at": now},
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(used_nonces.insert().values(issuer=body["iss"], nonce=body["nonce"], used_at=now))
                conn.execute(upsert)
        except IntegrityError:
            return False
        return True

    def is_member(self, body: dict[str, t.Any]) -> bool:
        context_id = (body.get(CONTEXT_CLAIM) or {}).get("id", "")
        query = select(memberships.c.roles).where(
            memberships.c.issuer == body["iss"],
            memberships.c.sub == body["sub"],
            memberships.c.context_id == context_id,
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None


def _sqlite_pragmas(dbapi_connection: t.Any, _record: t.Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def tool_conf_from_env() -> ToolConfDict:
    env = os.environ
    iss = env["STOCK_ISSUER"]
    client_id = env["STOCK_CLIENT_ID"]
    conf = ToolConfDict(
        {
            iss: [
                {
                    "default": True,
                    "client_id": client_id,
                    "auth_login_url": env["STOCK_AUTH_LOGIN_URL"],
                    "auth_token_url": env["STOCK_AUTH_TOKEN_URL"],
                    "key_set_url": env["STOCK_JWKS_URL"],
                    "key_set": None,
                    "deployment_ids": [env["STOCK_DEPLOYMENT_ID"]],
                }
            ]
        }
    )
    conf.set_private_key(iss, Path(env["STOCK_PRIVATE_KEY_FILE"]).read_text(), client_id=client_id)
    conf.set_public_key(iss, Path(env["STOCK_PUBLIC_KEY_FILE"]).read_text(), client_id=client_id)
    return conf


def create_app() -> Flask:
    # A template file, compiled once per process as in any Flask tool (render_template_string would compile
    # it on every request and make the baseline slower than a real tool).
    app = Flask(__name__, template_folder="stock_templates")
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    tool_conf = tool_conf_from_env()
    key_cache = ProcessKeySetCache()
    checks_url = os.environ.get("STOCK_CHECKS_DATABASE_URL")
    checks = RequiredChecks(checks_url) if checks_url else None

    @app.route("/lti/login", methods=["GET", "POST"])
    def login():
        oidc_login = FlaskOIDCLogin(FlaskRequest(), tool_conf)
        return oidc_login.redirect(url_for("launch", _external=True))

    @app.route("/lti/launch", methods=["POST"])
    def launch():
        message_launch = FlaskMessageLaunch(FlaskRequest(), tool_conf)
        message_launch.set_public_key_caching(key_cache, cache_lifetime=3600)
        body = message_launch.get_launch_data()  # validates: state, format, nonce, registration, signature, deployment
        if checks is not None and not checks.record_launch(body):
            abort(403, "This launch was already used.")
        return redirect(url_for("page", launch_id=message_launch.get_launch_id()), code=303)

    @app.route("/page")
    def page():
        from flask import request

        launch_id = request.args.get("launch_id", "")
        message_launch = FlaskMessageLaunch.from_cache(launch_id, FlaskRequest(), tool_conf)
        body = message_launch.get_launch_data()
        if checks is not None and not checks.is_member(body):
            abort(403, "You are not a member of this course.")
        context = body.get(CONTEXT_CLAIM) or {}
        return render_template(
            "page.html", name=body.get("name") or body.get("sub"), course=context.get("title"), launch_id=launch_id
        )

    @app.route("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
