"""The person's meeting calendar: a page with their meetings, an ``.ics`` download, and a feed URL.

The feed (``/calendar/feed/<token>.ics``) is fetched by calendar apps without any tool session, so it is
the one view here without ``require_tool_session``: the secret token names the person (see
:mod:`lti_tool.mentoring.meetings.calendar`: stored hashed, reset from the page). It lists only that
person's own meetings, in courses where they are still an active member of an active platform. An unknown
or reset token is a plain 404.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import csrf, db
from ..mentoring.meetings import calendar as cal
from ..mentoring.meetings import next_occurrence
from .access import require_tool_session, tool_url
from .meetings import frequency_label, status_label

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

ICS_TYPE = "text/calendar; charset=utf-8"


def _host() -> str:
    return urlsplit(current_app.config.get("PUBLIC_URL") or request.host_url).hostname or "mentoring-space"


def _secret() -> str:
    return str(current_app.secret_key or "")


def _feed_url(token: str) -> str:
    public = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    path = url_for("calendar.feed", token=token)
    return public + path if public else url_for("calendar.feed", token=token, _external=True)


@bp.route("/")
@require_tool_session()
def index():
    """The viewer's meetings in this course, the download link and the subscription link."""
    session = db.session()
    items = cal.person_meetings(session, g.person.id, course_id=g.course.id)
    token = cal.feed_token(session, g.person.id, _secret())
    fetched = cal.last_fetched_at(session, g.person.id)
    session.commit()
    rows = [(item, next_occurrence(item.meeting)) for item in items]
    return render_template(
        "meetings/calendar.html",
        rows=rows,
        feed_url=_feed_url(token),
        webcal_url="webcal://" + _feed_url(token).split("://", 1)[1],
        meeting_status=status_label,
        frequency_label=frequency_label,
        reset=request.args.get("reset") == "1",
        fetched=fetched,
    )


@bp.route("/meetings.ics")
@require_tool_session()
def download():
    """The viewer's meetings in this course as an ``.ics`` file to import."""
    items = cal.person_meetings(db.session(), g.person.id, course_id=g.course.id)
    body = cal.build_calendar(items, host=_host(), name=_("Mentoring meetings"))
    db.session.commit()
    return Response(
        body,
        content_type=ICS_TYPE,
        headers={"Content-Disposition": 'attachment; filename="mentoring-meetings.ics"', "Cache-Control": "no-store"},
    )


@bp.route("/feed/reset", methods=["POST"])
@require_tool_session()
def reset():
    """A new secret feed link; calendars subscribed with the old one stop receiving updates."""
    cal.reset_feed(db.session(), g.person.id, _secret())
    db.session.commit()
    return redirect(tool_url("calendar.index", reset=1), code=303)


@bp.route("/feed/<token>.ics")
@csrf.exempt
def feed(token: str):
    """The subscription feed: every meeting of the token's person in their active courses (no session)."""
    session = db.session()
    person_id = cal.person_for_token(session, token)
    if person_id is None:
        session.rollback()
        abort(404)
    items = cal.person_meetings(session, person_id)
    body = cal.build_calendar(items, host=_host(), name="Mentoring Space")
    cal.mark_fetched(session, person_id)
    session.commit()
    return Response(body, content_type=ICS_TYPE, headers={"Cache-Control": "private, max-age=300"})
