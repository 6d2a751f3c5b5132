"""Meetings of a mentoring space: a proposal (one time or a weekly series), its occurrences, and feeds.

``Meeting`` is what one member proposes and the other accepts or declines: the first start as a UTC instant,
the duration, and the IANA zone it was proposed in (``time_zone``). A series (``frequency`` ``weekly`` or
``biweekly``) is expanded **in that zone** when it is proposed, so 10:00 in Berlin stays 10:00 in Berlin
across a daylight-saving change; each ``MeetingOccurrence`` stores its own UTC start. ``Meeting.status`` is
the proposal's state (``proposed`` → ``accepted`` / ``declined``; ``cancelled`` for the whole series);
an occurrence can be cancelled or moved on its own (``original_starts_at`` keeps the start the series gave
it while it is elsewhere, for "moved from" and calendars' ``RECURRENCE-ID``; ``moved_by`` and ``move_note``
are who moved it last and what they told the others), and after its time it gets notes and an outcome
(held/missed).

``CalendarFeed`` holds one person's secret feed token, **hashed** (SHA-256): a calendar app fetches
``/calendar/feed/<token>.ics`` without a tool session; resetting the link replaces the hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow

MEETING_STATUSES = ("proposed", "accepted", "declined", "cancelled")
FREQUENCIES = ("once", "weekly", "biweekly")
OCCURRENCE_STATUSES = ("scheduled", "cancelled")
OUTCOMES = ("held", "missed")


class Meeting(Base):
    """A proposed meeting or series in a space; see the module docstring."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_course_id_space", "course_id", "space_kind", "space_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    space_kind: Mapped[str] = mapped_column(String(10))
    space_id: Mapped[int] = mapped_column(Integer)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(64))
    frequency: Mapped[str] = mapped_column(String(10), default="once")
    occurrence_count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    responded_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE: bumped on every change
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occurrences: Mapped[list[MeetingOccurrence]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingOccurrence.position"
    )


class MeetingOccurrence(Base):
    """One date of a meeting (the only one for a single meeting), with its notes and outcome afterwards."""

    __tablename__ = "meeting_occurrence"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    original_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set while the date is moved
    moved_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    move_note: Mapped[str | None] = mapped_column(String(500))  # the mover's plain-text note to the others
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    notes_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    notes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="occurrences")


class CalendarFeed(Base):
    """A person's calendar subscription: the SHA-256 of their secret feed token (see the module docstring)."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
