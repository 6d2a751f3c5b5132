"""A course's mentoring program (its settings) and the people taking part in it, with their profiles.

One ``Program`` per course holds what the coordinator chose: the program model, who mentors, the matching
mode, hard constraints, compatibility weights and the tag list participants pick from. One ``Participant``
per course membership that takes part holds the person's role in the program (mentee, mentor, or both in a
peer program), how they became a mentor and whether the coordinator approved it, and their profile.
Matching runs (later) read these rows through ``lti_tool.mentoring.programs.engine_participant`` and refer
to participants by ``Participant.id``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .course import Course, Membership

# Values kept as plain strings (portable across SQLite and PostgreSQL, easy to extend in a migration).
STRUCTURES = ("one_to_one", "group")
RELATIONSHIPS = ("hierarchical", "peer")
MATCHING_MODES = ("optimal", "stable", "mentee_choice")
MENTOR_SOURCES = ("role", "opt_in", "csv")
PROGRAM_ROLES = ("mentee", "mentor", "both")
MENTOR_STATUSES = ("pending", "approved", "declined")


class Program(Base):
    """The mentoring program of one course; created with defaults the first time the space is opened."""

    __tablename__ = "program"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    # Program model
    structure: Mapped[str] = mapped_column(String(20), default="one_to_one")
    group_size: Mapped[int] = mapped_column(Integer, default=4)
    mentors_per_group: Mapped[int] = mapped_column(Integer, default=1)
    relationship_model: Mapped[str] = mapped_column(String(20), default="hierarchical")
    matching_mode: Mapped[str] = mapped_column(String(20), default="optimal")
    # Who mentors: any of MENTOR_SOURCES; for "role", the LTI context role short names that qualify.
    mentor_sources: Mapped[list] = mapped_column(JSON, default=lambda: ["opt_in"])
    mentor_lti_roles: Mapped[list] = mapped_column(JSON, default=lambda: ["TeachingAssistant"])
    default_capacity: Mapped[int] = mapped_column(Integer, default=2)
    max_capacity: Mapped[int] = mapped_column(Integer, default=5)
    # Profiles
    profile_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Hard constraints and compatibility weights (field names of the engine's ``Weights``).
    require_shared_language: Mapped[bool] = mapped_column(Boolean, default=False)
    min_overlap_hours: Mapped[float] = mapped_column(Float, default=0.0)
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    # The coordinator-curated tag lists participants choose from.
    goal_tags: Mapped[list] = mapped_column(JSON, default=list)
    interest_tags: Mapped[list] = mapped_column(JSON, default=list)
    expertise_tags: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()

    @property
    def is_peer(self) -> bool:
        return self.relationship_model == "peer"


class Participant(Base):
    """A course member taking part in the program: role, mentor designation and profile.

    ``role`` is what matching uses: mentee, mentor, or both (peer co-mentoring). ``mentor_status`` and
    ``mentor_source`` record a mentor designation: by LTI role (approved at once), by the student's own
    opt-in (pending until the coordinator approves or declines) or by CSV import (approved). A declined
    opt-in leaves the person a mentee. Availability is a list of ``[weekday, start_minute, end_minute]``
    in the person's own ``time_zone`` (the engine's ``Slot``); ``preferences`` ranks mentors by
    ``Participant.id``.
    """

    __tablename__ = "program_participant"
    __table_args__ = (UniqueConstraint("program_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="mentee")
    mentor_status: Mapped[str | None] = mapped_column(String(10))
    mentor_source: Mapped[str | None] = mapped_column(String(10))
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Profile
    goals: Mapped[list] = mapped_column(JSON, default=list)
    interests: Mapped[list] = mapped_column(JSON, default=list)
    expertise: Mapped[list] = mapped_column(JSON, default=list)
    about: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    availability: Mapped[list] = mapped_column(JSON, default=list)
    preferences: Mapped[list] = mapped_column(JSON, default=list)
    profile_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    profile_skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    program: Mapped[Program] = relationship()
    membership: Mapped[Membership] = relationship()

    @property
    def is_mentor(self) -> bool:
        """An approved mentor (or a peer, who mentors and is mentored)."""
        return self.role in ("mentor", "both") and (self.role == "both" or self.mentor_status == "approved")

    @property
    def has_profile(self) -> bool:
        return self.profile_completed_at is not None
