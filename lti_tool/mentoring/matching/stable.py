"""Stable mode: mentee-proposing deferred acceptance (Gale-Shapley) with mentor capacities.

The result has no blocking pair: no mentee and mentor who are allowed together and would both rather be
together than with what they got (a mentor with a free place prefers any allowed mentee to nobody).
Mentee-proposing makes it the best stable assignment for every mentee, and no mentee gains by lying
about their ranking.

Rankings. A mentee ranks the mentors they listed (in their order) and then every other allowed mentor by
score. A mentor ranks the mentees they listed first and everybody else by score. Ties go to the earlier
person in the input. Pinned mentees do not take part and their places are not up for grabs.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np

from .matrix import Candidates
from .options import MatchOptions, Weights
from .problem import Problem, assemble, prepare
from .profiles import Participant
from .result import Assignment
from .scoring import score_pair

PROPOSAL_CANDIDATES = 40
Proposal = tuple[int, float]
"""(mentor index, score of the pair)."""
Priority = tuple[int, float, int]


def match_stable(
    mentees: Sequence[Participant],
    mentors: Sequence[Participant],
    weights: Weights | None = None,
    options: MatchOptions | None = None,
) -> Assignment:
    """A stable assignment (see the module docstring) that is best for mentees among stable ones."""
    problem = prepare(mentees, mentors, weights, options)
    return assemble(problem, "stable", solve_stable(problem))


def solve_stable(problem: Problem) -> dict[int, int]:
    lists = {int(i): proposal_order(problem, int(i), chunk) for i, chunk in _first_chunks(problem).items()}
    return deferred_acceptance(lists, problem.remaining, mentor_priority(problem))


def mentor_priority(problem: Problem) -> Callable[[int, int, float], Priority]:
    """How mentor ``j`` ranks mentee ``i``; larger is better."""
    ranks = [{pid: r for r, pid in enumerate(m.preferences)} for m in problem.mentors]
    ids = [m.id for m in problem.mentees]

    def priority(i: int, j: int, score: float) -> Priority:
        return (-ranks[j].get(ids[i], len(ranks[j])), score, -i)

    return priority


def deferred_acceptance(
    lists: Mapping[int, Iterator[Proposal]],
    capacity: np.ndarray,
    priority: Callable[[int, int, float], Priority],
) -> dict[int, int]:
    """Mentees propose down their lists; each mentor holds the best ``capacity[j]`` proposals so far."""
    held: list[list[tuple[Priority, int]]] = [[] for _ in range(len(capacity))]
    result: dict[int, int] = {}
    free = list(reversed(list(lists)))
    while free:
        i = free.pop()
        for j, score in lists[i]:
            if capacity[j] <= 0:
                continue
            entry = (priority(i, j, score), i)
            if len(held[j]) < capacity[j]:
                heapq.heappush(held[j], entry)
            elif entry > held[j][0]:
                _, loser = heapq.heapreplace(held[j], entry)
                del result[loser]
                free.append(loser)
            else:
                continue
            result[i] = j
            break
    return result


def _first_chunks(problem: Problem) -> dict[int, tuple[list[Proposal], bool]]:
    """Each free mentee's best mentors by score, and whether that is all of their allowed mentors."""
    cand: Candidates = problem.model.candidates(problem.free, problem.remaining > 0, PROPOSAL_CANDIDATES)
    chunks: dict[int, tuple[list[Proposal], bool]] = {int(i): ([], True) for i in problem.free}
    for i, j, s in zip(cand.rows.tolist(), cand.cols.tolist(), cand.scores.tolist(), strict=True):
        chunks[i][0].append((j, s))
    limit = min(PROPOSAL_CANDIDATES, len(problem.mentors))
    return {i: (chunk, len(chunk) < limit) for i, (chunk, _) in chunks.items()}


def proposal_order(problem: Problem, i: int, chunk: tuple[list[Proposal], bool]) -> Iterator[Proposal]:
    """Mentee ``i``'s listed mentors, then the others by score; computes the full row only if needed."""
    mentee, seen = problem.mentees[i], set()
    for pid in mentee.preferences:
        j = problem.mentor_index.get(pid)
        if j is None or problem.remaining[j] <= 0:
            continue
        scored = score_pair(mentee, problem.mentors[j], problem.weights, problem.options)
        if scored.feasible:
            seen.add(j)
            yield j, scored.score
    first, complete = chunk
    for j, s in first:
        if j not in seen:
            seen.add(j)
            yield j, s
    if complete:
        return
    blk = problem.model.block(np.array([i]))
    scores, allowed = blk.scores[0], blk.feasible[0] & (problem.remaining > 0)
    for j in np.lexsort((np.arange(len(scores)), -scores)).tolist():
        if allowed[j] and j not in seen:
            yield j, float(scores[j])


def ranked_ids(problem: Problem, i: int) -> list[str]:
    """Mentee ``i``'s full ranking of mentors as ids (for review screens and tests)."""
    chunk: tuple[list[Proposal], bool] = ([], False)
    return [problem.mentors[j].id for j, _ in proposal_order(problem, i, chunk)]
