"""Template helpers shared by every page: locale, role labels, and times in the viewer's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape


def current_locale() -> str:
    locale = get_locale()
    return str(locale.language) if locale else "en"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


_ROLE_LABELS = {
    "coordinator": N_("Coordinator"),
    "participant": N_("Participant"),
    "observer": N_("Observer"),
    "mentor": N_("Mentor"),
    "mentee": N_("Mentee"),
}


def role_label(role: str) -> str:
    """The role's label in the viewer's language (only that one is translated: pages call this often)."""
    label = _ROLE_LABELS.get(role)
    return _(label) if label else role


def _zone_named(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def viewer_time_zone_name() -> str:
    """The viewer's IANA zone: the one in their program profile, else the LMS's, else UTC (cached per request)."""
    cached = g.get("_viewer_zone_name")
    if cached:
        return str(cached)
    name: str | None = None
    membership = g.get("membership")
    if membership is not None:
        from ..extensions import db
        from ..models import Participant

        name = db.session.execute(
            db.select(Participant.time_zone).where(Participant.membership_id == membership.id).limit(1)
        ).scalar_one_or_none()
    if _zone_named(name) is None:
        name = getattr(g.get("person"), "timezone", None)
    if _zone_named(name) is None:
        name = "UTC"
    g._viewer_zone_name = name
    return str(name)


def viewer_zone() -> tzinfo:
    return _zone_named(viewer_time_zone_name()) or UTC


def local_time(value: datetime | None, format: str = "medium", zone: str | None = None) -> Markup:
    """A ``<time>`` element: the UTC instant in ``datetime``, shown in the viewer's (or ``zone``'s) time zone."""
    if value is None:
        return Markup("")
    tz = _zone_named(zone) or viewer_zone()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(tz)
    label = f"{format_datetime(local, format, rebase=False)} {'UTC' if tz is UTC else local.tzname()}"
    # Both values are escaped; the markup around them is a constant.
    return Markup(f'<time datetime="{escape(value.isoformat())}">{escape(label)}</time>')  # noqa: S704


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        current_locale=current_locale,
        role_label=role_label,
        local_time=local_time,
        viewer_time_zone_name=viewer_time_zone_name,
    )
