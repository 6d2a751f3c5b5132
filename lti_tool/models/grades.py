"""Grades: line items, each person's latest result, and the outbox that delivers results to the LMS.

A result is recorded and its outbox row written in one transaction, so a result the tool shows is a result
the worker will deliver, whatever restarts in between (DESIGN.md, "Grades"). The outbox holds one row per
result version; a newer version abandons the older undelivered rows, so only the latest is sent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .course import Course, Person, ResourceLink


class LineItemOrigin(StrEnum):
    TOOL = "tool"  # created (or found again) by the tool through AGS
    PLATFORM = "platform"  # the platform's own, named by a launch's lineitem claim (deep linking, placement)


class LineItemStatus(StrEnum):
    ACTIVE = "active"
    MISSING = "missing"  # deleted on the platform: recreated on the next coordinator action


class OutboxStatus(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    ABANDONED = "abandoned"  # superseded by a newer result before it was delivered


class LineItem(Base):
    """A gradebook column (AGS 2.0 §3.2) of a course, as the tool knows it."""

    __tablename__ = "grade_line_item"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id", ondelete="SET NULL"))
    # What makes it unique in the course: "link:<resource link id>" or "res:<resourceId>|tag:<tag>".
    key: Mapped[str] = mapped_column(String(600))
    platform_url: Mapped[str | None] = mapped_column(String(1000))
    label: Mapped[str] = mapped_column(String(400))
    resource_id: Mapped[str | None] = mapped_column(String(255))
    tag: Mapped[str | None] = mapped_column(String(255))
    score_maximum: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(20), default=LineItemOrigin.TOOL.value)
    status: Mapped[str] = mapped_column(String(20), default=LineItemStatus.ACTIVE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()


class GradeResult(Base):
    """The latest result of one person on one line item (AGS 2.0 §3.4 score fields)."""

    __tablename__ = "grade_result"
    __table_args__ = (UniqueConstraint("line_item_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("grade_line_item.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float | None] = mapped_column(Float)
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    # A coordinator typed this score (a reflection's grade, or an override of a computed score): regrading
    # an activity after its rule changes leaves it alone, and later submissions do not replace it.
    is_override: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the result was produced, to the microsecond, strictly increasing per (line item, person): the
    # platform keeps the score with the latest timestamp, so a late retry never overwrites a newer one.
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    line_item: Mapped[LineItem] = relationship()
    person: Mapped[Person] = relationship()


class GradeOutbox(Base):
    """One result version to deliver, with its delivery state and lease."""

    __tablename__ = "grade_outbox"
    __table_args__ = (
        Index("ix_grade_outbox_claim", "status", "next_attempt_at"),
        Index("ix_grade_outbox_line_item_person", "line_item_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("grade_result.id", ondelete="CASCADE"), index=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("grade_line_item.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    result_version: Mapped[int] = mapped_column(Integer)
    # The score exactly as it will be posted (userId, scoreGiven, timestamp…), frozen at record time.
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    result: Mapped[GradeResult] = relationship()
