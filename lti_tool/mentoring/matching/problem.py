"""Validated input of a bipartite matching run, and the assembly of its result.

Every mode starts with ``prepare`` (check ids, pins and existing pairs, work out the capacity that is
left) and ends with ``assemble`` (score and explain each pair, explain who is left out).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import ConflictingPairsError, ImpossiblePinError, InvalidProfileError, UnknownParticipantError
from .matrix import ScoreModel
from .options import MatchOptions, Weights
from .profiles import Participant
from .reasons import format_hours
from .result import Assignment, Pair, Unmatched
from .scoring import score_pair

Explanation = tuple[str, dict[str, object]]


@dataclass
class Problem:
    mentees: list[Participant]
    mentors: list[Participant]
    weights: Weights
    options: MatchOptions
    fixed: list[tuple[int, int, str]]
    """``(mentee index, mentor index, source)`` of pairs that are decided before solving."""
    free: np.ndarray
    """Indices of the mentees to match."""
    remaining: np.ndarray
    """Capacity left per mentor once the fixed pairs are placed."""

    @cached_property
    def model(self) -> ScoreModel:
        return ScoreModel(self.mentees, self.mentors, self.weights, self.options)

    @cached_property
    def mentor_index(self) -> dict[str, int]:
        return {m.id: j for j, m in enumerate(self.mentors)}


def index_of(people: Sequence[Participant], role: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for k, person in enumerate(people):
        if not isinstance(person, Participant):
            raise InvalidProfileError(f"Every {role} must be a Participant (got {type(person).__name__}).")
        if person.id in index:
            raise InvalidProfileError(f"The {role} id {person.id!r} appears twice.")
        index[person.id] = k
    return index


def locate_pair(
    mentee_index: Mapping[str, int], mentor_index: Mapping[str, int], pair: tuple[str, str], what: str
) -> tuple[int, int]:
    """Indices of ``(mentee id, mentor id)``; ``what`` names the pair in the error ("Pinned pair")."""
    mentee, mentor = pair
    if mentee not in mentee_index:
        raise UnknownParticipantError(f"{what} ({mentee}, {mentor}): {mentee} is not a mentee in this run.")
    if mentor not in mentor_index:
        raise UnknownParticipantError(f"{what} ({mentee}, {mentor}): {mentor} is not a mentor in this run.")
    return mentee_index[mentee], mentor_index[mentor]


def violation_text(code: str, mentee: str, mentor: str, options: MatchOptions) -> str:
    return {
        "self": f"{mentee} cannot be their own mentor",
        "excluded": "the pair is in the excluded pairs",
        "no_shared_language": "they share no language and the program requires one",
        "no_availability_overlap": (
            f"their availability overlaps less than the program's minimum of "
            f"{format_hours(options.min_overlap_minutes)} h/week"
        ),
    }.get(code, code)


def prepare(
    mentees: Sequence[Participant],
    mentors: Sequence[Participant],
    weights: Weights | None = None,
    options: MatchOptions | None = None,
    *,
    existing: Iterable[tuple[str, str]] = (),
    to_place: Iterable[str] | None = None,
) -> Problem:
    """Check the input and place pinned and existing pairs; raise a ``MatchingError`` on bad input."""
    weights, options = weights or Weights(), options or MatchOptions()
    mentee_index, mentor_index = index_of(mentees, "mentee"), index_of(mentors, "mentor")

    def locate(pair: tuple[str, str], what: str) -> tuple[int, int]:
        return locate_pair(mentee_index, mentor_index, pair, what)

    for pair in sorted(options.excluded_pairs):
        locate(pair, "Excluded pair")
    fixed: list[tuple[int, int, str]] = []
    placed: dict[int, int] = {}
    for pair, source in [(p, "existing") for p in existing] + [(p, "pinned") for p in options.pinned_pairs]:
        i, j = locate((str(pair[0]), str(pair[1])), "Existing pair" if source == "existing" else "Pinned pair")
        if i in placed:
            raise ConflictingPairsError(
                f"{mentees[i].id} is paired with both {mentors[placed[i]].id} and {mentors[j].id}; keep one."
            )
        if source == "pinned":
            broken = score_pair(mentees[i], mentors[j], weights, options).violations
            if broken:
                why = "; ".join(violation_text(c, mentees[i].id, mentors[j].id, options) for c in broken)
                raise ImpossiblePinError(f"Cannot pin {mentees[i].id} to {mentors[j].id}: {why}.")
        placed[i] = j
        fixed.append((i, j, source))
    used = Counter(j for _, j, _ in fixed)
    pinned = Counter(j for _, j, source in fixed if source == "pinned")
    for j in sorted(pinned):
        if used[j] > mentors[j].capacity:
            raise ImpossiblePinError(
                f"{mentors[j].id} has room for {mentors[j].capacity} mentee(s) but {used[j]} are pinned or "
                "already paired with them; raise the capacity or unpin someone."
            )
    if to_place is None:
        free = [i for i in range(len(mentees)) if i not in placed]
    else:
        free = []
        for mentee in dict.fromkeys(to_place):
            if mentee not in mentee_index:
                raise UnknownParticipantError(f"{mentee} is not a mentee in this run.")
            i = mentee_index[mentee]
            if i in placed:
                raise ConflictingPairsError(
                    f"{mentee} is already paired with {mentors[placed[i]].id}; release that pair first."
                )
            free.append(i)
    capacity = np.array([m.capacity for m in mentors], dtype=np.int64)
    remaining = np.maximum(capacity - np.array([used[j] for j in range(len(mentors))], dtype=np.int64), 0)
    return Problem(list(mentees), list(mentors), weights, options, fixed, np.array(free, dtype=np.int64), remaining)


def assemble(
    problem: Problem,
    mode: str,
    chosen: Mapping[int, int],
    explanations: Mapping[int, Explanation] | None = None,
) -> Assignment:
    """Score and explain every pair; explain every free mentee left out and every mentor with nobody."""
    mentees, mentors, w, o = problem.mentees, problem.mentors, problem.weights, problem.options
    decided = [(i, j, source) for i, j, source in problem.fixed] + [(i, j, "matched") for i, j in chosen.items()]
    pairs = []
    for i, j, source in sorted(decided):
        scored = score_pair(mentees[i], mentors[j], w, o)
        pairs.append(Pair(mentees[i].id, mentors[j].id, scored.score, scored.parts, source))
    left = np.array([i for i in problem.free if int(i) not in chosen], dtype=np.int64)
    explained = dict(explanations or {})
    todo = np.array([i for i in left if int(i) not in explained], dtype=np.int64)
    if len(todo):
        explained.update(problem.model.explain_unmatched(todo))
    unmatched = [Unmatched(mentees[i].id, "mentee", *explained[int(i)]) for i in left]
    unmatched += _idle_mentors(problem, {j for _, j, _ in decided})
    return Assignment(mode, tuple(pairs), tuple(unmatched))


def _idle_mentors(problem: Problem, busy: set[int]) -> list[Unmatched]:
    idle = [j for j in range(len(problem.mentors)) if j not in busy]
    if not idle:
        return []
    open_idle = [j for j in idle if problem.mentors[j].capacity > 0]
    compatible = np.zeros(len(open_idle), dtype=bool)
    if open_idle and len(problem.free):
        model = ScoreModel(
            [problem.mentees[i] for i in problem.free],
            [problem.mentors[j] for j in open_idle],
            problem.weights,
            problem.options,
        )
        for blk in model.blocks(np.arange(len(problem.free))):
            compatible |= blk.feasible.any(axis=0)
    codes = dict(zip(open_idle, ("not_needed" if c else "no_compatible_mentee" for c in compatible), strict=True))
    return [Unmatched(problem.mentors[j].id, "mentor", codes.get(j, "capacity_zero")) for j in idle]
