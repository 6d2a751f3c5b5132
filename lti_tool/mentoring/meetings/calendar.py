"""iCalendar (RFC 5545) for a person's meetings, and the secret feed links calendar apps subscribe to.

One ``VEVENT`` per meeting: ``UID`` ``meeting-<id>@<host>`` (stable across edits, so a calendar updates
its copy), ``SEQUENCE`` bumped on every change, ``DTSTART``/``DTEND`` with the ``TZID`` the meeting was
proposed in (a ``VTIMEZONE`` is included), an ``RRULE`` with ``COUNT`` for a series, an ``EXDATE`` per
cancelled occurrence and an override ``VEVENT`` (same ``UID``, ``RECURRENCE-ID``) per moved one, and
``STATUS`` ``TENTATIVE`` (proposed), ``CONFIRMED`` (accepted) or ``CANCELLED`` (declined or cancelled — so
calendars that had it remove it).

Feed links: ``token = HMAC-SHA256(secret key, "<person id>:<nonce>")`` (URL-safe base64). The database
keeps only the nonce and ``SHA-256(token)``, so a copy of the database does not give anyone a working
link, while the person's own page can show it again. Resetting draws a new nonce: the old link stops.
Changing ``SECRET_KEY`` changes every link (people then copy the new one from their calendar page).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...models import Course, Membership, Platform
from ...models.base import utcnow
from ...models.meetings import CalendarFeed, Meeting
from ..spaces import spaces_of

PRODID = "-//Mentoring Space//Meetings//EN"
ICS_STATUS = {"proposed": "TENTATIVE", "accepted": "CONFIRMED", "declined": "CANCELLED", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class CalendarMeeting:
    """A meeting with what the calendar shows beside it: the course and the partner's name."""

    meeting: Meeting
    course_title: str
    partner_names: tuple[str, ...]


def person_meetings(session: Session, person_id: int, *, course_id: int | None = None) -> list[CalendarMeeting]:
    """The person's own meetings, in the courses where they are an active member of an active platform
    (or in ``course_id`` only), for every pairing they are or were in there."""
    where = [Membership.person_id == person_id, Membership.is_active.is_(True), Platform.is_active.is_(True)]
    if course_id is not None:
        where.append(Membership.course_id == course_id)
    courses = session.execute(
        select(Course.id, Course.title, Course.label, Course.context_id)
        .join(Membership, Membership.course_id == Course.id)
        .join(Platform, Platform.id == Course.platform_id)
        .where(*where)
    ).all()
    out: list[CalendarMeeting] = []
    for cid, title, label, context_id in courses:
        spaces = {(s.kind, s.id): s for s in spaces_of(session, cid, person_id)}
        if not spaces:
            continue
        meetings = (
            session.execute(
                select(Meeting)
                .where(Meeting.course_id == cid, Meeting.space_id.in_([sid for _, sid in spaces]))
                .options(selectinload(Meeting.occurrences))
                .order_by(Meeting.starts_at, Meeting.id)
            )
            .scalars()
            .all()
        )
        for meeting in meetings:
            space = spaces.get((meeting.space_kind, meeting.space_id))
            if space is None:
                continue
            partners = tuple(m.name for m in space.members if m.person_id != person_id)
            out.append(CalendarMeeting(meeting, str(title or label or context_id), partners))
    return sorted(out, key=lambda c: (c.meeting.starts_at, c.meeting.id))


def build_calendar(items: list[CalendarMeeting], *, host: str, name: str, description_for=None) -> bytes:
    """The ``.ics`` bytes for ``items``. ``host`` goes into UIDs; ``description_for(item)`` may add text
    (e.g. a link back to the space) below the agenda."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for item in items:
        for event in _events(item, host, description_for):
            cal.add_component(event)
    if items:
        # VTIMEZONEs only for the years the meetings span (a whole 1970-2038 history is ~100 lines per zone).
        starts = [o.starts_at for item in items for o in item.meeting.occurrences] or [items[0].meeting.starts_at]
        cal.add_missing_timezones(
            first_date=date(min(starts).year - 1, 1, 1), last_date=date(max(starts).year + 2, 1, 1)
        )
    return cal.to_ical()


def _events(item: CalendarMeeting, host: str, description_for) -> list[Event]:
    """The meeting's ``VEVENT``, then one override per moved date of a series (RFC 5545, 3.8.4.4): the same
    ``UID`` with a ``RECURRENCE-ID`` naming the start the ``RRULE`` gives that date."""
    meeting = item.meeting
    zone = ZoneInfo(meeting.time_zone)
    length = timedelta(minutes=meeting.duration_minutes)
    series = meeting.frequency != "once" and len(meeting.occurrences) > 1
    if not meeting.occurrences:
        start = meeting.starts_at.astimezone(zone)
    elif series:  # the RRULE counts from the first date's place in the series, moved or not
        start = (meeting.occurrences[0].original_starts_at or meeting.occurrences[0].starts_at).astimezone(zone)
    else:  # a moved single meeting simply has its new time
        start = meeting.occurrences[0].starts_at.astimezone(zone)
    status = ICS_STATUS.get(meeting.status, "TENTATIVE")
    if all(o.status == "cancelled" for o in meeting.occurrences):
        status = "CANCELLED"
    event = _event(item, host, description_for, status)
    event.add("dtstart", start)
    event.add("dtend", start + length)
    if not series:
        return [event]
    event.add(
        "rrule",
        vRecur(
            {
                "FREQ": "WEEKLY",
                "INTERVAL": 2 if meeting.frequency == "biweekly" else 1,
                "COUNT": len(meeting.occurrences),
            }
        ),
    )
    if status == "CANCELLED":
        return [event]
    cancelled = [
        (o.original_starts_at or o.starts_at).astimezone(zone) for o in meeting.occurrences if o.status == "cancelled"
    ]
    if cancelled:
        event.add("exdate", cancelled)
    out = [event]
    for o in meeting.occurrences:
        if o.status == "scheduled" and o.original_starts_at is not None:
            moved = _event(item, host, description_for, status)
            moved.add("recurrence-id", o.original_starts_at.astimezone(zone))
            moved.add("dtstart", o.starts_at.astimezone(zone))
            moved.add("dtend", o.ends_at.astimezone(zone))
            out.append(moved)
    return out


def _event(item: CalendarMeeting, host: str, description_for, status: str) -> Event:
    """A ``VEVENT`` with what every instance of the meeting shares (no times)."""
    meeting = item.meeting
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", meeting.updated_at or utcnow())
    event.add("created", meeting.created_at)
    event.add("last-modified", meeting.updated_at)
    event.add("sequence", meeting.sequence or 0)
    title = meeting.title
    if item.partner_names:
        title = f"{title} ({', '.join(item.partner_names)})"
    event.add("summary", title)
    event.add("status", status)
    description = [meeting.agenda] if meeting.agenda else []
    if meeting.video_url:
        event.add("location", meeting.video_url)
        event.add("url", meeting.video_url)
        description.append(meeting.video_url)
    description.append(item.course_title)
    if description_for is not None:
        extra = description_for(item)
        if extra:
            description.append(extra)
    event.add("description", "\n\n".join(description))
    return event


# --- feed links ------------------------------------------------------------------------------------------


def _token(secret: str, person_id: int, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"{person_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(session: Session, person_id: int, secret: str) -> str:
    """The person's current feed token (created on first use)."""
    feed = session.execute(select(CalendarFeed).where(CalendarFeed.person_id == person_id)).scalar_one_or_none()
    if feed is None:
        return reset_feed(session, person_id, secret)
    return _token(secret, person_id, feed.nonce)


def reset_feed(session: Session, person_id: int, secret: str) -> str:
    """A new feed token; the previous link stops working at once."""
    feed = session.execute(select(CalendarFeed).where(CalendarFeed.person_id == person_id)).scalar_one_or_none()
    nonce = secrets.token_urlsafe(24)
    token = _token(secret, person_id, nonce)
    if feed is None:
        session.add(CalendarFeed(person_id=person_id, nonce=nonce, token_hash=_hash(token), created_at=utcnow()))
    else:
        feed.nonce, feed.token_hash, feed.created_at = nonce, _hash(token), utcnow()
    session.flush()
    return token


def person_for_token(session: Session, token: str) -> int | None:
    """Whose feed this token opens, or ``None`` (unknown, reset, or malformed)."""
    if not token or len(token) > 100:
        return None
    found = session.execute(
        select(CalendarFeed.person_id).where(CalendarFeed.token_hash == _hash(token))
    ).scalar_one_or_none()
    return int(found) if found is not None else None


def mark_fetched(session: Session, person_id: int) -> None:
    """Remember when a calendar app last fetched the feed (shown on the person's calendar page)."""
    feed = session.execute(select(CalendarFeed).where(CalendarFeed.person_id == person_id)).scalar_one_or_none()
    if feed is not None:
        feed.last_fetched_at = utcnow()


def last_fetched_at(session: Session, person_id: int) -> datetime | None:
    return session.execute(
        select(CalendarFeed.last_fetched_at).where(CalendarFeed.person_id == person_id)
    ).scalar_one_or_none()
