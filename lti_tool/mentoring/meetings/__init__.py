"""Meetings in a mentoring space: propose, accept or decline (or propose another time), cancel or move a
date, take notes.

Times: the proposer types a date and a start and end time *in a time zone* (their own by default). We
store the first start as a UTC instant plus that zone, and expand a series (weekly, every two weeks; a
number of meetings or an end date, at most :data:`MAX_OCCURRENCES`) **in that zone**, so 10:00 in Berlin
stays 10:00 in Berlin after the clocks change. Each person then sees every time in their own zone.

Who may do what (on top of :mod:`lti_tool.mentoring.spaces`):

| viewer | sees meetings | proposes, cancels, adds notes | moves one date | accepts / declines |
| --- | --- | --- | --- | --- |
| pair or group member (active space) | yes | yes | yes | yes, a proposal the *other* member made |
| member of an ended pairing | yes | no | no | no |
| coordinator, moderated program | yes | no | yes (as moderator) | no |
| coordinator, unmoderated | counts only (``meeting_counts``) | no | no ("not found") | no |

Moving one date (:func:`move`) keeps the rest of the series where it is; the date remembers the start the
series gave it (``original_starts_at``: "moved from" on the pages, ``RECURRENCE-ID`` in calendars), and the
other people of the space are told (:mod:`.notices`: a notice on the space page and a mail).

For other modules:

* :func:`upcoming_meetings` — accepted, not cancelled occurrences starting in a window, across courses,
  with the people to remind (notifications);
* :func:`meeting_counts` / :func:`space_meeting_counts` — per space: held, missed, upcoming, waiting
  for an answer (dashboard, participation scoring).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...models import Membership, Participant, Person
from ...models.base import utcnow
from ...models.meetings import FREQUENCIES, OUTCOMES, Meeting, MeetingOccurrence
from ..discussions.markdown import render_markdown
from ..errors import DomainError
from ..spaces import Space, SpaceAccess, course_spaces, spaces_of
from . import notices
from .fields import (
    N_,
    Errors,
    InvalidInput,
    a_date,
    a_time,
    a_time_zone,
    choice,
    markdown_text,
    plain_text,
    web_link,
    whole_number,
)
from .notices import MovedDate, moved_dates

MAX_OCCURRENCES = 52
MAX_DURATION_MINUTES = 8 * 60
NOTES_MAX = 10_000
MOVE_NOTE_MAX = 500
AGENDA_MAX = 5000
VIDEO_CHOICES = ("none", "link", "generate")
JITSI_BASE = "https://meet.jit.si/MentoringSpace-"


class MeetingNotFound(DomainError):
    code = "meeting_not_found"
    message = N_("This meeting does not exist or is not yours.")


class MeetingNotAllowed(DomainError):
    """A known meeting the viewer may not act on, or an action that does not fit its state (403)."""

    code = "meeting_not_allowed"
    message = N_("You cannot do this with this meeting.")


class MeetingPassed(MeetingNotAllowed):
    code = "meeting_passed"
    message = N_("This time has already passed. Propose another time instead.")


class NotYet(MeetingNotAllowed):
    code = "meeting_not_yet"
    message = N_("Notes and “did it happen” can be added once the meeting has started.")


class DateNotMovable(MeetingNotAllowed):
    code = "meeting_date_not_movable"
    message = N_("This date can no longer be moved: it was cancelled or its time has passed.")


@dataclass(frozen=True)
class Proposal:
    """A checked meeting form: everything to create a ``Meeting`` and its occurrences."""

    title: str
    agenda: str
    video_url: str
    time_zone: str
    first_date: date
    start: time
    duration_minutes: int
    frequency: str
    count: int

    def starts(self) -> list[datetime]:
        """Every start as a UTC instant, expanded in ``time_zone`` (wall-clock time kept across DST)."""
        return expand(self.first_date, self.start, self.time_zone, self.frequency, self.count)


def expand(first: date, start: time, zone: str, frequency: str, count: int) -> list[datetime]:
    """Starts of a series in UTC: the same local time in ``zone`` every week or every two weeks.

    A local time that does not exist on one date (skipped by a spring-forward change) moves forward by the
    gap, as calendar programs do.
    """
    tz = ZoneInfo(zone)
    step = {"once": 0, "weekly": 7, "biweekly": 14}[frequency]
    out = []
    for i in range(count if step else 1):
        local = datetime.combine(first + timedelta(days=step * i), start, tzinfo=tz)
        out.append(local.astimezone(UTC))
    return out


def new_room_link() -> str:
    """A fresh, unguessable video room on the public Jitsi Meet service."""
    return JITSI_BASE + secrets.token_hex(8)


def parse_proposal(form: Any, *, now: datetime | None = None) -> Proposal:
    """Check a meeting form; raise ``InvalidInput`` with a message per field (everything typed is kept by the
    view). Fields: ``title``, ``date``, ``start``, ``end``, ``time_zone``, ``frequency`` (once/weekly/biweekly),
    ``ends`` (count/until), ``count``, ``until``, ``video`` (none/link/generate), ``video_url``, ``agenda``."""
    now = now or utcnow()
    errors: Errors = {}
    title = plain_text(errors, "title", form.get("title"))
    agenda = markdown_text(errors, "agenda", form.get("agenda"), limit=AGENDA_MAX)
    zone = a_time_zone(errors, "time_zone", form.get("time_zone"))
    first = a_date(errors, "date", form.get("date"), required=True)
    start = a_time(errors, "start", form.get("start"))
    end = a_time(errors, "end", form.get("end"))
    duration = 0
    if start is not None and end is not None:
        duration = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if duration <= 0:
            errors["end"] = (N_("The meeting must end after it starts (same day)."), {})
        elif duration > MAX_DURATION_MINUTES:
            errors["end"] = (N_("Keep a meeting under %(hours)s hours."), {"hours": MAX_DURATION_MINUTES // 60})
    frequency = choice(errors, "frequency", form.get("frequency") or "once", FREQUENCIES)
    count = 1
    if frequency != "once" and "frequency" not in errors:
        ends = choice(errors, "ends", form.get("ends") or "count", ("count", "until"))
        if ends == "count":
            count = whole_number(errors, "count", form.get("count"), 2, MAX_OCCURRENCES)
        elif ends == "until":
            until = a_date(errors, "until", form.get("until"), required=True)
            if until is not None and first is not None:
                if until < first:
                    errors["until"] = (N_("The series must end on or after the first meeting."), {})
                else:
                    count = (until - first).days // (7 if frequency == "weekly" else 14) + 1
                    if count > MAX_OCCURRENCES:
                        errors["until"] = (
                            N_("A series has at most %(n)s meetings: choose an earlier end date."),
                            {"n": MAX_OCCURRENCES},
                        )
    video = choice(errors, "video", form.get("video") or "none", VIDEO_CHOICES)
    video_url = ""
    if video == "link":
        video_url = web_link(errors, "video_url", form.get("video_url"))
    elif video == "generate":
        video_url = new_room_link()
    if "time_zone" not in errors:
        _future_start(errors, first, start, zone, now)
    if errors:
        raise InvalidInput(errors)
    assert first is not None and start is not None  # noqa: S101 - guaranteed by the checks above
    return Proposal(title, agenda, video_url, zone, first, start, duration, frequency, count)


def _future_start(errors: Errors, day: date | None, start: time | None, zone: str, now: datetime) -> datetime | None:
    """``day`` at ``start`` in ``zone`` as a UTC instant, if it is in the next two years (else an error on
    ``date``)."""
    if day is None or start is None:
        return None
    begins = datetime.combine(day, start, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if begins <= now:
        errors["date"] = (N_("This time has already passed. Choose a date and time in the future."), {})
    elif begins > now + timedelta(days=2 * 366):
        errors["date"] = (N_("Choose a date within the next two years."), {})
    else:
        return begins
    return None


# --- reading ---------------------------------------------------------------------------------------------


def _space_where(space: Space) -> list[Any]:
    return [Meeting.course_id == space.course_id, Meeting.space_kind == space.kind, Meeting.space_id == space.id]


def list_meetings(session: Session, space: Space) -> list[Meeting]:
    """The space's meetings (occurrences loaded), soonest first by their first start."""
    return list(
        session.execute(
            select(Meeting)
            .where(*_space_where(space))
            .options(selectinload(Meeting.occurrences))
            .order_by(Meeting.starts_at, Meeting.id)
        )
        .scalars()
        .all()
    )


def get_meeting(session: Session, access: SpaceAccess, meeting_id: int) -> Meeting:
    """The meeting if it is in this space (and course) and the viewer may read it; else ``MeetingNotFound``."""
    meeting = session.execute(
        select(Meeting)
        .where(Meeting.id == meeting_id, *_space_where(access.space))
        .options(selectinload(Meeting.occurrences))
    ).scalar_one_or_none()
    if meeting is None or not access.may_read:
        raise MeetingNotFound()
    return meeting


def next_occurrence(meeting: Meeting, now: datetime | None = None) -> MeetingOccurrence | None:
    now = now or utcnow()
    return next((o for o in meeting.occurrences if o.status == "scheduled" and o.ends_at > now), None)


def person_time_zone(session: Session, course_id: int, person_id: int) -> str:
    """A member's zone as their pages show it: program profile, else the LMS's, else UTC."""
    from .fields import is_time_zone

    profile, lms = session.execute(
        select(Participant.time_zone, Person.timezone)
        .select_from(Person)
        .outerjoin(Membership, (Membership.person_id == Person.id) & (Membership.course_id == course_id))
        .outerjoin(Participant, Participant.membership_id == Membership.id)
        .where(Person.id == person_id)
        .limit(1)
    ).first() or (None, None)
    for name in (profile, lms):
        if name and is_time_zone(name):
            return str(name)
    return "UTC"


# --- writing ---------------------------------------------------------------------------------------------


def _require_member(access: SpaceAccess) -> None:
    access.require_write()
    if not access.is_member:
        raise MeetingNotAllowed()


def _touch(meeting: Meeting) -> None:
    meeting.sequence = (meeting.sequence or 0) + 1
    meeting.updated_at = utcnow()


def propose(session: Session, access: SpaceAccess, proposal: Proposal, *, replaces: Meeting | None = None) -> Meeting:
    """A member proposes a meeting or series; with ``replaces``, it answers the other member's proposal with
    another time (that proposal becomes ``declined``)."""
    _require_member(access)
    if replaces is not None and (replaces.status != "proposed" or replaces.proposed_by == access.viewer_person_id):
        raise MeetingNotAllowed()
    space = access.space
    now = utcnow()
    meeting = Meeting(
        course_id=space.course_id,
        space_kind=space.kind,
        space_id=space.id,
        proposed_by=access.viewer_person_id,
        title=proposal.title,
        agenda=proposal.agenda,
        agenda_html=render_markdown(proposal.agenda) if proposal.agenda else "",
        video_url=proposal.video_url,
        time_zone=proposal.time_zone,
        frequency=proposal.frequency,
        duration_minutes=proposal.duration_minutes,
        status="proposed",
        replaces_id=replaces.id if replaces is not None else None,
        created_at=now,
        updated_at=now,
    )
    starts = proposal.starts()
    meeting.starts_at = starts[0]
    meeting.occurrence_count = len(starts)
    length = timedelta(minutes=proposal.duration_minutes)
    for position, begins in enumerate(starts):
        meeting.occurrences.append(MeetingOccurrence(position=position, starts_at=begins, ends_at=begins + length))
    session.add(meeting)
    if replaces is not None:
        replaces.status, replaces.responded_by, replaces.responded_at = "declined", access.viewer_person_id, now
        _touch(replaces)
    session.flush()
    return meeting


def respond(session: Session, access: SpaceAccess, meeting: Meeting, *, accept: bool) -> Meeting:
    """The member who did not propose accepts or declines; a proposal whose time has passed cannot be accepted."""
    _require_member(access)
    if meeting.status != "proposed" or meeting.proposed_by == access.viewer_person_id:
        raise MeetingNotAllowed()
    if accept and next_occurrence(meeting) is None:
        raise MeetingPassed()
    meeting.status = "accepted" if accept else "declined"
    meeting.responded_by, meeting.responded_at = access.viewer_person_id, utcnow()
    _touch(meeting)
    session.flush()
    return meeting


def _occurrence(meeting: Meeting, occurrence_id: int) -> MeetingOccurrence:
    found = next((o for o in meeting.occurrences if o.id == occurrence_id), None)
    if found is None:
        raise MeetingNotFound()
    return found


def cancel(session: Session, access: SpaceAccess, meeting: Meeting, occurrence_id: int | None = None) -> Meeting:
    """Either member cancels one future occurrence (``occurrence_id``) or the whole meeting or series.

    Cancelling the last remaining occurrence cancels the meeting; past occurrences keep their notes.
    """
    _require_member(access)
    if meeting.status not in ("proposed", "accepted"):
        raise MeetingNotAllowed()
    now = utcnow()
    if occurrence_id is None:
        meeting.status = "cancelled"
        for each in meeting.occurrences:
            if each.starts_at > now and each.status == "scheduled":
                each.status, each.cancelled_by = "cancelled", access.viewer_person_id
    else:
        occurrence = _occurrence(meeting, occurrence_id)
        if occurrence.status != "scheduled" or occurrence.starts_at <= now:
            raise MeetingNotAllowed()
        occurrence.status, occurrence.cancelled_by = "cancelled", access.viewer_person_id
        if all(o.status == "cancelled" for o in meeting.occurrences):
            meeting.status = "cancelled"
    _touch(meeting)
    session.flush()
    return meeting


def move(
    session: Session,
    access: SpaceAccess,
    meeting: Meeting,
    occurrence_id: int,
    form: Any,
    *,
    zone: str,
    now: datetime | None = None,
) -> MeetingOccurrence:
    """A member (or the coordinator of a moderated program) moves one upcoming date of an accepted meeting;
    the space's other people are told (:mod:`.notices`).

    ``form``: ``date`` and ``start`` typed in ``zone`` (the mover's own), an optional plain-text ``note`` for
    the others (kept with the date, and in the mail). The date keeps its length and stays between the
    series' previous and next dates (cancelled ones aside) without overlapping them, so the dates keep their
    order. ``original_starts_at`` keeps the start the series gave it (the calendar's ``RECURRENCE-ID``)
    however often it moves, until it is moved back there.

    Refusals: ``SpaceReadOnly`` (ended space) or ``SpaceNotFound`` (a coordinator who may not write there),
    ``MeetingNotFound`` for another meeting's date, ``MeetingNotAllowed`` when the meeting is not accepted,
    ``DateNotMovable`` for a cancelled or past date, ``InvalidInput`` for the fields.
    """
    access.require_write()  # members of an active space, and coordinators where they moderate
    now = now or utcnow()
    occurrence = _occurrence(meeting, occurrence_id)
    if meeting.status != "accepted":
        raise MeetingNotAllowed()
    if occurrence.status != "scheduled" or occurrence.outcome is not None or occurrence.starts_at <= now:
        raise DateNotMovable()
    errors: Errors = {}
    day = a_date(errors, "date", form.get("date"), required=True)
    start = a_time(errors, "start", form.get("start"))
    note = plain_text(errors, "note", form.get("note"), required=False, limit=MOVE_NOTE_MAX)
    begins = _future_start(errors, day, start, zone, now)
    length = occurrence.ends_at - occurrence.starts_at
    if begins is not None:
        if begins == occurrence.starts_at:
            errors["date"] = (N_("This date is already at that time: choose another day or time."), {})
        elif not _fits_between_neighbours(meeting, occurrence, begins, begins + length):
            errors["date"] = (
                N_("Choose a time between the previous and the next date of the series, without overlapping them."),
                {},
            )
    if errors:
        raise InvalidInput(errors)
    assert begins is not None  # noqa: S101 - guaranteed by the checks above
    previous = occurrence.starts_at
    original = occurrence.original_starts_at or previous
    occurrence.original_starts_at = None if begins == original else original
    occurrence.starts_at, occurrence.ends_at = begins, begins + length
    occurrence.moved_by, occurrence.move_note = access.viewer_person_id, note or None
    if len(meeting.occurrences) == 1:
        meeting.starts_at = begins
    _touch(meeting)
    session.flush()
    notices.date_moved(
        session, access.space, meeting, occurrence, mover_id=access.viewer_person_id, previous=previous, note=note
    )
    return occurrence


def _fits_between_neighbours(meeting: Meeting, occurrence: MeetingOccurrence, begins: datetime, ends: datetime) -> bool:
    """Whether ``begins``–``ends`` lies after the previous scheduled date of the series ends and before the
    next one starts (occurrences are ordered by position, and moves keep that order)."""
    others = [o for o in meeting.occurrences if o.status == "scheduled" and o is not occurrence]
    before = [o for o in others if o.position < occurrence.position]
    after = [o for o in others if o.position > occurrence.position]
    return (not before or before[-1].ends_at <= begins) and (not after or ends <= after[0].starts_at)


def record(
    session: Session, access: SpaceAccess, meeting: Meeting, occurrence_id: int, *, outcome: str, notes: str
) -> MeetingOccurrence:
    """After an accepted meeting has started, a member records whether it happened and notes (Markdown)."""
    _require_member(access)
    occurrence = _occurrence(meeting, occurrence_id)
    if meeting.status not in ("accepted", "cancelled") or occurrence.status != "scheduled":
        raise MeetingNotAllowed()
    if occurrence.starts_at > utcnow():
        raise NotYet()
    errors: Errors = {}
    outcome = choice(errors, "outcome", outcome, OUTCOMES)
    text = markdown_text(errors, "notes", notes, limit=NOTES_MAX)
    if errors:
        raise InvalidInput(errors)
    occurrence.outcome = outcome
    occurrence.notes, occurrence.notes_html = text, render_markdown(text) if text else ""
    occurrence.notes_by, occurrence.notes_at = access.viewer_person_id, utcnow()
    meeting.updated_at = occurrence.notes_at
    session.flush()
    return occurrence


# --- for notifications, dashboards and scoring -----------------------------------------------------------


@dataclass(frozen=True)
class UpcomingMeeting:
    """One accepted occurrence about to happen: what reminders need."""

    occurrence_id: int
    meeting_id: int
    course_id: int
    space_kind: str
    space_id: int
    starts_at: datetime
    ends_at: datetime
    title: str
    video_url: str
    time_zone: str  # the zone it was proposed in
    person_ids: tuple[int, ...]  # the space's current members (mentors first)


def upcoming_meetings(session: Session, *, starting_between: tuple[datetime, datetime]) -> list[UpcomingMeeting]:
    """Occurrences of accepted meetings, not cancelled, with ``a <= starts_at < b``, in every course, for
    pairings and groups that have not ended, soonest first, with the space's current members to remind.
    One query for the occurrences, then the spaces of each course concerned.

    Example (reminders a day ahead): ``upcoming_meetings(s, starting_between=(now + 23h, now + 24h))``.
    """
    begin, end = starting_between
    rows = session.execute(
        select(MeetingOccurrence, Meeting)
        .join(Meeting, Meeting.id == MeetingOccurrence.meeting_id)
        .where(
            Meeting.status == "accepted",
            MeetingOccurrence.status == "scheduled",
            MeetingOccurrence.starts_at >= begin,
            MeetingOccurrence.starts_at < end,
        )
        .order_by(MeetingOccurrence.starts_at, MeetingOccurrence.id)
    ).all()
    active: dict[int, dict[tuple[str, int], Space]] = {}
    for course_id in sorted({m.course_id for _, m in rows}):
        active[course_id] = {(sp.kind, sp.id): sp for sp in course_spaces(session, course_id, active_only=True)}
    out = []
    for o, m in rows:
        space = active[m.course_id].get((m.space_kind, m.space_id))
        if space is None:
            continue
        out.append(
            UpcomingMeeting(
                occurrence_id=o.id,
                meeting_id=m.id,
                course_id=m.course_id,
                space_kind=m.space_kind,
                space_id=m.space_id,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                title=m.title,
                video_url=m.video_url,
                time_zone=m.time_zone,
                person_ids=tuple(member.person_id for member in space.members),
            )
        )
    return out


@dataclass(frozen=True)
class MeetingCounts:
    """One space's meetings in numbers (occurrences, except ``proposals``).

    ``held``/``missed``: recorded outcomes; ``upcoming``: accepted, not cancelled, starting after ``now``;
    ``awaiting_outcome``: accepted occurrences already started with no outcome yet; ``proposals``: proposals
    waiting for an answer; ``last_held_at``: start of the latest held occurrence.
    """

    held: int = 0
    missed: int = 0
    upcoming: int = 0
    awaiting_outcome: int = 0
    cancelled: int = 0
    proposals: int = 0
    last_held_at: datetime | None = None


def meeting_counts(
    session: Session, course_id: int, *, now: datetime | None = None, since: datetime | None = None
) -> dict[tuple[str, int], MeetingCounts]:
    """Counts per space of the course, keyed by ``(space_kind, space_id)``; spaces without meetings absent.

    ``since`` limits ``held``/``missed``/``awaiting_outcome`` to occurrences starting at or after it (for a
    scoring period). One query.
    """
    now = now or utcnow()
    rows = session.execute(
        select(
            Meeting.space_kind,
            Meeting.space_id,
            Meeting.status,
            MeetingOccurrence.position,
            MeetingOccurrence.status,
            MeetingOccurrence.outcome,
            MeetingOccurrence.starts_at,
        )
        .join(MeetingOccurrence, MeetingOccurrence.meeting_id == Meeting.id)
        .where(Meeting.course_id == course_id)
    ).all()
    raw: dict[tuple[str, int], dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for kind, space_id, m_status, position, o_status, outcome, starts_at in rows:
        counts = raw[(kind, space_id)]
        in_period = since is None or starts_at >= since
        if m_status == "proposed" and position == 0:
            counts["proposals"] += 1
        if o_status == "cancelled":
            counts["cancelled"] += 1
        if outcome in OUTCOMES and in_period:
            counts[outcome] += 1
            if outcome == "held" and (counts["last_held_at"] == 0 or starts_at > counts["last_held_at"]):
                counts["last_held_at"] = starts_at
        if m_status == "accepted" and o_status == "scheduled" and outcome is None:
            if starts_at > now:
                counts["upcoming"] += 1
            elif in_period:
                counts["awaiting_outcome"] += 1
    out = {}
    for key, values in raw.items():
        values = dict(values)
        values["last_held_at"] = values.get("last_held_at") or None
        out[key] = MeetingCounts(**values)
    return out


def space_meeting_counts(
    session: Session,
    course_id: int,
    kind: str,
    space_id: int,
    *,
    now: datetime | None = None,
    since: datetime | None = None,
) -> MeetingCounts:
    """:func:`meeting_counts` for one space (all zeros when it has no meetings)."""
    return meeting_counts(session, course_id, now=now, since=since).get((kind, space_id), MeetingCounts())


def next_meeting_for(
    session: Session, course_id: int, person_id: int, *, now: datetime | None = None
) -> tuple[Meeting, MeetingOccurrence] | None:
    """The person's next accepted, not cancelled occurrence in the course, in any of their active spaces
    (for "next meeting" lines)."""
    now = now or utcnow()
    keys = {(s.kind, s.id) for s in spaces_of(session, course_id, person_id) if s.active}
    if not keys:
        return None
    rows = session.execute(
        select(Meeting, MeetingOccurrence)
        .join(MeetingOccurrence, MeetingOccurrence.meeting_id == Meeting.id)
        .where(
            Meeting.course_id == course_id,
            Meeting.space_id.in_({space_id for _, space_id in keys}),
            Meeting.status == "accepted",
            MeetingOccurrence.status == "scheduled",
            MeetingOccurrence.ends_at > now,
        )
        .order_by(MeetingOccurrence.starts_at)
    ).all()
    return next(((m, o) for m, o in rows if (m.space_kind, m.space_id) in keys), None)


__all__ = [
    "AGENDA_MAX",
    "MAX_OCCURRENCES",
    "DateNotMovable",
    "InvalidInput",
    "Meeting",
    "MeetingCounts",
    "MeetingNotAllowed",
    "MeetingNotFound",
    "MeetingPassed",
    "MovedDate",
    "NotYet",
    "Proposal",
    "UpcomingMeeting",
    "cancel",
    "expand",
    "get_meeting",
    "list_meetings",
    "meeting_counts",
    "move",
    "moved_dates",
    "new_room_link",
    "next_meeting_for",
    "next_occurrence",
    "parse_proposal",
    "person_time_zone",
    "propose",
    "record",
    "respond",
    "space_meeting_counts",
    "upcoming_meetings",
]
