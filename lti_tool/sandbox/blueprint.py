"""The ``sandbox`` blueprint (``/sandbox``) with its own templates, static files and headers."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy.orm import Session

from ..extensions import db

bp = Blueprint(
    "sandbox",
    __name__,
    url_prefix="/sandbox",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def dbs() -> Session:
    """The request's database session (the scoped session's current ``Session``)."""
    return db.session()


def sandbox_url() -> str:
    return current_app.config["SANDBOX_URL"]


def public_url() -> str:
    return current_app.config["PUBLIC_URL"]


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        # The LMS frames tools and posts launches to them, wherever they are hosted.
        "frame-src 'self' http: https:",
        "form-action 'self' http: https:",
        "frame-ancestors 'self'",
    ]
)


@bp.after_request
def sandbox_headers(response: Response) -> Response:
    """The LMS's own CSP (it posts to and frames the tool, which the tool's CSP would not allow)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
