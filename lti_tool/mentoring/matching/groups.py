"""Group mentoring: one or two mentors with a group of mentees.

The mentee-to-mentor assignment is the optimal mode's; groups are then cut from it. A mentor's
``capacity`` is the number of mentees they take in total, so a mentor with capacity 8 and
``group_size=4`` leads two groups of four. A mentor's mentees are split into groups of as equal size as
possible, each mentee joining the group whose members they fit best as peers.

With ``mentors_per_group=2`` mentors first pair up into co-mentor teams (maximum weight matching on
their mutual compatibility, requiring the program's language and overlap rules between them). A team
acts as one mentor: the union of their expertise, interests and languages, the time when both are
available, and the smaller of their capacities. Exclusions and pins naming either mentor apply to the
team. A mentor left without a co-mentor takes no group (``no_co_mentor``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .errors import ImpossiblePinError, InvalidOptionError
from .matrix import ScoreModel
from .optimal import solve_optimal
from .options import MatchOptions, Weights
from .peer import DEFAULT_NEIGHBOURS, max_weight_pairs
from .problem import assemble, index_of, locate_pair, prepare
from .profiles import Participant, intersect, utc_slots, weekly_utc_intervals
from .result import Group, GroupAssignment, GroupMember, Unmatched
from .scoring import score_peers


def form_groups(
    mentees: Sequence[Participant],
    mentors: Sequence[Participant],
    weights: Weights | None = None,
    options: MatchOptions | None = None,
    *,
    group_size: int,
    mentors_per_group: int = 1,
) -> GroupAssignment:
    """Groups of at most ``group_size`` mentees, each with ``mentors_per_group`` (1 or 2) mentors."""
    weights, options = weights or Weights(), options or MatchOptions()
    if not isinstance(group_size, int) or group_size < 1:
        raise InvalidOptionError(f"group_size must be 1 or more (got {group_size!r}).")
    if mentors_per_group not in (1, 2):
        raise InvalidOptionError(f"A group has 1 or 2 mentors (got {mentors_per_group!r}).")
    mentee_index, mentor_index = index_of(mentees, "mentee"), index_of(mentors, "mentor")
    for pair in [*sorted(options.excluded_pairs), *options.pinned_pairs]:
        locate_pair(mentee_index, mentor_index, pair, "Pair")
    teams: dict[str, tuple[str, ...]] = {m.id: (m.id,) for m in mentors}
    leaders, team_options = list(mentors), options
    idle: list[tuple[str, str]] = []
    if mentors_per_group == 2:
        teams, leaders, idle = _form_teams(mentors, weights, options)
        team_options = _team_options(options, teams, mentee_index)
    problem = prepare(mentees, leaders, weights, team_options)
    assignment = assemble(problem, "group", solve_optimal(problem))
    by_id = {m.id: m for m in mentees}
    groups = []
    for leader in leaders:
        members = [GroupMember(p.mentee_id, p.score, p.parts) for p in assignment.pairs if p.mentor_id == leader.id]
        for chunk in _split(members, by_id, group_size, weights, options):
            groups.append(Group(teams[leader.id], tuple(chunk)))
    unmatched = [u for u in assignment.unmatched if u.role == "mentee"]
    for u in assignment.unmatched:
        if u.role == "mentor":
            unmatched += [replace(u, person_id=pid) for pid in teams[u.person_id]]
    unmatched += [Unmatched(pid, "mentor", code) for pid, code in idle]
    return GroupAssignment(tuple(groups), tuple(unmatched))


def _form_teams(
    mentors: Sequence[Participant], weights: Weights, options: MatchOptions
) -> tuple[dict[str, tuple[str, ...]], list[Participant], list[tuple[str, str]]]:
    """Pair mentors into co-mentor teams; return teams by lead id, the team profiles and idle mentors."""
    rules = replace(options, excluded_pairs=frozenset(), pinned_pairs=())
    model = ScoreModel(mentors, mentors, weights, rules, symmetric=True)
    available = np.array([j for j, m in enumerate(mentors) if m.capacity > 0], dtype=np.int64)
    pairs = max_weight_pairs(model, available, DEFAULT_NEIGHBOURS, coverage=True)
    teams: dict[str, tuple[str, ...]] = {}
    profiles = []
    for a, b in pairs:
        lead, co = mentors[a], mentors[b]
        teams[lead.id] = (lead.id, co.id)
        both = intersect(weekly_utc_intervals(lead, options.week_of), weekly_utc_intervals(co, options.week_of))
        profiles.append(
            Participant(
                lead.id,
                goals=lead.goals | co.goals,
                interests=lead.interests | co.interests,
                expertise=lead.expertise | co.expertise,
                languages=lead.languages | co.languages,
                time_zone="UTC",
                availability=utc_slots(both),
                capacity=min(lead.capacity, co.capacity),
                preferences=(*lead.preferences, *co.preferences),
            )
        )
    in_team = {p for pair in pairs for p in pair}
    idle = [
        (m.id, "capacity_zero" if m.capacity == 0 else "no_co_mentor")
        for j, m in enumerate(mentors)
        if j not in in_team
    ]
    return teams, profiles, idle


def _team_options(
    options: MatchOptions, teams: dict[str, tuple[str, ...]], mentee_index: dict[str, int]
) -> MatchOptions:
    lead_of = {pid: lead for lead, team in teams.items() for pid in team}
    excluded = {(e, lead_of[m]) for e, m in options.excluded_pairs if m in lead_of}
    excluded |= {(pid, lead) for lead, team in teams.items() for pid in team if pid in mentee_index}
    pinned = []
    for e, m in options.pinned_pairs:
        if m not in lead_of:
            raise ImpossiblePinError(f"Cannot pin {e} to {m}: {m} has no co-mentor, so leads no group.")
        pinned.append((e, lead_of[m]))
    return replace(options, excluded_pairs=frozenset(excluded), pinned_pairs=tuple(pinned))


def _split(
    members: list[GroupMember], people: dict[str, Participant], size: int, weights: Weights, options: MatchOptions
) -> list[list[GroupMember]]:
    """Balanced groups of at most ``size``; each member joins the open group they fit best as a peer."""
    if not members:
        return []
    count = math.ceil(len(members) / size)
    limits = [len(members) // count + (1 if k < len(members) % count else 0) for k in range(count)]
    groups: list[list[GroupMember]] = [[] for _ in range(count)]
    for member in sorted(members, key=lambda m: (-m.score, m.mentee_id)):
        person = people[member.mentee_id]

        def fit(k: int, person: Participant = person) -> tuple[float, int, int]:
            together = sum(score_peers(person, people[m.mentee_id], weights, options).score for m in groups[k])
            return (together, -len(groups[k]), -k)

        best = max((k for k in range(count) if len(groups[k]) < limits[k]), key=fit)
        groups[best].append(member)
    return groups
