"""Meeting reminders: each member of a pair hears about an accepted meeting ``reminder_hours`` before it.

Meetings come from :func:`lti_tool.mentoring.meetings.upcoming_meetings`. The key names the occurrence
and its start time: one reminder per person and occurrence, and a new one if the meeting is moved.
A meeting booked closer than ``reminder_hours`` to its start is reminded at the next tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..models import Person
from .outbox import KIND_MEETING_REMINDER, MAX_REMINDER_HOURS, course_settings, queue


def queue_reminders(session: Session, now: datetime) -> int:
    """Queue reminders of the meetings starting within each course's ``reminder_hours``. Commits."""
    try:
        from ..mentoring.meetings import upcoming_meetings
    except ImportError:  # pragma: no cover - before meetings existed
        return 0
    upcoming = upcoming_meetings(session, starting_between=(now, now + timedelta(hours=MAX_REMINDER_HOURS)))
    hours: dict[int, int] = {}
    names: dict[int, str] = {}
    queued = 0
    for meeting in upcoming:
        if meeting.course_id not in hours:
            hours[meeting.course_id] = course_settings(session, meeting.course_id).reminder_hours
        lead = hours[meeting.course_id]
        if lead <= 0 or meeting.starts_at - now > timedelta(hours=lead):
            continue
        for person_id in meeting.person_ids:
            if person_id not in names:
                person = session.get(Person, person_id)
                names[person_id] = person.display_name if person else ""
            row = queue(
                session,
                course_id=meeting.course_id,
                person_id=person_id,
                kind=KIND_MEETING_REMINDER,
                key=f"occurrence-{meeting.occurrence_id}:{meeting.starts_at.isoformat()}",
                context={
                    "title": meeting.title,
                    "starts_at": meeting.starts_at.isoformat(),
                    "ends_at": meeting.ends_at.isoformat(),
                    "video_url": meeting.video_url,
                    "space": f"{meeting.space_kind}-{meeting.space_id}",
                    "others": [names.get(p, "") for p in meeting.person_ids if p != person_id],
                },
            )
            queued += row is not None
    session.commit()
    return queued
