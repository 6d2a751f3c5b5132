"""Matching runs, the pairs they propose, and the mentorships the coordinator approves.

A ``MatchRun`` is one run of the matching engine over a course's program; its ``ProposedPair`` rows keep
each pair's score and reason parts (``[[code, params], ...]``, rendered in the reader's language) and the
people left unmatched (``unmatched``: ``[{participant_id, role, code, params}, ...]``). Approving a run
turns its pairs into ``Mentorship`` rows; a mentorship stays until it is ended (``ended_at``).

Group and peer programs propose ``ProposedGroup`` rows instead (members as JSON, each with a role, a
score and reason parts); approving such a run creates ``MentoringGroup`` rows with ``GroupMember`` rows
(role ``mentor``, ``mentee`` or ``peer``). A member who leaves a group keeps the row with ``left_at`` set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .course import Course
from .programs import Participant

RUN_STATUSES = ("proposed", "approved", "failed")
# ``MatchRun.mode`` of group runs: group mentoring ("group") and peer co-mentoring ("peer").
GROUP_RUN_MODES = ("group", "peer")
GROUP_ROLES = ("mentor", "mentee", "peer")
PAIR_STATES = ("proposed", "pinned", "forbidden")


class MatchRun(Base):
    """One matching run of a course's program, newest last."""

    __tablename__ = "match_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total_mentees: Mapped[int] = mapped_column(Integer, default=0)
    total_mentors: Mapped[int] = mapped_column(Integer, default=0)
    total_pairs: Mapped[int] = mapped_column(Integer, default=0)
    total_score: Mapped[float] = mapped_column(Float, default=0.0)
    unmatched: Mapped[list] = mapped_column(JSON, default=list)

    course: Mapped[Course] = relationship()
    pairs: Mapped[list[ProposedPair]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ProposedPair.id"
    )
    groups: Mapped[list[ProposedGroup]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ProposedGroup.id"
    )

    @property
    def is_group_run(self) -> bool:
        """A run of a group or peer program (proposes groups, not pairs)."""
        return self.mode in GROUP_RUN_MODES


class ProposedPair(Base):
    """A mentee–mentor pair a run proposes, with its score and the reasons behind it."""

    __tablename__ = "proposed_pair"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("program_participant.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("program_participant.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reason_parts: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(10), default="proposed")

    run: Mapped[MatchRun] = relationship(back_populates="pairs")
    mentee: Mapped[Participant] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Participant] = relationship(foreign_keys=[mentor_id])


class Mentorship(Base):
    """An approved mentee–mentor relationship; active while ``ended_at`` is empty."""

    __tablename__ = "mentorship"
    __table_args__ = (Index("ix_mentorship_course_id_ended_at", "course_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("program_participant.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("program_participant.id", ondelete="CASCADE"), index=True)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_run_id: Mapped[int | None] = mapped_column(ForeignKey("match_run.id", ondelete="SET NULL"))

    mentee: Mapped[Participant] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Participant] = relationship(foreign_keys=[mentor_id])


SWITCH_STATUSES = ("pending", "approved", "declined")


class SwitchRequest(Base):
    """A mentee or mentor asking to end or change their pairing (``mentorship_id``) or to leave their group
    (``group_id``); the reason is for the coordinator only."""

    __tablename__ = "switch_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int | None] = mapped_column(ForeignKey("mentorship.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("mentoring_group.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("program_participant.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    mentorship: Mapped[Mentorship | None] = relationship()
    group: Mapped[MentoringGroup | None] = relationship()
    requester: Mapped[Participant] = relationship(foreign_keys=[requested_by])


class ProposedGroup(Base):
    """A group a group or peer run proposes.

    ``members`` is ``[{"participant_id", "role", "score", "reason_parts"}, ...]``: a mentee's score and
    reasons are with the group's mentor(s); a peer's are with the other peers. ``state`` is ``proposed``
    or ``pinned`` (kept as it is by the next run; a coordinator's edit pins the group).
    """

    __tablename__ = "proposed_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    members: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(10), default="proposed")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("mentoring_group.id", ondelete="CASCADE"))
    """Set when the proposal adds people to an existing group (late joiners, someone who switched);
    its current members are listed with ``"existing": true`` and stay as they are."""

    run: Mapped[MatchRun] = relationship(back_populates="groups")

    def ids(self, role: str | None = None) -> list[int]:
        return [int(m["participant_id"]) for m in self.members if role is None or m["role"] == role]

    def new_ids(self) -> list[int]:
        """Learners this proposal places (not the existing members of a group it adds to)."""
        return [int(m["participant_id"]) for m in self.members if m["role"] != "mentor" and not m.get("existing")]


class MentoringGroup(Base):
    """An approved group: one or two mentors with mentees, or two or three peers; active while not ended."""

    __tablename__ = "mentoring_group"
    __table_args__ = (Index("ix_mentoring_group_course_id_ended_at", "course_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    source_run_id: Mapped[int | None] = mapped_column(ForeignKey("match_run.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupMember.id"
    )

    @property
    def current_members(self) -> list[GroupMember]:
        return [m for m in self.members if m.left_at is None]


class GroupMember(Base):
    """A participant in a group, as ``mentor``, ``mentee`` or ``peer``; ``left_at`` once they left it."""

    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("mentoring_group.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("program_participant.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[MentoringGroup] = relationship(back_populates="members")
    participant: Mapped[Participant] = relationship()
