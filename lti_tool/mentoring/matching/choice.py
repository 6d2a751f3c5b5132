"""Mentee choice mode: every mentee sees their top suggestions, ranks the ones they like, and places
are then handed out respecting capacities.

Two ways to hand out places:

* ``deferred_acceptance`` (default): mentees propose down their own picks, mentors keep the proposals
  they rank highest (their own preferences, then score). Nobody gains by misreporting their picks, and
  no order among mentees has to be justified.
* ``serial_dictatorship``: mentees in ``order`` (for example the order in which they submitted, or a
  random draw announced beforehand) each get their highest pick that still has room.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from .errors import InvalidOptionError, UnknownParticipantError
from .options import MatchOptions, Weights
from .problem import Explanation, Problem, assemble, index_of, prepare
from .profiles import Participant
from .result import Assignment
from .scoring import PairScore, score_pair
from .stable import Proposal, deferred_acceptance, mentor_priority

DEFAULT_SUGGESTIONS = 5


def suggestions(
    mentee: Participant,
    mentors: Sequence[Participant],
    weights: Weights | None = None,
    options: MatchOptions | None = None,
    *,
    n: int = DEFAULT_SUGGESTIONS,
    taken: Mapping[str, int] | None = None,
) -> list[PairScore]:
    """The mentee's ``n`` best allowed mentors that still have room (``taken``: places already used)."""
    if n < 0:
        raise InvalidOptionError(f"The number of suggestions must be 0 or more (got {n}).")
    index_of(mentors, "mentor")
    taken = taken or {}
    scored = [score_pair(mentee, m, weights, options) for m in mentors if m.capacity - taken.get(m.id, 0) > 0]
    allowed = [(k, s) for k, s in enumerate(scored) if s.feasible]
    return [s for _, s in sorted(allowed, key=lambda ks: (-ks[1].score, ks[0]))[:n]]


def suggest_all(
    mentees: Sequence[Participant],
    mentors: Sequence[Participant],
    weights: Weights | None = None,
    options: MatchOptions | None = None,
    *,
    n: int = DEFAULT_SUGGESTIONS,
) -> dict[str, list[PairScore]]:
    """``suggestions`` for every mentee who is not pinned, computed in one vectorised pass."""
    if n < 0:
        raise InvalidOptionError(f"The number of suggestions must be 0 or more (got {n}).")
    problem = prepare(mentees, mentors, weights, options)
    out: dict[str, list[PairScore]] = {problem.mentees[int(i)].id: [] for i in problem.free}
    if n == 0:
        return out
    cand = problem.model.candidates(problem.free, problem.remaining > 0, n)
    for i, j in zip(cand.rows.tolist(), cand.cols.tolist(), strict=True):
        mentee = problem.mentees[i]
        out[mentee.id].append(score_pair(mentee, problem.mentors[j], problem.weights, problem.options))
    return out


def match_by_choice(
    mentees: Sequence[Participant],
    mentors: Sequence[Participant],
    picks: Mapping[str, Sequence[str]],
    weights: Weights | None = None,
    options: MatchOptions | None = None,
    *,
    method: Literal["deferred_acceptance", "serial_dictatorship"] = "deferred_acceptance",
    order: Sequence[str] | None = None,
) -> Assignment:
    """Assign mentees from their ranked ``picks`` (mentee id -> mentor ids, best first).

    Picks of mentors who are not allowed for the mentee (excluded, no shared language, ...) or have no
    room are skipped. Mentees without picks stay unmatched (``no_picks``) for the coordinator to place.
    """
    problem = prepare(mentees, mentors, weights, options)
    ranked = _resolve_picks(problem, picks)
    lists = {i: _pick_list(problem, i, ranked.get(i, [])) for i in map(int, problem.free)}
    if method == "deferred_acceptance":
        chosen = deferred_acceptance(
            {i: iter(lst) for i, lst in lists.items()}, problem.remaining, mentor_priority(problem)
        )
    elif method == "serial_dictatorship":
        chosen = _serial_dictatorship(problem, lists, order)
    else:
        raise InvalidOptionError(f"Unknown method {method!r}: use deferred_acceptance or serial_dictatorship.")
    explanations: dict[int, Explanation] = {}
    for i in map(int, problem.free):
        if not ranked.get(i):
            explanations[i] = ("no_picks", {})
        elif not lists[i]:
            explanations[i] = ("picks_unavailable", {})
        else:
            explanations[i] = ("no_capacity_left", {})
    return assemble(problem, "mentee_choice", chosen, explanations)


def _resolve_picks(problem: Problem, picks: Mapping[str, Sequence[str]]) -> dict[int, list[int]]:
    mentee_index = {m.id: i for i, m in enumerate(problem.mentees)}
    mentor_index = {m.id: j for j, m in enumerate(problem.mentors)}
    out: dict[int, list[int]] = {}
    for mentee, chosen in picks.items():
        if mentee not in mentee_index:
            raise UnknownParticipantError(f"Picks were given for {mentee}, who is not a mentee in this run.")
        unknown = [m for m in chosen if m not in mentor_index]
        if unknown:
            raise UnknownParticipantError(f"{mentee} picked {', '.join(unknown)}, who is not a mentor in this run.")
        out[mentee_index[mentee]] = [mentor_index[m] for m in dict.fromkeys(chosen)]
    return out


def _pick_list(problem: Problem, i: int, mentors: list[int]) -> list[Proposal]:
    mentee = problem.mentees[i]
    out = []
    for j in mentors:
        scored = score_pair(mentee, problem.mentors[j], problem.weights, problem.options)
        if scored.feasible and problem.remaining[j] > 0:
            out.append((j, scored.score))
    return out


def _serial_dictatorship(
    problem: Problem, lists: dict[int, list[Proposal]], order: Sequence[str] | None
) -> dict[int, int]:
    index = {problem.mentees[i].id: i for i in lists}
    if order is None:
        sequence = sorted(lists)
    else:
        known = {m.id for m in problem.mentees}
        missing = [pid for pid in order if pid not in known]
        if missing:
            raise UnknownParticipantError(f"The order names {', '.join(missing)}, who is not a mentee in this run.")
        sequence = [index[pid] for pid in dict.fromkeys(order) if pid in index]
        listed = set(sequence)
        sequence += [i for i in sorted(lists) if i not in listed]
    room = problem.remaining.copy()
    chosen: dict[int, int] = {}
    for i in sequence:
        j = next((j for j, _ in lists[i] if room[j] > 0), None)
        if j is not None:
            chosen[i] = j
            room[j] -= 1
    return chosen
