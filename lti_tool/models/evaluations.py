"""Evaluations: instruments (versioned), checkpoints that schedule them, and the responses people give.

Instruments and versions
    An ``EvaluationInstrument`` belongs to one course (built-in templates live in code, see
    ``lti_tool.mentoring.evaluations.templates``; copying one creates a course instrument). Its questions
    live in ``EvaluationInstrumentVersion.items`` (JSON, see ``lti_tool.mentoring.evaluations.instruments``
    for the item shape). A version that has responses is never changed: editing it creates version
    ``number + 1``, and responses keep pointing at the version they answered
    (``EvaluationResponse.instrument_version_id``).

Checkpoints
    An ``EvaluationCheckpoint`` schedules one instrument version in a course for an ``audience``
    (``CHECKPOINT_AUDIENCES``): mentees about their mentor, mentors about each mentee, or everyone for a
    self-assessment, reflection or survey. ``opens_at``/``due_at`` are UTC. ``released`` lets mentors see
    individual responses about them and mentees see their mentor's evaluation of them.

Responses
    One ``EvaluationResponse`` per (checkpoint, respondent, subject); ``subject_person_id`` is NULL for
    evaluations about nobody in particular (self-assessment, reflection, survey). ``answers`` maps item id
    to the answer (an int index/point for scales and choices, a string for text). ``score_fraction`` is in
    [0, 1] over the scorable items, NULL when nothing is scorable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow

INSTRUMENT_KINDS = ("mentee_of_mentor", "mentor_of_mentee", "self_assessment", "reflection", "survey", "custom")
CHECKPOINT_AUDIENCES = ("mentees_about_mentor", "mentors_about_mentee", "self_assessment", "reflection", "survey")
RESPONSE_STATUSES = ("draft", "submitted")


class EvaluationInstrument(Base):
    """A course's evaluation form; its questions are in its versions, newest = highest ``number``."""

    __tablename__ = "evaluation_instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="custom")
    template_key: Mapped[str | None] = mapped_column(String(40))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[EvaluationInstrumentVersion]] = relationship(
        back_populates="instrument", order_by="EvaluationInstrumentVersion.number"
    )


class EvaluationInstrumentVersion(Base):
    """One immutable-once-answered version of an instrument: title, description and items."""

    __tablename__ = "evaluation_instrument_version"
    __table_args__ = (UniqueConstraint("instrument_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Explicit constraint names where the convention's would pass PostgreSQL's 63-character limit.
    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_instrument.id", ondelete="CASCADE", name="fk_evaluation_version_instrument")
    )
    number: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instrument: Mapped[EvaluationInstrument] = relationship(back_populates="versions")


class EvaluationCheckpoint(Base):
    """A scheduled evaluation in a course: which instrument version, who answers, when, and what is released."""

    __tablename__ = "evaluation_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    instrument_version_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_instrument_version.id", ondelete="RESTRICT", name="fk_evaluation_checkpoint_version"),
        index=True,
    )
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(30))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_hours_before: Mapped[int] = mapped_column(Integer, default=48)
    reminders_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a coordinator archives it (restoring clears it); archived checkpoints are closed to answers.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instrument_version: Mapped[EvaluationInstrumentVersion] = relationship()

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class EvaluationResponse(Base):
    """One person's answers at one checkpoint, about one subject (or nobody); a draft until submitted."""

    __tablename__ = "evaluation_response"
    __table_args__ = (
        UniqueConstraint(
            "checkpoint_id", "respondent_person_id", "subject_person_id", name="uq_evaluation_response_who"
        ),
        Index("ix_evaluation_response_checkpoint_id_status", "checkpoint_id", "status"),
        # NULLs are distinct in the constraint above: one response about nobody per person and checkpoint.
        Index(
            "uq_evaluation_response_about_nobody",
            "checkpoint_id",
            "respondent_person_id",
            unique=True,
            sqlite_where=text("subject_person_id IS NULL"),
            postgresql_where=text("subject_person_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("evaluation_checkpoint.id", ondelete="CASCADE"))
    instrument_version_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_instrument_version.id", ondelete="RESTRICT", name="fk_evaluation_response_version")
    )
    respondent_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    score_fraction: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    checkpoint: Mapped[EvaluationCheckpoint] = relationship()
    instrument_version: Mapped[EvaluationInstrumentVersion] = relationship()
