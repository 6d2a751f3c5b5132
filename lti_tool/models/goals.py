"""Goals a mentee sets in their pair space, with milestones, the mentor's comments and an update log.

A goal lives in a mentoring *space* (``space_kind`` + ``space_id``, as threads do: see
:mod:`lti_tool.mentoring.spaces`); ``space_id`` has no foreign key because it names a pair now and a group
later. ``course_id`` is a real foreign key and every query filters on it, so another course's goal is never
reachable. Due dates are calendar dates (no time of day): "overdue" is judged against today's date in the
reader's time zone.

``GoalUpdate`` is the append-only log of every change (created, edited, status changed, milestone added,
done or reopened, comment): the dashboard and participation scoring count "goals updated" from it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow

GOAL_STATUSES = ("not_started", "on_track", "at_risk", "done", "dropped")
OPEN_STATUSES = ("not_started", "on_track", "at_risk")
UPDATE_KINDS = ("created", "edited", "status", "milestone_added", "milestone_done", "milestone_reopened", "comment")


class Goal(Base):
    """A mentee's goal: what, why, how progress is measured, by when, and where it stands."""

    __tablename__ = "goal"
    __table_args__ = (Index("ix_goal_course_id_space", "course_id", "space_kind", "space_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    space_kind: Mapped[str] = mapped_column(String(10))
    space_id: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text, default="")
    measure: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="not_started")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    milestones: Mapped[list[GoalMilestone]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="GoalMilestone.position, GoalMilestone.id"
    )
    comments: Mapped[list[GoalComment]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="GoalComment.id"
    )


class GoalMilestone(Base):
    """A step towards a goal, with its own due date; ``done_at`` records when it was ticked off."""

    __tablename__ = "goal_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    goal: Mapped[Goal] = relationship(back_populates="milestones")


class GoalComment(Base):
    """A comment on a goal (usually the mentor's), Markdown kept as typed and rendered sanitised."""

    __tablename__ = "goal_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="comments")


class GoalUpdate(Base):
    """One entry of a goal's history: who changed what, when (``old_status``/``new_status`` for status)."""

    __tablename__ = "goal_update"
    __table_args__ = (Index("ix_goal_update_course_id_space", "course_id", "space_kind", "space_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    space_kind: Mapped[str] = mapped_column(String(10))
    space_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    old_status: Mapped[str | None] = mapped_column(String(12))
    new_status: Mapped[str | None] = mapped_column(String(12))
    detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
