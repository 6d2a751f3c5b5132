"""Security headers on every response.

``frame-ancestors`` lists this tool and the origins of every active registered platform, so an LMS we know
can frame us and nobody else can. The origin list is cached for a minute per process (a new registration
shows up within that minute on every worker).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from ..extensions import db
from ..models import Platform

_CACHE_SECONDS = 60


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _cached(app: Flask) -> tuple[list[str], str]:
    """The active platforms' origins and the Content-Security-Policy built from them (both per process, for
    ``_CACHE_SECONDS``)."""
    cached = app.extensions.get("platform_origins")
    now = time.monotonic()
    if cached and now - cached[0] < _CACHE_SECONDS:
        return cached[1], cached[2]
    rows = db.session.execute(
        db.select(Platform.issuer, Platform.auth_login_url).where(Platform.is_active.is_(True))
    ).all()
    origins = sorted({o for row in rows for o in (_origin(row[0]), _origin(row[1])) if o})
    policy = content_security_policy(origins)
    app.extensions["platform_origins"] = (now, origins, policy)
    return origins, policy


def platform_origins(app: Flask) -> list[str]:
    return _cached(app)[0]


def forget_platform_origins(app: Flask) -> None:
    """After a registration changed: drop this process's cached origins and registrations."""
    from ..launch.tool_config import forget

    app.extensions.pop("platform_origins", None)
    forget()


def content_security_policy(origins: list[str]) -> str:
    others = " ".join(origins)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {others}".strip(),
            f"frame-ancestors 'self' {others}".strip(),
        ]
    )


def add_security_headers(response: Response) -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = _cached(app)[1]
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html" and request.endpoint not in {"static"}:
        # Pages carry tool-session tokens in their links: never cache them.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
