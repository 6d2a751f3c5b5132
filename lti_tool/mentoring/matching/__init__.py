"""Matching mentees with mentors (and peers with peers): pure functions over plain data.

Start with ``match`` or one of the modes; see DESIGN.md, "Matching". Nothing here touches Flask or the
database: the web layer turns roster and profile rows into ``Participant`` objects and stores the
``Assignment`` the coordinator approves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from .choice import match_by_choice, suggest_all, suggestions
from .errors import (
    ConflictingPairsError,
    ImpossiblePinError,
    InvalidOptionError,
    InvalidProfileError,
    MatchingError,
    UnknownParticipantError,
)
from .groups import form_groups
from .incremental import match_incremental, release
from .optimal import match_greedy, match_optimal
from .options import MatchOptions, Weights
from .peer import match_peers
from .profiles import Mentee, Mentor, Participant, Slot, overlap_minutes, weekly_utc_intervals
from .reasons import REASON_TEMPLATES, UNMATCHED_TEMPLATES, ReasonPart, render, render_unmatched
from .result import Assignment, Group, GroupAssignment, GroupMember, Pair, PeerAssignment, PeerGroup, Unmatched
from .scoring import PairScore, score_pair, score_peers
from .stable import match_stable

Mode = Literal["optimal", "stable", "mentee_choice", "greedy"]


def match(
    mentees: Sequence[Participant],
    mentors: Sequence[Participant],
    mode: Mode = "optimal",
    weights: Weights | None = None,
    options: MatchOptions | None = None,
    *,
    picks: Mapping[str, Sequence[str]] | None = None,
) -> Assignment:
    """Run one matching mode; ``picks`` (mentee id -> ranked mentor ids) is for ``mentee_choice``."""
    if mode == "optimal":
        return match_optimal(mentees, mentors, weights, options)
    if mode == "stable":
        return match_stable(mentees, mentors, weights, options)
    if mode == "mentee_choice":
        return match_by_choice(mentees, mentors, picks or {}, weights, options)
    if mode == "greedy":
        return match_greedy(mentees, mentors, weights, options)
    raise InvalidOptionError(f"Unknown matching mode {mode!r}: use optimal, stable, mentee_choice or greedy.")


__all__ = [
    "REASON_TEMPLATES",
    "UNMATCHED_TEMPLATES",
    "Assignment",
    "ConflictingPairsError",
    "Group",
    "GroupAssignment",
    "GroupMember",
    "ImpossiblePinError",
    "InvalidOptionError",
    "InvalidProfileError",
    "MatchOptions",
    "MatchingError",
    "Mentee",
    "Mentor",
    "Pair",
    "PairScore",
    "Participant",
    "PeerAssignment",
    "PeerGroup",
    "ReasonPart",
    "Slot",
    "UnknownParticipantError",
    "Unmatched",
    "Weights",
    "form_groups",
    "match",
    "match_by_choice",
    "match_greedy",
    "match_incremental",
    "match_optimal",
    "match_peers",
    "match_stable",
    "overlap_minutes",
    "release",
    "render",
    "render_unmatched",
    "score_pair",
    "score_peers",
    "suggest_all",
    "suggestions",
    "weekly_utc_intervals",
]
