"""The input of a matching run, read from a program: who is matched with whom, and under which rules.

The next step (matching runs and their approval) calls ``matching_input`` and hands the result to
``lti_tool.mentoring.matching.match`` (or ``match_peers`` / ``form_groups``); engine ids are
``str(Participant.id)``, so an ``Assignment`` maps straight back onto participant rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    without_profile: tuple[tuple[int, str], ...] = ()
    """``(participant id, role)`` of mentees and peers left out because the program requires a profile."""


def matching_input(session: Session, program: Program, *, week_of: date | None = None) -> MatchingInput:
    """Everyone active in the program as the engine sees them.

    Mentees are participants in the mentee role; mentors are approved mentors (pending and declined
    volunteers are matched as mentees); in a peer program everyone is a peer. People who left the course
    are left out, and so are mentees and peers without a profile when the program requires one
    (``without_profile``; runs list them as unmatched, ``no_profile``). A profile without a time zone
    takes the person's zone from the LMS, else UTC.
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
    without_profile: list[tuple[int, str]] = []
    for row, person in rows:
        if program.profile_required and not row.has_profile and row.role in ("mentee", "both"):
            without_profile.append((row.id, "peer" if row.role == "both" else "mentee"))
            continue
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
        without_profile=tuple(without_profile),
    )


@dataclass(frozen=True)
class Suggestion:
    """A mentor suggested to a mentee (mentee-choice mode): who, the score, the reasons and places left."""

    mentor_id: int
    score: float
    parts: tuple
    places_left: int


def suggestions_for(session: Session, program: Program, participant: Participant, *, n: int = 5) -> list[Suggestion]:
    """The mentee's ``n`` best allowed mentors that still have a place (their current picks do not count)."""
    from sqlalchemy import func

    from ...models import Mentorship
    from ..matching import suggestions

    data = matching_input(session, program)
    me = next((m for m in data.mentees if m.id == str(participant.id)), None)
    if me is None or not data.mentors:
        return []
    me = replace(me, preferences=())  # suggestions rank by fit, not by what was already picked
    taken = dict(
        session.execute(
            select(Mentorship.mentor_id, func.count())
            .where(Mentorship.course_id == program.course_id, Mentorship.ended_at.is_(None))
            .group_by(Mentorship.mentor_id)
        ).all()
    )
    used = {str(k): int(v) for k, v in taken.items()}
    found = suggestions(me, data.mentors, data.weights, data.options, n=n, taken=used)
    capacity = {m.id: m.capacity for m in data.mentors}
    return [
        Suggestion(int(s.mentor_id), s.score, s.parts, capacity[s.mentor_id] - used.get(s.mentor_id, 0)) for s in found
    ]
