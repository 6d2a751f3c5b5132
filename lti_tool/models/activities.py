"""Gradable activities: what the tool grades in a course, how, and which gradebook column receives it.

An activity comes to exist in one of two ways:

* an instructor places a graded item by deep linking; the first launch of that placement carries the AGS
  ``lineitem`` claim (the platform's own column for it), and the activity is created then, mapped to the
  resource link and to that line item (``source = "deep_link"``);
* a coordinator creates it in the tool, which finds or creates its line item through AGS
  (``source = "tool"``; in Moodle such columns are separate manual grade items, not tied to an activity).

The scoring rule decides what a result is: ``completion`` (full marks on submission),
``instrument_score`` (the response's score fraction × maximum), ``manual`` (sent ``PendingManual`` on
submission, then ``FullyGraded`` with the coordinator's score) or ``participation`` (computed from
engagement with the coordinator's weights and targets).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .course import Course, ResourceLink
from .grades import LineItem


class ActivityKind(StrEnum):
    EVALUATION = "evaluation"
    PARTICIPATION = "participation"


class ScoringRule(StrEnum):
    COMPLETION = "completion"
    INSTRUMENT_SCORE = "instrument_score"
    MANUAL = "manual"
    PARTICIPATION = "participation"


class ActivitySource(StrEnum):
    DEEP_LINK = "deep_link"
    TOOL = "tool"


# Components of the participation score, in the order pages show them.
PARTICIPATION_COMPONENTS = ("posts", "meetings", "goals")
DEFAULT_WEIGHTS = {"posts": 1.0, "meetings": 1.0, "goals": 1.0}
DEFAULT_TARGETS = {"posts": 10.0, "meetings": 3.0, "goals": 3.0}


class GradableActivity(Base):
    """One gradable activity of a course and its gradebook column."""

    __tablename__ = "gradable_activity"
    __table_args__ = (UniqueConstraint("course_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default=ActivitySource.TOOL.value)
    line_item_id: Mapped[int | None] = mapped_column(ForeignKey("grade_line_item.id", ondelete="SET NULL"), index=True)
    # The placement whose launches name this activity's column (deep-linked activities only).
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id", ondelete="SET NULL"))
    score_maximum: Mapped[float] = mapped_column(Float, default=100.0)
    # The evaluation checkpoint whose submitted responses are graded (evaluation activities only).
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_checkpoint.id", ondelete="SET NULL"), index=True
    )
    # Participation: weight and target per component ("posts", "meetings", "goals").
    weights: Mapped[dict | None] = mapped_column(JSON)
    targets: Mapped[dict | None] = mapped_column(JSON)
    last_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    line_item: Mapped[LineItem | None] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()
