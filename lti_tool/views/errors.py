"""Errors in one place: HTTP errors as a page or JSON as the client asks, and a rollback on 500."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db

log = logging.getLogger(__name__)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Something in the request was not right"), _("Go back and check what you entered.")),
        401: (
            _("Your session has ended"),
            _("For your security, Mentoring Space sessions are short. Open Mentoring Space again from your course."),
        ),
        403: (_("You do not have access to this page"), _("This page belongs to another course, pair or role.")),
        404: (_("Page not found"), _("The page does not exist or belongs to another course.")),
        405: (_("That action is not allowed here"), _("Use the buttons on the page.")),
        413: (_("What you sent is too large"), _("Shorten it and try again; nothing was saved.")),
        429: (_("Too many requests"), _("Wait a moment and try again.")),
        500: (_("Something went wrong on our side"), _("Nothing you entered was lost. Try again in a moment.")),
    }


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_http_error(err: HTTPException):
    code = err.code or 500
    if code >= 500:
        db.session.rollback()
    title, hint = _messages().get(code, (err.name, ""))
    if isinstance(err, CSRFError):
        title, hint = _("The form expired"), _("Reload the page and submit it again; your text is kept below.")
    if _wants_json():
        return jsonify(error=err.name, message=title, hint=hint), code
    return render_template("error.html", code=code, title=title, hint=hint), code


def render_unexpected(err: Exception):
    log.exception("unhandled error")
    db.session.rollback()
    return render_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_http_error)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, render_unexpected)
