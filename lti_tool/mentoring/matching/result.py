"""What a matching run hands back to the coordinator for review."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .reasons import ReasonPart, render, render_unmatched


@dataclass(frozen=True)
class Pair:
    mentee_id: str
    mentor_id: str
    score: float
    parts: tuple[ReasonPart, ...]
    source: str = "matched"
    """``matched`` by this run, ``pinned`` by the coordinator, or ``existing`` (kept from an earlier run)."""

    @property
    def reason(self) -> str:
        return render(self.parts)


@dataclass(frozen=True)
class Unmatched:
    person_id: str
    role: str
    """``mentee``, ``mentor`` or ``peer``."""
    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return render_unmatched(self.code, self.params)


@dataclass(frozen=True)
class Assignment:
    mode: str
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...] = ()

    @property
    def total_score(self) -> float:
        return float(sum(p.score for p in self.pairs))

    def mentor_of(self, mentee_id: str) -> str | None:
        return next((p.mentor_id for p in self.pairs if p.mentee_id == mentee_id), None)

    def mentees_of(self, mentor_id: str) -> list[str]:
        return [p.mentee_id for p in self.pairs if p.mentor_id == mentor_id]

    def unmatched_codes(self, role: str = "mentee") -> dict[str, str]:
        return {u.person_id: u.code for u in self.unmatched if u.role == role}


@dataclass(frozen=True)
class GroupMember:
    mentee_id: str
    score: float
    parts: tuple[ReasonPart, ...]

    @property
    def reason(self) -> str:
        return render(self.parts)


@dataclass(frozen=True)
class Group:
    """One or two mentors with their group of mentees; each member's score is with the mentor team."""

    mentor_ids: tuple[str, ...]
    members: tuple[GroupMember, ...]

    @property
    def mentee_ids(self) -> tuple[str, ...]:
        return tuple(m.mentee_id for m in self.members)

    @property
    def score(self) -> float:
        return float(sum(m.score for m in self.members))


@dataclass(frozen=True)
class GroupAssignment:
    groups: tuple[Group, ...]
    unmatched: tuple[Unmatched, ...] = ()

    @property
    def total_score(self) -> float:
        return float(sum(g.score for g in self.groups))


@dataclass(frozen=True)
class PeerGroup:
    """Two or three learners who mentor each other; ``links`` are the scored pairs inside the group."""

    member_ids: tuple[str, ...]
    links: tuple[Pair, ...]

    @property
    def score(self) -> float:
        return float(sum(p.score for p in self.links))


@dataclass(frozen=True)
class PeerAssignment:
    groups: tuple[PeerGroup, ...]
    unmatched: tuple[Unmatched, ...] = ()

    @property
    def total_score(self) -> float:
        return float(sum(g.score for g in self.groups))
