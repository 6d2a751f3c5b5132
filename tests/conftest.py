"""Shared fixtures: the app served over real HTTP with its built-in demo LMS.

The default run uses a temporary SQLite file and no server. With ``DATABASE_URL`` (PostgreSQL) and
``REDIS_URL`` set, the same tests run against those services (CI's second pass).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import text
from werkzeug.serving import make_server

from lti_tool import create_app
from lti_tool.config import TestConfig
from lti_tool.extensions import db

from .support.browser import LmsBrowser

# CI runs the property tests on a fixed set of generated examples, so a red build is reproducible;
# locally hypothesis explores new examples on every run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _database_uri(tmp: Path) -> str:
    if os.environ.get("DATABASE_URL"):
        return TestConfig.SQLALCHEMY_DATABASE_URI
    return f"sqlite:///{tmp / 'mentoring-test.sqlite'}"


def _reset_schema(app) -> None:
    """An empty database built by the migrations, as `make demo` and production build it."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="heads")


def _flush_redis() -> None:
    url = os.environ.get("REDIS_URL")
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()


class LiveServer:
    def __init__(self, app, port: int) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    @property
    def tool_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def lms_url(self) -> str:
        return f"http://localhost:{self.port}"


def make_live_app(tmp: Path):
    """An app whose PUBLIC_URL matches the port it will be served on."""
    probe = make_server("127.0.0.1", 0, lambda e, s: [])
    port = probe.server_port
    probe.server_close()
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=_database_uri(tmp),
        KEYS_DIR=str(tmp / "keys"),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        SANDBOX_URL=f"http://localhost:{port}",
        REDIS_URL=os.environ.get("REDIS_URL") or None,
    )
    return app, port


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    """One real HTTP server for the session: tool and demo LMS on 127.0.0.1 / localhost."""
    tmp = tmp_path_factory.mktemp("live")
    app, port = make_live_app(tmp)
    _reset_schema(app)
    _flush_redis()
    server = LiveServer(app, port).start()
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(live):
    return live.app


@pytest.fixture
def browser(live) -> LmsBrowser:
    """A cookie-keeping HTTP client that drives the demo LMS like a person's browser."""
    return LmsBrowser(live.tool_url, live.lms_url)


@pytest.fixture
def cookieless_browser(live) -> LmsBrowser:
    """Like ``browser`` but refusing every cookie, as a browser blocking third-party cookies in an iframe."""
    return LmsBrowser(live.tool_url, live.lms_url, cookies=False)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright, shared by every browser test of the session."""
    from playwright.sync_api import sync_playwright

    from .support.playwright_helpers import launch_chromium, require_browser_deps

    require_browser_deps()
    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()
