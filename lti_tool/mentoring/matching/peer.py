"""Peer co-mentoring: learners mentor each other in pairs or triads (a non-bipartite matching).

Pairs come from ``networkx.max_weight_matching`` (Edmonds' blossom algorithm, exact) on a graph that
keeps, for every learner, the ``neighbours`` best allowed partners by ``score_peers``; with
``prioritise_coverage`` it matches as many learners as possible first. Its pure-Python cost grows fast
with the number of edges: about 0.3 s for 200 learners and 2 s for 500 with the default 8 neighbours.

Triads are formed by attaching people to pairs, never more than one per pair and only when both members
are allowed partners for them. Leftovers (an odd one out, someone whose partners were all taken) join
the pairs they fit best (an optimal assignment by summed score with both members); those who fit no pair
are paired among themselves once more. With ``group_size=3`` the weakest pairs are then dissolved, one by
one, into two other pairs each, until there are ``ceil(n / 3)`` groups; a pair whose members cannot both
move stays a pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import networkx as nx
import numpy as np
from scipy.optimize import linear_sum_assignment

from .errors import ConflictingPairsError, ImpossiblePinError, InvalidOptionError, UnknownParticipantError
from .matrix import ScoreModel
from .options import MatchOptions, Weights
from .problem import index_of, violation_text
from .profiles import Participant
from .result import Pair, PeerAssignment, PeerGroup, Unmatched
from .scoring import PairScore, score_peers

DEFAULT_NEIGHBOURS = 8
Members = tuple[int, ...]


def match_peers(
    people: Sequence[Participant],
    weights: Weights | None = None,
    options: MatchOptions | None = None,
    *,
    group_size: int = 2,
    neighbours: int = DEFAULT_NEIGHBOURS,
) -> PeerAssignment:
    """Groups of two (or three, see the module docstring) learners with the highest total compatibility.

    Pinned pairs of ``options`` are always kept together; excluded pairs never end up in one group.
    """
    weights, options = weights or Weights(), options or MatchOptions()
    if group_size not in (2, 3):
        raise InvalidOptionError(f"Peer groups have 2 or 3 members (got {group_size}).")
    if neighbours < 1:
        raise InvalidOptionError(f"neighbours must be 1 or more (got {neighbours}).")
    index = index_of(people, "learner")
    pinned = _pinned(people, index, weights, options)
    pinned_people = {p for pair in pinned for p in pair}
    free = np.array([i for i in range(len(people)) if i not in pinned_people], dtype=np.int64)
    model = ScoreModel(people, people, weights, options, symmetric=True)
    pairs = pinned + max_weight_pairs(model, free, neighbours, options.prioritise_coverage)
    paired = {p for pair in pairs for p in pair}
    groups, left = _attach(model, pairs, [i for i in range(len(people)) if i not in paired], neighbours)
    if group_size == 3:
        grouped = sum(len(g) for g in groups)
        groups = _to_triads(model, groups, set(pinned), math.ceil(grouped / 3))
    codes = _unmatched_codes(model, left)
    scored: dict[tuple[int, int], PairScore] = {}
    out_groups = []
    for members in groups:
        links = []
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                key = (min(a, b), max(a, b))
                scored.setdefault(key, score_peers(people[key[0]], people[key[1]], weights, options))
                links.append(_link(scored[key]))
        out_groups.append(PeerGroup(tuple(people[m].id for m in members), tuple(links)))
    unmatched = tuple(Unmatched(people[i].id, "peer", codes[i]) for i in left)
    return PeerAssignment(tuple(out_groups), unmatched)


def _unmatched_codes(model: ScoreModel, left: list[int]) -> dict[int, str]:
    codes = {}
    for blk in model.blocks(np.array(left, dtype=np.int64)):
        allowed = np.asarray(blk.feasible.any(axis=1))
        for i, ok in zip(blk.rows.tolist(), allowed.tolist(), strict=True):
            codes[i] = "no_group_left" if ok else "no_compatible_peer"
    return codes


def _link(s: PairScore) -> Pair:
    return Pair(s.mentee_id, s.mentor_id, s.score, s.parts, "matched")


def _pinned(
    people: Sequence[Participant], index: dict[str, int], weights: Weights, options: MatchOptions
) -> list[Members]:
    for a, b in sorted(options.excluded_pairs):
        for pid in (a, b):
            if pid not in index:
                raise UnknownParticipantError(f"Excluded pair ({a}, {b}): {pid} is not a learner in this run.")
    pairs: list[Members] = []
    seen: dict[int, str] = {}
    for a, b in options.pinned_pairs:
        for pid in (a, b):
            if pid not in index:
                raise UnknownParticipantError(f"Pinned pair ({a}, {b}): {pid} is not a learner in this run.")
        i, j = index[a], index[b]
        for k, other in ((i, b), (j, a)):
            if k in seen:
                raise ConflictingPairsError(f"{people[k].id} is pinned to both {seen[k]} and {other}; keep one.")
            seen[k] = other
        broken = score_peers(people[i], people[j], weights, options).violations
        if broken:
            why = "; ".join(violation_text(code, a, b, options) for code in broken)
            raise ImpossiblePinError(f"Cannot pin {a} with {b}: {why}.")
        pairs.append((min(i, j), max(i, j)))
    return pairs


def max_weight_pairs(model: ScoreModel, free: np.ndarray, k: int, coverage: bool) -> list[Members]:
    if len(free) < 2:
        return []
    open_cols = np.zeros(model.n_cols, dtype=bool)
    open_cols[free] = True
    cand = model.candidates(free, open_cols, k)
    graph = nx.Graph()
    # integer weights keep the blossom algorithm exact; +1 so that a zero score is still worth a pair
    for i, j, s in zip(cand.rows.tolist(), cand.cols.tolist(), cand.scores.tolist(), strict=True):
        graph.add_edge(min(i, j), max(i, j), weight=round(s * 1000) + 1)
    matching = nx.max_weight_matching(graph, maxcardinality=coverage)
    return sorted((min(a, b), max(a, b)) for a, b in matching)


def _attach(model: ScoreModel, pairs: list[Members], people: list[int], k: int) -> tuple[list[Members], list[int]]:
    """Attach ``people`` to distinct pairs (at most one each); pair up those who fit no pair."""
    if not people:
        return pairs, []
    hosts = [p for p in pairs if len(p) == 2]
    fit = _fit(model, people, hosts)
    finite = np.isfinite(fit)
    if finite.any():
        if model.options.prioritise_coverage:
            fit[finite] += float(np.abs(fit[finite]).max()) * len(people) + 1.0
        stay = np.zeros((len(people), len(people)))  # "not attached" columns
        rows, cols = linear_sum_assignment(np.hstack([fit, stay]), maximize=True)
        joined = {hosts[c]: people[r] for r, c in zip(rows.tolist(), cols.tolist(), strict=True) if c < len(hosts)}
    else:
        joined = {}
    groups = [tuple(sorted((*p, joined[p]))) if p in joined else p for p in pairs]
    rest = np.array(sorted(set(people) - set(joined.values())), dtype=np.int64)
    again = max_weight_pairs(model, rest, k, model.options.prioritise_coverage)
    paired = {x for pair in again for x in pair}
    return groups + again, [int(i) for i in rest if int(i) not in paired]


def _to_triads(model: ScoreModel, groups: list[Members], pinned: set[Members], target: int) -> list[Members]:
    """Dissolve the weakest pairs into triads until there are ``target`` groups.

    A pair is dissolved only when both its members can join two other pairs they are allowed with.
    """
    groups = list(groups)
    pairs = [g for g in groups if len(g) == 2 and g not in pinned]
    scores = dict(zip(pairs, _pair_scores(model, pairs), strict=True)) if pairs else {}
    for pair in sorted(pairs, key=lambda p: (scores[p], p)):
        if len(groups) <= target:
            break
        if pair not in groups:  # it became a triad already
            continue
        hosts = [g for g in groups if len(g) == 2 and g != pair]
        fit = _fit(model, list(pair), hosts)
        if len(hosts) < 2 or not np.isfinite(fit).any(axis=1).all():
            continue
        rows, cols = linear_sum_assignment(np.where(np.isfinite(fit), fit, -1e18), maximize=True)
        if len(rows) < 2 or not np.isfinite(fit[rows, cols]).all():
            continue
        groups.remove(pair)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            groups[groups.index(hosts[c])] = tuple(sorted((*hosts[c], pair[r])))
    return groups


def _fit(model: ScoreModel, people: list[int], hosts: Sequence[Members]) -> np.ndarray:
    """Summed score of each person with both members of each host pair; -inf where not allowed."""
    fit = np.full((len(people), len(hosts)), -np.inf)
    if not hosts:
        return fit
    firsts = np.array([h[0] for h in hosts], dtype=np.int64)
    seconds = np.array([h[1] for h in hosts], dtype=np.int64)
    offset = 0
    for blk in model.blocks(np.array(people, dtype=np.int64)):
        both = blk.feasible[:, firsts] & blk.feasible[:, seconds]
        fit[offset : offset + len(blk.rows)] = np.where(both, blk.scores[:, firsts] + blk.scores[:, seconds], -np.inf)
        offset += len(blk.rows)
    return fit


def _pair_scores(model: ScoreModel, pairs: Sequence[Members]) -> list[float]:
    firsts = np.array([p[0] for p in pairs], dtype=np.int64)
    seconds = np.array([p[1] for p in pairs], dtype=np.int64)
    out: list[float] = []
    for start in range(0, len(pairs), 1024):
        blk = model.block(firsts[start : start + 1024])
        out += blk.scores[np.arange(len(blk.rows)), seconds[start : start + 1024]].tolist()
    return out
