"""Participant profiles: saving, skipping, whether one is still needed, and the engine's view of them.

Availability is stored as the person entered it, in their own time zone, as the engine's ``Slot``
(``[weekday, start_minute, end_minute]``, Monday = 0); the engine maps it onto a UTC week when it compares
two people. Tags are kept only when they are on the program's list, so everyone spells them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Membership, Participant, Person, Program, utcnow
from ..matching import Participant as EngineParticipant
from ..matching import Slot
from .errors import NotAllowed, ProgramError
from .mentors import check_capacity

# Languages offered on the profile page (ISO 639-1); the web layer shows their names in the reader's locale.
LANGUAGE_CODES = (
    "ar", "bn", "de", "en", "es", "fa", "fr", "hi", "id", "it", "ja", "ko", "nl", "pl", "pt", "ru", "sw", "tr",
    "uk", "ur", "vi", "zh",
)  # fmt: skip
MAX_SLOTS = 14
MAX_PREFERENCES = 3


class InvalidProfile(ProgramError):
    code = "invalid_profile"
    message = "The profile is incomplete or inconsistent."


@dataclass(frozen=True)
class ProfileData:
    """A profile as the participant submitted it (the view parses and checks the form into this)."""

    goals: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    about: str = ""
    languages: tuple[str, ...] = ()
    time_zone: str = "UTC"
    availability: tuple[Slot, ...] = ()
    capacity: int | None = None
    preferences: tuple[int, ...] = field(default=())


def is_time_zone(name: str) -> bool:
    return name in _zones()


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zones() -> list[str]:
    """Every IANA time zone name this system knows, sorted."""
    return sorted(_zones())


def needs_profile(program: Program, participant: Participant | None) -> bool:
    """Whether opening the space should send this person to their profile page first.

    On first entry everyone taking part is asked; a skippable program lets them skip, a program that
    requires profiles asks again until the profile is complete.
    """
    if participant is None or participant.has_profile:
        return False
    return program.profile_required or participant.profile_skipped_at is None


def skip_profile(session: Session, program: Program, participant: Participant) -> None:
    if program.profile_required:
        raise NotAllowed("This program requires a profile.")
    participant.profile_skipped_at = utcnow()
    session.flush()


def approved_mentors(session: Session, program: Program, *, excluding: int | None = None) -> list[tuple[int, str]]:
    """``(participant id, display name)`` of the program's approved mentors, by name; for ranking."""
    rows = session.execute(
        select(Participant, Person)
        .join(Membership, Membership.id == Participant.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Participant.program_id == program.id,
            Participant.mentor_status == "approved",
            Membership.is_active.is_(True),
        )
    ).all()
    found = [(p.id, person.display_name) for p, person in rows if p.id != excluding]
    return sorted(found, key=lambda r: (r[1].casefold(), r[0]))


def save_profile(session: Session, program: Program, participant: Participant, data: ProfileData) -> Participant:
    """Store a profile; tags off the program's list, unknown zones or languages and bad slots are refused."""
    allowed = {
        "goals": set(program.goal_tags or []),
        "interests": set(program.interest_tags or []),
        "expertise": set(program.expertise_tags or []),
    }
    for name, tags in allowed.items():
        if set(getattr(data, name)) - tags:
            raise InvalidProfile(f"{name}: not on the program's list")
    if set(data.languages) - set(LANGUAGE_CODES):
        raise InvalidProfile("languages: unknown code")
    if not is_time_zone(data.time_zone):
        raise InvalidProfile("time_zone: unknown")
    if len(data.availability) > MAX_SLOTS:
        raise InvalidProfile("availability: too many slots")
    if len(data.preferences) > MAX_PREFERENCES or len(set(data.preferences)) != len(data.preferences):
        raise InvalidProfile("preferences: too many or repeated")
    mentor_ids = {pid for pid, _ in approved_mentors(session, program, excluding=participant.id)}
    if set(data.preferences) - mentor_ids:
        raise InvalidProfile("preferences: not an approved mentor of this program")
    slots = [list(slot) for slot in data.availability]
    # The engine is the judge of what a valid profile is (slot ranges, zone): build one before storing.
    engine_participant_from(participant.id, data, capacity=1)
    participant.goals = list(data.goals)
    participant.interests = list(data.interests)
    participant.expertise = list(data.expertise)
    participant.about = data.about.strip() or None
    participant.languages = list(data.languages)
    participant.time_zone = data.time_zone
    participant.availability = slots
    participant.preferences = [int(p) for p in data.preferences]
    if data.capacity is not None and participant.mentor_status in ("pending", "approved"):
        participant.capacity = check_capacity(program, data.capacity)
    participant.profile_completed_at = utcnow()
    session.flush()
    return participant


def engine_participant_from(participant_id: int, data: ProfileData, *, capacity: int) -> EngineParticipant:
    return EngineParticipant(
        id=str(participant_id),
        goals=frozenset(data.goals),
        interests=frozenset(data.interests),
        expertise=frozenset(data.expertise),
        languages=frozenset(data.languages),
        time_zone=data.time_zone,
        availability=tuple(data.availability),
        capacity=capacity,
        preferences=tuple(str(p) for p in data.preferences),
        about=data.about,
    )


def _slots(rows: Sequence[Sequence[int]] | None) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    for row in rows or []:
        day, start, end = (int(v) for v in row)
        slots.append((day, start, end))
    return tuple(slots)


def engine_participant(participant: Participant, *, default_time_zone: str = "UTC") -> EngineParticipant:
    """The matching engine's ``Participant`` for a stored participant (id = ``str(Participant.id)``).

    Mentors bring their capacity (a mentor with none set takes the program's default); mentees a capacity
    of 1, which the engine ignores for them. A profile without a time zone uses ``default_time_zone``
    (the person's zone from the LMS, when known). Preferences are participant ids as strings.
    """
    if participant.role in ("mentor", "both") and participant.mentor_status in ("approved", None):
        capacity = participant.capacity if participant.capacity is not None else participant.program.default_capacity
    else:
        capacity = 1
    data = ProfileData(
        goals=tuple(participant.goals or ()),
        interests=tuple(participant.interests or ()),
        expertise=tuple(participant.expertise or ()),
        about=participant.about or "",
        languages=tuple(participant.languages or ()),
        time_zone=participant.time_zone or default_time_zone,
        availability=_slots(participant.availability),
        preferences=tuple(int(p) for p in participant.preferences or ()),
    )
    return engine_participant_from(participant.id, data, capacity=capacity)
