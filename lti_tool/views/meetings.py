"""Meeting pages of a mentoring space: propose (once or a series), answer, cancel or move a date, record what
happened.

Thin views over :mod:`lti_tool.mentoring.meetings`. The space is loaded for the viewer first
(:func:`lti_tool.views.goals.space_access`: 404 when they may not enter it). Times are typed in a zone (the
viewer's own by default) and shown to each person in theirs, with the partner's local time beside it when
their zones differ. A moved date shows "moved from" its time in the series, and the space page tells the
others who moved which date (``space_meeting_summary``). Refusals: not found → 404; not allowed → 403; a
proposal whose time has passed, notes before the meeting or moving a cancelled or past date → the meeting
page again with the reason (409). A refused form comes back with status 400, every message in an
``aria-live`` summary, and everything typed kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden as HttpForbidden
from werkzeug.exceptions import NotFound as HttpNotFound

from ..extensions import db
from ..mentoring import meetings as ms
from ..mentoring import spaces
from ..mentoring.errors import DomainError
from ..mentoring.meetings import fields
from ..models.base import utcnow
from .access import require_tool_session, tool_url
from .discussions import accepted_rules
from .errors import render_http_error
from .goals import space_access, space_title, space_url, translate_errors
from .templating import viewer_time_zone_name

bp = Blueprint("meetings", __name__, url_prefix="/spaces/<kind>/<int:space_id>/meetings")


@bp.errorhandler(ms.MeetingNotFound)
@bp.errorhandler(spaces.SpaceNotFound)
def _not_found(err: Exception):
    db.session.rollback()
    return render_http_error(HttpNotFound())


@bp.errorhandler(spaces.SpaceReadOnly)
def _forbidden(err: Exception):
    db.session.rollback()
    return render_http_error(HttpForbidden())


def status_label(status: str) -> str:
    return {
        "proposed": _("Waiting for an answer"),
        "accepted": _("Accepted"),
        "declined": _("Declined"),
        "cancelled": _("Cancelled"),
        "scheduled": _("Scheduled"),
        "held": _("It happened"),
        "missed": _("It did not happen"),
    }.get(status, status)


def frequency_label(meeting: Any) -> str:
    if meeting.frequency == "weekly":
        return _("Every week, %(n)s meetings", n=meeting.occurrence_count)
    if meeting.frequency == "biweekly":
        return _("Every two weeks, %(n)s meetings", n=meeting.occurrence_count)
    return _("Once")


def _partner_zones(access: spaces.SpaceAccess) -> list[tuple[str, str]]:
    """``(name, zone)`` of the other members whose zone differs from the viewer's."""
    mine = viewer_time_zone_name()
    out = []
    for member in access.space.members:
        if member.person_id == access.viewer_person_id:
            continue
        zone = ms.person_time_zone(db.session(), g.course.id, member.person_id)
        if zone != mine:
            out.append((member.name, zone))
    return out


@bp.app_template_global("space_meeting_summary")
def space_meeting_summary(access: spaces.SpaceAccess) -> dict[str, Any]:
    """For the space page's meetings section: counts, the next accepted date, the proposals waiting for
    the viewer's answer and the dates someone else moved (when the viewer may read them)."""
    space = access.space
    counts = ms.space_meeting_counts(db.session(), space.course_id, space.kind, space.id)
    upcoming: list[Any] = []
    waiting: list[Any] = []
    moved: list[ms.MovedDate] = []
    if access.may_read:
        now = utcnow()
        meetings = ms.list_meetings(db.session(), space)
        moved = ms.moved_dates(db.session(), meetings, viewer_person_id=access.viewer_person_id, now=now)
        for meeting in meetings:
            occurrence = ms.next_occurrence(meeting, now)
            if occurrence is None:
                continue
            if meeting.status == "accepted":
                upcoming.append((meeting, occurrence))
            elif meeting.status == "proposed" and meeting.proposed_by != access.viewer_person_id and access.is_member:
                waiting.append((meeting, occurrence))
        upcoming.sort(key=lambda pair: pair[1].starts_at)
    return {"counts": counts, "next": upcoming[0] if upcoming else None, "waiting": waiting, "moved": moved}


@bp.app_template_global("next_meeting_line")
def next_meeting_line() -> tuple[Any, Any] | None:
    """The viewer's next accepted meeting in this course, for the home page (``(meeting, occurrence)``)."""
    if g.get("person") is None or g.get("course") is None:
        return None
    return ms.next_meeting_for(db.session(), g.course.id, g.person.id)


def _context(access: spaces.SpaceAccess, **extra: Any) -> dict[str, Any]:
    return {
        "access": access,
        "space": access.space,
        "kind": access.space.kind,
        "space_id": access.space.id,
        "space_title": space_title(access),
        "space_url": space_url(access),
        "my_zone": viewer_time_zone_name(),
        "now": utcnow(),
        "meeting_status": status_label,
        "frequency_label": frequency_label,
        "names": {m.person_id: m.name for m in access.space.members},
        **extra,
    }


def _may_propose(access: spaces.SpaceAccess) -> bool:
    return access.is_member and access.may_write


# --- pages -----------------------------------------------------------------------------------------------


@bp.route("/")
@require_tool_session()
@accepted_rules
def index(kind: str, space_id: int):
    """Proposals waiting for an answer, upcoming meetings, and past ones; counts only for coordinators of
    unmoderated programs."""
    access = space_access(kind, space_id)
    session = db.session()
    counts = ms.space_meeting_counts(session, g.course.id, access.space.kind, access.space.id)
    waiting: list[Any] = []
    upcoming: list[Any] = []
    past: list[Any] = []
    if access.may_read:
        now = utcnow()
        for meeting in ms.list_meetings(session, access.space):
            upcoming_one = ms.next_occurrence(meeting, now)
            if meeting.status == "proposed" and upcoming_one is not None:
                waiting.append((meeting, upcoming_one))
            elif meeting.status == "accepted" and upcoming_one is not None:
                upcoming.append((meeting, upcoming_one))
            else:
                past.append((meeting, upcoming_one))
        upcoming.sort(key=lambda pair: pair[1].starts_at)
        past.reverse()
    zones = _partner_zones(access) if access.is_member else []
    session.commit()
    return render_template(
        "meetings/index.html",
        **_context(
            access,
            counts=counts,
            waiting=waiting,
            upcoming=upcoming,
            past=past,
            partner_zones=zones,
            may_propose=_may_propose(access),
            done=request.args.get("done"),
        ),
    )


def _defaults() -> dict[str, Any]:
    return {
        "time_zone": viewer_time_zone_name(),
        "frequency": "once",
        "ends": "count",
        "count": "6",
        "video": "generate",
        "start": "18:00",
        "end": "19:00",
    }


def _values_of(meeting: Any) -> dict[str, Any]:
    """A proposal's fields as form values, to answer it with another time."""
    local = meeting.starts_at.astimezone(ZoneInfo(meeting.time_zone))
    end = local + timedelta(minutes=meeting.duration_minutes)
    return {
        **_defaults(),
        "title": meeting.title,
        "agenda": meeting.agenda,
        "video": "link" if meeting.video_url else "none",
        "video_url": meeting.video_url,
        "frequency": meeting.frequency,
        "count": str(meeting.occurrence_count) if meeting.frequency != "once" else "6",
        "start": local.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


@bp.route("/new", methods=["GET", "POST"])
@require_tool_session()
@accepted_rules
def new(kind: str, space_id: int):
    """Propose a meeting or a weekly / every-two-weeks series; with ``replaces``, answer the partner's
    proposal with another time."""
    access = space_access(kind, space_id)
    if not _may_propose(access):
        access.require_write()
        abort(403)
    session = db.session()
    replaces = None
    replaces_id = request.values.get("replaces", type=int)
    if replaces_id:
        replaces = ms.get_meeting(session, access, replaces_id)
        if replaces.status != "proposed" or replaces.proposed_by == g.person.id:
            abort(403)
    values = _values_of(replaces) if replaces is not None else _defaults()
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in request.form if k not in ("csrf_token", "ts")}
        try:
            proposal = ms.parse_proposal(request.form)
            meeting = ms.propose(session, access, proposal, replaces=replaces)
        except fields.InvalidInput as err:
            session.rollback()
            errors = translate_errors(err)
        except ms.MeetingNotAllowed:
            session.rollback()
            abort(403)
        else:
            session.commit()
            return redirect(tool_url("meetings.show", kind=kind, space_id=space_id, meeting_id=meeting.id), code=303)
    zones = fields.time_zone_names()
    session.commit()
    return render_template(
        "meetings/form.html",
        **_context(access, values=values, errors=errors, replaces=replaces, time_zones=zones),
    ), (400 if errors else 200)


def _render_meeting(
    access: spaces.SpaceAccess,
    meeting: Any,
    *,
    problem: str | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    form_for: int | None = None,
):
    session = db.session()
    replaced = session.get(ms.Meeting, meeting.replaces_id) if meeting.replaces_id else None
    zones = _partner_zones(access) if access.is_member else []
    session.commit()
    return render_template(
        "meetings/meeting.html",
        **_context(
            access,
            meeting=meeting,
            replaced=replaced if replaced is not None and replaced.course_id == meeting.course_id else None,
            partner_zones=zones,
            may_answer=access.is_member
            and access.may_write
            and meeting.status == "proposed"
            and meeting.proposed_by != access.viewer_person_id,
            may_change=access.is_member and access.may_write and meeting.status in ("proposed", "accepted"),
            may_record=access.is_member and access.may_write and meeting.status in ("accepted", "cancelled"),
            may_move=access.may_write and meeting.status == "accepted",  # members; moderating coordinators
            move_values=_move_values,
            problem=problem,
            errors=errors or {},
            values=values or {},
            form_for=form_for,
            done=request.args.get("done"),
        ),
    ), status


def _move_values(occurrence: Any) -> dict[str, str]:
    """The move form's first values: the date's current day and start in the viewer's zone."""
    local = occurrence.starts_at.astimezone(ZoneInfo(viewer_time_zone_name()))
    return {f"date-{occurrence.id}": local.date().isoformat(), f"start-{occurrence.id}": local.strftime("%H:%M")}


def _refused(access: spaces.SpaceAccess, meeting_id: int, err: DomainError, values: dict[str, str], occurrence_id: int):
    """The meeting page again after a refused date form: 400 with the messages and what was typed kept for
    ``InvalidInput``, else 409 with the reason."""
    session = db.session()
    session.rollback()
    meeting = ms.get_meeting(session, access, meeting_id)
    if not isinstance(err, fields.InvalidInput):
        return _render_meeting(access, meeting, problem=_(err.message), status=409)
    errors = {f"{k}-{occurrence_id}": v for k, v in translate_errors(err).items()}
    return _render_meeting(
        access,
        meeting,
        status=400,
        errors=errors,
        values={f"{k}-{occurrence_id}": v for k, v in values.items()},
        form_for=occurrence_id,
    )


def _back_to_date(kind: str, space_id: int, meeting_id: int, occurrence_id: int, done: str):
    return redirect(
        tool_url(
            "meetings.show",
            kind=kind,
            space_id=space_id,
            meeting_id=meeting_id,
            done=done,
            _anchor=f"occurrence-{occurrence_id}",
        ),
        code=303,
    )


@bp.route("/<int:meeting_id>")
@require_tool_session()
@accepted_rules
def show(kind: str, space_id: int, meeting_id: int):
    """One meeting or series: when (in the viewer's zone, and the partner's), link, agenda, each date with
    its cancel button, and notes with "did it happen" after the time."""
    access = space_access(kind, space_id)
    meeting = ms.get_meeting(db.session(), access, meeting_id)
    return _render_meeting(access, meeting)


def _act(kind: str, space_id: int, meeting_id: int, action) -> Any:
    access = space_access(kind, space_id)
    session = db.session()
    meeting = ms.get_meeting(session, access, meeting_id)
    try:
        done = action(session, access, meeting)
    except (ms.MeetingPassed, ms.NotYet) as err:
        session.rollback()
        meeting = ms.get_meeting(session, access, meeting_id)
        return _render_meeting(access, meeting, problem=_(err.message), status=409)
    except ms.MeetingNotAllowed:
        session.rollback()
        abort(403)
    session.commit()
    return redirect(tool_url("meetings.show", kind=kind, space_id=space_id, meeting_id=meeting_id, done=done), code=303)


@bp.route("/<int:meeting_id>/respond", methods=["POST"])
@require_tool_session()
@accepted_rules
def respond(kind: str, space_id: int, meeting_id: int):
    """The partner accepts (``answer=accept``) or declines (``answer=decline``) the proposal."""
    answer = request.form.get("answer")
    if answer not in ("accept", "decline"):
        abort(400)

    def action(session, access, meeting):
        ms.respond(session, access, meeting, accept=answer == "accept")
        return "accepted" if answer == "accept" else "declined"

    return _act(kind, space_id, meeting_id, action)


@bp.route("/<int:meeting_id>/cancel", methods=["POST"])
@require_tool_session()
@accepted_rules
def cancel(kind: str, space_id: int, meeting_id: int):
    """Either member cancels one date (``occurrence``) or the whole meeting or series."""
    occurrence = request.form.get("occurrence", type=int)

    def action(session, access, meeting):
        ms.cancel(session, access, meeting, occurrence)
        return "cancelled_one" if occurrence else "cancelled"

    return _act(kind, space_id, meeting_id, action)


@bp.route("/<int:meeting_id>/occurrences/<int:occurrence_id>/record", methods=["POST"])
@require_tool_session()
@accepted_rules
def record(kind: str, space_id: int, meeting_id: int, occurrence_id: int):
    """After the meeting: did it happen (held / missed) and notes (Markdown, sanitised)."""
    access = space_access(kind, space_id)
    session = db.session()
    meeting = ms.get_meeting(session, access, meeting_id)
    values = {
        "outcome": request.form.get(f"outcome-{occurrence_id}", ""),
        "notes": request.form.get(f"notes-{occurrence_id}", ""),
    }
    try:
        ms.record(session, access, meeting, occurrence_id, outcome=values["outcome"], notes=values["notes"])
    except (fields.InvalidInput, ms.NotYet) as err:
        return _refused(access, meeting_id, err, values, occurrence_id)
    except ms.MeetingNotAllowed:
        session.rollback()
        abort(403)
    session.commit()
    return _back_to_date(kind, space_id, meeting_id, occurrence_id, "recorded")


@bp.route("/<int:meeting_id>/occurrences/<int:occurrence_id>/move", methods=["POST"])
@require_tool_session()
@accepted_rules
def move(kind: str, space_id: int, meeting_id: int, occurrence_id: int):
    """Move one upcoming date of an accepted meeting: a day and start in the mover's own zone (the length is
    kept) and an optional note for the mail the others get. Members of the space and, in a moderated
    program, its coordinators; a bad time comes back (400) with what was typed, a cancelled or past date
    with the reason (409)."""
    access = space_access(kind, space_id)
    session = db.session()
    meeting = ms.get_meeting(session, access, meeting_id)
    values = {k: request.form.get(f"{k}-{occurrence_id}", "") for k in ("date", "start", "note")}
    try:
        ms.move(session, access, meeting, occurrence_id, values, zone=viewer_time_zone_name())
    except (fields.InvalidInput, ms.DateNotMovable) as err:
        return _refused(access, meeting_id, err, values, occurrence_id)
    except ms.MeetingNotAllowed:
        session.rollback()
        abort(403)
    session.commit()
    return _back_to_date(kind, space_id, meeting_id, occurrence_id, "moved")
