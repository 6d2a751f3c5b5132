"""Configuration read from the environment, with a test subclass.

Embedded default: SQLite in ``instance/``, launch data in the database, jobs in-process, demo LMS on.
Production: set ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``, ``SECRET_KEY`` and ``PUBLIC_URL``; the demo
LMS stays off unless ``SANDBOX_ENABLED=1``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{PROJECT_ROOT / 'instance' / 'mentoring.sqlite'}"
    # psycopg 3 is the driver we ship; accept the common postgres:// spellings.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    ENV_NAME = "production" if os.environ.get("MENTORING_ENV") == "production" else "embedded"
    SECRET_KEY = os.environ.get("SECRET_KEY") or ""
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Public base URL of the tool (scheme + host, no trailing slash), used in registration and JWKS URLs.
    PUBLIC_URL = (os.environ.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    KEYS_DIR = os.environ.get("KEYS_DIR") or str(PROJECT_ROOT / "keys")
    KEY_GRACE_DAYS = int(os.environ.get("KEY_GRACE_DAYS", "7"))
    SANDBOX_ENABLED = _bool("SANDBOX_ENABLED", ENV_NAME != "production")
    # Tool-session tokens carried by links and forms inside the LMS iframe.
    TOOL_SESSION_MAX_AGE = int(os.environ.get("TOOL_SESSION_MAX_AGE", str(2 * 3600)))
    LAUNCH_DATA_TTL = 2 * 3600
    LOGIN_STATE_TTL = 10 * 60
    # Platform JWKS are cached this long; an unknown kid forces a refresh.
    PLATFORM_JWKS_TTL = int(os.environ.get("PLATFORM_JWKS_TTL", "3600"))
    JWT_LEEWAY_SECONDS = 60
    WTF_CSRF_TIME_LIMIT = None  # bounded by the tool-session token's own lifetime
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ["en", "es", "fr", "de", "pt"]
    SESSION_COOKIE_SAMESITE = "Lax"
    # Grade delivery (AGS): worker threads and batch, lease on claimed rows, retries, HTTP timeout; after a
    # coordinator's action a delivery job runs, going on while retries fall due within GRADES_JOB_WAIT s.
    GRADES_CONCURRENCY = int(os.environ.get("GRADES_CONCURRENCY", "8"))
    GRADES_BATCH = int(os.environ.get("GRADES_BATCH", "200"))
    GRADES_LEASE_SECONDS = float(os.environ.get("GRADES_LEASE_SECONDS", "120"))
    GRADES_BACKOFF_BASE = float(os.environ.get("GRADES_BACKOFF_BASE", "2"))
    GRADES_BACKOFF_MAX = float(os.environ.get("GRADES_BACKOFF_MAX", "900"))
    GRADES_MAX_ATTEMPTS = int(os.environ.get("GRADES_MAX_ATTEMPTS", "12"))
    GRADES_HTTP_TIMEOUT = float(os.environ.get("GRADES_HTTP_TIMEOUT", "20"))
    GRADES_DELIVER_AFTER_COMMIT = _bool("GRADES_DELIVER_AFTER_COMMIT", True)
    GRADES_JOB_WAIT = float(os.environ.get("GRADES_JOB_WAIT", "60"))
    JOBS_INLINE = _bool("JOBS_INLINE", not os.environ.get("REDIS_URL"))
    # In-process job threads (embedded); RQ queue name and per-job time limit (production workers).
    JOBS_THREADS = int(os.environ.get("JOBS_THREADS", "2"))
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE") or "mentoring"
    JOBS_TIMEOUT = int(os.environ.get("JOBS_TIMEOUT", "1800"))
    # A running job silent this long (no progress), or queued this long, is marked failed when next looked at.
    JOBS_STALE_MINUTES = float(os.environ.get("JOBS_STALE_MINUTES", "10"))
    JOBS_QUEUED_STALE_MINUTES = float(os.environ.get("JOBS_QUEUED_STALE_MINUTES", "60"))
    # NRPS page size asked of the LMS (it may answer with another) and the HTTP timeout per request.
    ROSTER_PAGE_SIZE = int(os.environ.get("ROSTER_PAGE_SIZE", "100"))
    ROSTER_HTTP_TIMEOUT = float(os.environ.get("ROSTER_HTTP_TIMEOUT", "30"))
    # A coordinator's first launch in a never-synced course starts its roster sync.
    ROSTER_SYNC_ON_LAUNCH = _bool("ROSTER_SYNC_ON_LAUNCH", True)
    # Email (notifications). No MAIL_SERVER: mails go to the demo LMS's mailbox when the sandbox is on,
    # else they are recorded as not sent. NOTIFY_TICK_SECONDS > 0 runs a tick job that often in-process
    # (the embedded default); production runs `flask notifications run` from cron and leaves it at 0.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM") or "Mentoring Space <no-reply@localhost>"
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
    NOTIFY_TICK_SECONDS = float(os.environ.get("NOTIFY_TICK_SECONDS", "0" if ENV_NAME == "production" else "300"))
    NOTIFY_DIGEST_HOUR = int(os.environ.get("NOTIFY_DIGEST_HOUR", "8"))
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "5"))
    NOTIFY_BACKOFF_BASE = float(os.environ.get("NOTIFY_BACKOFF_BASE", "60"))
    TESTING = False

    @classmethod
    def finalize(cls, app_config: dict) -> None:
        """Checks that fail fast in production rather than running with a guessable secret."""
        if not app_config.get("SECRET_KEY"):
            if app_config.get("ENV_NAME") == "production":
                raise RuntimeError("SECRET_KEY must be set in production")
            app_config["SECRET_KEY"] = _embedded_secret(Path(app_config["KEYS_DIR"]))


def _embedded_secret(keys_dir: Path) -> str:
    """A random secret kept beside the keys (git-ignored) so the embedded demo survives restarts."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    path = keys_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class TestConfig(Config):
    """Tests: a temporary SQLite file unless DATABASE_URL points at PostgreSQL (CI's second pass)."""

    TESTING = True
    SECRET_KEY = "test-" + secrets.token_hex(16)
    SANDBOX_ENABLED = True
    JOBS_INLINE = True
    KEY_GRACE_DAYS = 7
    # Fast retries; delivery runs when a test asks for it (tests/test_grades_views.py turns the job on).
    GRADES_BACKOFF_BASE = 0.01
    GRADES_BACKOFF_MAX = 0.5
    GRADES_HTTP_TIMEOUT = 10.0
    GRADES_DELIVER_AFTER_COMMIT = False
    GRADES_JOB_WAIT = 5.0
    # Off for the shared live server: a background sync would change other tests' courses while they run;
    # tests/test_roster.py turns it on where it tests it.
    ROSTER_SYNC_ON_LAUNCH = False
    # Tests call the notifications tick themselves (deterministic); mail goes to the demo mailbox.
    NOTIFY_TICK_SECONDS = 0
    MAIL_SERVER = None
