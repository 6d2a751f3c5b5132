"""Structured prompts: a course's prompt set, its weekly schedule, and each space's progress through it.

``PromptSet.kind`` is ``"none"`` (unstructured), ``"five_cs"`` (the Five Cs stages, whose wording ships
with the code) or ``"weekly"`` (the ``WeeklyPrompt`` rows the coordinator writes). ``PromptProgress`` keeps,
per space (``space_kind``/``space_id``, as on ``discussion_thread``: no foreign key, the space's course is
the scope) and per set kind, which stages are done — so switching the set and back loses nothing. The
Five Cs' last stage ends with commitments to action, one ``PromptCommitment`` per person: the mentee of a
pair, each mentee of a group, each member of a peer group; the stage's ``PromptProgress`` row is written
when the last of the space's current mentees has written theirs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

PROMPTS_NONE = "none"
PROMPTS_FIVE_CS = "five_cs"
PROMPTS_WEEKLY = "weekly"
PROMPT_SET_KINDS = (PROMPTS_NONE, PROMPTS_FIVE_CS, PROMPTS_WEEKLY)


class PromptSet(Base):
    """The course's choice of prompts (one row per course; no row means "none")."""

    __tablename__ = "prompt_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default=PROMPTS_NONE)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WeeklyPrompt(Base):
    """One week of a coordinator's schedule: its number, an optional start date, a topic and guidance."""

    __tablename__ = "weekly_prompt"
    __table_args__ = (UniqueConstraint("course_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    week: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date | None] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")  # Markdown as written
    guidance_html: Mapped[str] = mapped_column(Text, default="")  # sanitised rendering


class PromptProgress(Base):
    """A stage (or week) a space marked done, when and by whom (for the Five Cs' last stage: the person whose
    commitment completed it, or nobody when the last mentee without one left the group)."""

    __tablename__ = "prompt_progress"
    __table_args__ = (
        UniqueConstraint("course_id", "space_kind", "space_id", "set_kind", "stage_key"),
        Index("ix_prompt_progress_space", "course_id", "space_kind", "space_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    space_kind: Mapped[str] = mapped_column(String(10))
    space_id: Mapped[int] = mapped_column(Integer)
    set_kind: Mapped[str] = mapped_column(String(10))
    stage_key: Mapped[str] = mapped_column(String(40))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class PromptCommitment(Base):
    """One person's commitment to action at the end of the Five Cs in one space (``space_kind``/``space_id``
    as on ``PromptProgress``). Its author can change it until the stage closes for the space."""

    __tablename__ = "prompt_commitment"
    __table_args__ = (UniqueConstraint("course_id", "space_kind", "space_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    space_kind: Mapped[str] = mapped_column(String(10))
    space_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
