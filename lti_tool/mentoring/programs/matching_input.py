"""The input of a matching run, read from a program: who is matched with whom, and under which rules.

The next step (matching runs and their approval) calls ``matching_input`` and hands the result to
``lti_tool.mentoring.matching.match`` (or ``match_peers`` / ``form_groups``); engine ids are
``str(Participant.id)``, so an ``Assignment`` maps straight back onto participant rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Membership, Participant, Person, Program
from ..matching import MatchOptions, Weights
from ..matching import Participant as EngineParticipant
from .profiles import engine_participant
from .settings import engine_options, engine_weights


@dataclass(frozen=True)
class MatchingInput:
    mentees: tuple[EngineParticipant, ...]
    mentors: tuple[EngineParticipant, ...]
    peers: tuple[EngineParticipant, ...]
    weights: Weights
    options: MatchOptions
    picks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Mentee id -> ranked mentor ids, for the mentee-choice mode."""


def matching_input(session: Session, program: Program, *, week_of: date | None = None) -> MatchingInput:
    """Everyone active in the program as the engine sees them.

    Mentees are participants in the mentee role; mentors are approved mentors (pending and declined
    volunteers are matched as mentees); in a peer program everyone is a peer. People who left the course
    are left out. A profile without a time zone takes the person's zone from the LMS, else UTC.
    """
    rows = session.execute(
        select(Participant, Person)
        .join(Membership, Membership.id == Participant.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(Participant.program_id == program.id, Membership.is_active.is_(True))
        .order_by(Participant.id)
    ).all()
    mentees: list[EngineParticipant] = []
    mentors: list[EngineParticipant] = []
    peers: list[EngineParticipant] = []
    for row, person in rows:
        engine = engine_participant(row, default_time_zone=person.timezone or "UTC")
        if row.role == "both":
            peers.append(engine)
        elif row.role == "mentor" and row.mentor_status == "approved":
            mentors.append(engine)
        elif row.role == "mentee":
            mentees.append(engine)
    picks = {m.id: tuple(m.preferences) for m in mentees if m.preferences}
    extra = {"week_of": week_of} if week_of else {}
    return MatchingInput(
        mentees=tuple(mentees),
        mentors=tuple(mentors),
        peers=tuple(peers),
        weights=engine_weights(program),
        options=engine_options(program, **extra),
        picks=picks,
    )
