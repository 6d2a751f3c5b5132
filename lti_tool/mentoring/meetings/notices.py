"""Telling the people of a space that one date of a meeting was moved.

Two ways, both from the same data:

* **in the tool**: :func:`moved_dates` lists the upcoming dates someone else moved, with who moved them; the
  space page shows them as notices until the date has passed (or is moved back to its place in the series);
* **by mail**: :func:`date_moved` queues one mail per member but the mover through
  :func:`lti_tool.notifications.notify` (kind ``meeting_moved``, which people can turn off on their
  preferences page). The mail is rendered at delivery in each recipient's language, with both times in
  their own zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Person
from ...models.meetings import Meeting, MeetingOccurrence
from ...notifications import notify
from ...notifications.outbox import KIND_MEETING_MOVED
from ..spaces import Space
from .fields import N_

SUBJECT = N_("Meeting moved: %(title)s")
BODY = N_("%(name)s moved “%(title)s” from %(old)s to %(new)s.")
BODY_WITH_NOTE = N_("%(name)s moved “%(title)s” from %(old)s to %(new)s. Their note: %(note)s")
ACTION = N_("Open Mentoring Space from your course to see the meeting.")


def person_names(session: Session, person_ids: set[int]) -> dict[int, str]:
    """Display names of ``person_ids`` (members or not: a coordinator may move a date)."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(Person.id, Person.name, Person.given_name, Person.family_name, Person.sub).where(
            Person.id.in_(person_ids)
        )
    ).all()
    return {pid: Person.display_name_of(name, given, family, sub) for pid, name, given, family, sub in rows}


def date_moved(
    session: Session,
    space: Space,
    meeting: Meeting,
    occurrence: MeetingOccurrence,
    *,
    mover_id: int,
    previous: datetime,
    note: str,
) -> int:
    """Queue one mail to each current member of ``space`` but the mover; returns how many were queued.

    The key names the occurrence and the meeting's ``sequence`` (bumped by each move), so each move is told
    once, and a second move of the same date is told again."""
    mover = person_names(session, {mover_id}).get(mover_id, "")
    params = {"name": mover, "title": meeting.title, "old": previous, "new": occurrence.starts_at, "note": note}
    queued = 0
    for member in space.members:
        if member.person_id == mover_id:
            continue
        row = notify(
            session,
            course_id=meeting.course_id,
            person_id=member.person_id,
            kind=KIND_MEETING_MOVED,
            key=f"occurrence-{occurrence.id}:moved:{meeting.sequence}",
            subject=SUBJECT,
            body=BODY_WITH_NOTE if note else BODY,
            params=params,
            action=ACTION,
        )
        queued += row is not None
    return queued


@dataclass(frozen=True)
class MovedDate:
    """An upcoming date that is not at its place in the series, and who moved it."""

    meeting: Meeting
    occurrence: MeetingOccurrence
    moved_by_name: str


def moved_dates(session: Session, meetings: list[Meeting], *, viewer_person_id: int, now: datetime) -> list[MovedDate]:
    """The dates of ``meetings`` (accepted, not cancelled, not started yet) that someone other than the
    viewer moved, soonest first: what the space page tells its members."""
    found = [
        (meeting, o)
        for meeting in meetings
        if meeting.status == "accepted"
        for o in meeting.occurrences
        if o.status == "scheduled"
        and o.original_starts_at is not None
        and o.starts_at > now
        and o.moved_by != viewer_person_id
    ]
    names = person_names(session, {o.moved_by for _, o in found if o.moved_by is not None})
    found.sort(key=lambda pair: pair[1].starts_at)
    return [MovedDate(m, o, names.get(o.moved_by, "") if o.moved_by is not None else "") for m, o in found]
