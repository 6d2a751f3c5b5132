"""Notifications by email: each person's preferences, a course's settings, and the outbox of mails.

The outbox
    Every mail is first a :class:`NotificationOutbox` row. Its ``idempotency_key`` is unique, so a digest,
    nudge or reminder computed by two ticks at once (two workers, a cron tick beside the in-process one)
    becomes one row: the second insert fails and is ignored. Rows carry what to say (``kind`` + JSON
    ``context``), not the rendered mail: the mail is rendered at delivery in the recipient's language and
    time zone. States: ``queued`` → ``sending`` (claimed by one sender, with a lease) → ``sent``; a failed
    attempt goes back to ``queued`` with ``next_attempt_at`` until ``failed`` after the last attempt;
    ``skipped`` records why nothing was sent (no email address from the platform, unsubscribed, no mail
    server configured).

Preferences
    One row per person and course, created on first change; no row means the defaults (daily digest, every
    other kind on). ``disabled_kinds`` lists the kinds a person turned off (by the preferences page or an
    unsubscribe link); ``unsubscribed_all`` stops everything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .course import Person

DIGEST_OFF = "off"
DIGEST_DAILY = "daily"
DIGEST_WEEKLY = "weekly"
DIGEST_FREQUENCIES = (DIGEST_OFF, DIGEST_DAILY, DIGEST_WEEKLY)

MAIL_QUEUED = "queued"
MAIL_SENDING = "sending"
MAIL_SENT = "sent"
MAIL_FAILED = "failed"
MAIL_SKIPPED = "skipped"
MAIL_STATUSES = (MAIL_QUEUED, MAIL_SENDING, MAIL_SENT, MAIL_FAILED, MAIL_SKIPPED)


class NotificationPreference(Base):
    """What one person wants to receive in one course (no row: the defaults)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("person_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    digest_frequency: Mapped[str] = mapped_column(String(10), default=DIGEST_DAILY)
    disabled_kinds: Mapped[list] = mapped_column(JSON, default=list)
    unsubscribed_all: Mapped[bool] = mapped_column(Boolean, default=False)
    # Posts newer than this go into the next digest (NULL: the digest's own period).
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotificationSettings(Base):
    """A course's notification settings, chosen by its coordinators (no row: the defaults)."""

    __tablename__ = "notification_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    # Nudge both members of a pair silent this many days (0: never).
    silence_days: Mapped[int] = mapped_column(Integer, default=7)
    # Remind each member this many hours before a meeting starts (0: never).
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotificationOutbox(Base):
    """One mail to one person: queued, sent, failed or skipped (see the module doc)."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        Index("ix_notification_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notification_outbox_course_id_id", "course_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=MAIL_QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it failed (the last error) or why it was skipped (a short code: no_email, unsubscribed, …).
    error: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(String(40))
    # What was sent, for the coordinator's log and support (set at delivery).
    to_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
