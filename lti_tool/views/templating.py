"""Template helpers shared by every page."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _


def current_locale() -> str:
    locale = get_locale()
    return str(locale.language) if locale else "en"


def role_label(role: str) -> str:
    return {
        "coordinator": _("Coordinator"),
        "participant": _("Participant"),
        "observer": _("Observer"),
        "mentor": _("Mentor"),
        "mentee": _("Mentee"),
    }.get(role, role)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(current_locale=current_locale, role_label=role_label)
