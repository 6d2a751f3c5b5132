"""Properties of the matching engine on random small programs (hypothesis).

Every mode respects capacities and hard rules, the stable mode has no blocking pair, the optimal mode
equals a brute-force optimum, the score matrix equals ``score_pair``, and incremental matching never
moves an existing pair.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lti_tool.mentoring.matching import (
    Assignment,
    MatchOptions,
    Participant,
    Weights,
    form_groups,
    match_by_choice,
    match_greedy,
    match_incremental,
    match_optimal,
    match_peers,
    match_stable,
    score_pair,
    score_peers,
)
from lti_tool.mentoring.matching.matrix import ScoreModel, _top

FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TAGS = ["writing", "python", "statistics", "careers"]
ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Asia/Kathmandu", "Australia/Sydney"]


@st.composite
def slots(draw):
    day = draw(st.integers(0, 6))
    start = draw(st.integers(0, 46)) * 30
    end = min(1440, start + draw(st.integers(1, 8)) * 30)
    return (day, start, end)


@st.composite
def people(draw, prefix: str, count: int, other_ids: list[str], mentor: bool) -> list[Participant]:
    out = []
    for k in range(count):
        out.append(
            Participant(
                f"{prefix}{k}",
                goals=draw(st.frozensets(st.sampled_from(TAGS), max_size=2)),
                interests=draw(st.frozensets(st.sampled_from(TAGS), max_size=2)),
                expertise=draw(st.frozensets(st.sampled_from(TAGS), max_size=3)) if mentor else frozenset(),
                languages=draw(st.frozensets(st.sampled_from(["en", "es"]), max_size=2)),
                time_zone=draw(st.sampled_from(ZONES)),
                availability=draw(st.lists(slots(), max_size=2)),
                capacity=draw(st.integers(0, 3)) if mentor else 1,
                preferences=draw(st.lists(st.sampled_from([*other_ids, "gone"]), max_size=3)) if other_ids else (),
            )
        )
    return out


@dataclass
class Program:
    mentees: list[Participant]
    mentors: list[Participant]
    options: MatchOptions


@st.composite
def programs(draw, max_mentees: int = 6, max_mentors: int = 4, pins: bool = True) -> Program:
    n, m = draw(st.integers(0, max_mentees)), draw(st.integers(0, max_mentors))
    mentee_ids, mentor_ids = [f"e{k}" for k in range(n)], [f"m{k}" for k in range(m)]
    mentees = draw(people("e", n, mentor_ids, mentor=False))
    mentors = draw(people("m", m, mentee_ids, mentor=True))
    if draw(st.booleans()) and n and m:  # someone who is both mentee and mentor
        mentors[0] = Participant(mentees[0].id, expertise=mentors[0].expertise, capacity=mentors[0].capacity)
    all_pairs = [(e.id, x.id) for e in mentees for x in mentors]
    excluded = draw(st.frozensets(st.sampled_from(all_pairs), max_size=3)) if all_pairs else frozenset()
    options = MatchOptions(
        require_shared_language=draw(st.booleans()),
        min_overlap_hours=draw(st.sampled_from([0, 0, 0.5, 1])),
        excluded_pairs=excluded,
        prioritise_coverage=draw(st.booleans()),
    )
    if pins and all_pairs:
        wanted = draw(st.lists(st.sampled_from(all_pairs), max_size=2))
        options = replace(options, pinned_pairs=possible_pins(mentees, mentors, options, wanted))
    return Program(mentees, mentors, options)


def possible_pins(mentees, mentors, options, wanted) -> list[tuple[str, str]]:
    """The wanted pins that break no rule and fit in capacity."""
    by_id = {p.id: p for p in mentees} | {f"mentor:{p.id}": p for p in mentors}
    used, pinned, out = Counter(), set(), []
    for e, x in wanted:
        mentor = by_id[f"mentor:{x}"]
        if e in pinned or used[x] >= mentor.capacity:
            continue
        if score_pair(by_id[e], mentor, options=options).feasible:
            used[x] += 1
            pinned.add(e)
            out.append((e, x))
    return out


# -- checks shared by all modes ------------------------------------------------------------------


def check_assignment(program: Program, result: Assignment, placed: set[str] | None = None) -> None:
    """Capacities, hard rules and pins hold; every mentee to place is paired or explained exactly once."""
    mentees = {p.id: p for p in program.mentees}
    mentors = {p.id: p for p in program.mentors}
    load = Counter(p.mentor_id for p in result.pairs)
    assert all(load[x] <= mentors[x].capacity for x in load)
    assert len({p.mentee_id for p in result.pairs}) == len(result.pairs)
    for pair in result.pairs:
        scored = score_pair(mentees[pair.mentee_id], mentors[pair.mentor_id], options=program.options)
        if pair.source != "existing":
            assert scored.feasible, (pair, scored.violations)
        assert abs(pair.score - scored.score) < 1e-9
    assert set(program.options.pinned_pairs) <= {(p.mentee_id, p.mentor_id) for p in result.pairs}
    placed = set(mentees) if placed is None else placed
    matched = {p.mentee_id for p in result.pairs}
    unmatched = [u.person_id for u in result.unmatched if u.role == "mentee"]
    assert len(unmatched) == len(set(unmatched))
    assert (matched | set(unmatched)) >= placed and not (matched & set(unmatched))
    for u in result.unmatched:
        assert u.reason  # every code has an English sentence


@FAST
@given(programs())
def test_every_mode_respects_capacities_and_hard_rules(program):
    """Optimal (dense and sparse), stable, greedy and mentee choice all respect capacities and rules."""
    args = (program.mentees, program.mentors, None, program.options)
    for result in (
        match_optimal(*args, method="dense"),
        match_optimal(*args, method="sparse", candidates=2),
        match_stable(*args),
        match_greedy(*args),
    ):
        check_assignment(program, result)
    mentor_ids = {m.id for m in program.mentors}
    picks = {p.id: [x for x in p.preferences if x in mentor_ids] for p in program.mentees}
    for method in ("deferred_acceptance", "serial_dictatorship"):
        check_assignment(program, match_by_choice(*args[:2], picks, None, program.options, method=method))


# -- optimal equals brute force -------------------------------------------------------------------


def brute_force(program: Program) -> tuple[int, float]:
    """Best (matched count, total score) by enumerating every assignment of the free mentees."""
    pinned = dict(program.options.pinned_pairs)
    free = [e for e in program.mentees if e.id not in pinned]
    room = Counter({m.id: m.capacity for m in program.mentors})
    room.subtract(pinned.values())
    mentors = {m.id: m for m in program.mentors}
    base = sum(
        score_pair(e, mentors[pinned[e.id]], options=program.options).score for e in program.mentees if e.id in pinned
    )
    choices = []
    for e in free:
        scored = [score_pair(e, m, options=program.options) for m in program.mentors]
        choices.append([None] + [(s.mentor_id, s.score) for s in scored if s.feasible])
    best: tuple[int, float] = (-1, -1.0)
    for choice in itertools.product(*choices):
        used = Counter(c[0] for c in choice if c)
        if any(used[x] > room[x] for x in used):
            continue
        count, total = sum(1 for c in choice if c), sum(c[1] for c in choice if c)
        key = (count, total) if program.options.prioritise_coverage else (0, total)
        if key[0] > best[0] or (key[0] == best[0] and key[1] > best[1] + 1e-9):
            best = key
    return best[0], best[1] + base


@SLOW
@given(programs(max_mentees=5, max_mentors=3))
def test_optimal_equals_brute_force(program):
    """Dense and sparse (with every candidate) optimal modes reach the brute-force optimum."""
    count, total = brute_force(program)
    n_pinned = len(program.options.pinned_pairs)
    for method in ("dense", "sparse"):
        result = match_optimal(program.mentees, program.mentors, None, program.options, method=method, candidates=10)
        assert abs(result.total_score - total) < 1e-6, method
        if program.options.prioritise_coverage:
            assert len(result.pairs) - n_pinned == count


# -- stable: no blocking pair ---------------------------------------------------------------------


@FAST
@given(programs(max_mentees=7, max_mentors=4))
def test_stable_mode_has_no_blocking_pair(program):
    """No free mentee and mentor with room (or a worse mentee) would both rather be together."""
    result = match_stable(program.mentees, program.mentors, None, program.options)
    check_assignment(program, result)
    assert_no_blocking_pair(program, result)


def test_stable_mode_beyond_the_first_proposal_chunk():
    """Mentees who exhaust their first 40 proposals continue down their full ranking, still stable."""
    rng = random.Random(5)
    topics = [f"t{k}" for k in range(6)]
    mentees = [
        Participant(f"e{k}", goals=set(rng.sample(topics, 2)), preferences=[f"m{rng.randrange(45)}"]) for k in range(60)
    ]
    mentors = [
        Participant(f"m{k}", expertise=set(rng.sample(topics, 3)), preferences=[f"e{rng.randrange(60)}"])
        for k in range(45)
    ]
    program = Program(mentees, mentors, MatchOptions())
    result = match_stable(mentees, mentors)
    assert len(result.pairs) == 45
    check_assignment(program, result)
    assert_no_blocking_pair(program, result)


def assert_no_blocking_pair(program: Program, result: Assignment) -> None:
    pinned = dict(program.options.pinned_pairs)
    current = {p.mentee_id: p.mentor_id for p in result.pairs if p.source == "matched"}
    held = {m.id: [e for e, x in current.items() if x == m.id] for m in program.mentors}
    room = {m.id: m.capacity - sum(1 for x in pinned.values() if x == m.id) for m in program.mentors}
    mentor_pos = {m.id: k for k, m in enumerate(program.mentors)}
    mentee_pos = {e.id: k for k, e in enumerate(program.mentees)}
    scores = {(e.id, m.id): score_pair(e, m, options=program.options) for e in program.mentees for m in program.mentors}

    def mentee_key(e: Participant, x: str):
        listed = [p for p in e.preferences if p in mentor_pos]
        return (0, listed.index(x), 0) if x in listed else (1, -scores[e.id, x].score, mentor_pos[x])

    def mentor_key(m: Participant, e: str):
        listed = [p for p in m.preferences if p in mentee_pos]
        rank = listed.index(e) if e in listed else len(listed)
        return (rank, -scores[e, m.id].score, mentee_pos[e])

    for e in program.mentees:
        if e.id in pinned:
            continue
        for m in program.mentors:
            if not scores[e.id, m.id].feasible or room[m.id] <= 0 or current.get(e.id) == m.id:
                continue
            mentee_wants = e.id not in current or mentee_key(e, m.id) < mentee_key(e, current[e.id])
            mentor_wants = len(held[m.id]) < room[m.id] or any(
                mentor_key(m, e.id) < mentor_key(m, other) for other in held[m.id]
            )
            assert not (mentee_wants and mentor_wants), f"blocking pair {e.id}-{m.id}"


# -- incremental ----------------------------------------------------------------------------------


@FAST
@given(programs(pins=False), st.data())
def test_incremental_keeps_existing_pairs_untouched(program, data):
    """Existing pairs come back unchanged; newcomers use only the remaining capacity."""
    first = match_optimal(program.mentees, program.mentors, None, program.options)
    pairs = [(p.mentee_id, p.mentor_id) for p in first.pairs]
    existing = data.draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    kept = {e for e, _ in existing}
    newcomers = [e.id for e in program.mentees if e.id not in kept]
    mode = data.draw(st.sampled_from(["optimal", "stable"]))
    result = match_incremental(program.mentees, program.mentors, existing, newcomers, None, program.options, mode=mode)
    assert {(p.mentee_id, p.mentor_id) for p in result.pairs if p.source == "existing"} == set(existing)
    assert all(p.source == "matched" for p in result.pairs if p.mentee_id in newcomers)
    check_assignment(program, result, placed=set(newcomers))


# -- the score matrix is score_pair ---------------------------------------------------------------


@FAST
@given(programs(pins=False), st.booleans())
def test_score_model_equals_score_pair(program, symmetric):
    """Every entry of the vectorised score matrix equals score_pair (or score_peers), rules included."""
    rows = program.mentees
    cols = program.mentees if symmetric else program.mentors
    if not rows or not cols:
        return
    weights = Weights(overlap_cap_hours=3, choice_depth=2)
    block = ScoreModel(rows, cols, weights, program.options, symmetric=symmetric).block(np.arange(len(rows)))
    for i, a in enumerate(rows):
        for j, b in enumerate(cols):
            scored = (score_peers if symmetric else score_pair)(a, b, weights, program.options)
            assert abs(block.scores[i, j] - scored.score) < 1e-9
            assert block.feasible[i, j] == scored.feasible


# -- groups and peers -----------------------------------------------------------------------------


@SLOW
@given(programs(pins=False), st.integers(1, 3), st.sampled_from([1, 2]))
def test_groups_respect_size_capacity_and_rules(program, size, mentors_per_group):
    """Groups have at most group_size mentees and the right number of mentors; nobody is in two groups."""
    result = form_groups(
        program.mentees, program.mentors, None, program.options, group_size=size, mentors_per_group=mentors_per_group
    )
    mentors = {m.id: m for m in program.mentors}
    seen: list[str] = []
    load: Counter[str] = Counter()
    for group in result.groups:
        assert 1 <= len(group.members) <= size
        assert len(group.mentor_ids) == mentors_per_group
        seen += list(group.mentee_ids)
        for mentor in group.mentor_ids:
            load[mentor] += len(group.members)
            for mentee in group.mentee_ids:
                assert (mentee, mentor) not in program.options.excluded_pairs and mentee != mentor
    assert len(seen) == len(set(seen))
    assert all(load[m] <= mentors[m].capacity for m in load)


@SLOW
@given(programs(max_mentees=9, max_mentors=0, pins=False), st.sampled_from([2, 3]), st.data())
def test_peer_groups_are_disjoint_and_allowed(program, size, data):
    """Peer groups have 2-3 members, allowed with each other; everyone is grouped or explained once."""
    people = program.mentees
    pairs = [(a.id, b.id) for a, b in itertools.combinations(people, 2)]
    excluded = data.draw(st.frozensets(st.sampled_from(pairs), max_size=4)) if pairs else frozenset()
    options = MatchOptions(
        require_shared_language=program.options.require_shared_language,
        min_overlap_hours=program.options.min_overlap_hours,
        excluded_pairs=excluded,
    )
    result = match_peers(people, None, options, group_size=size)
    by_id = {p.id: p for p in people}
    grouped = [pid for g in result.groups for pid in g.member_ids]
    assert sorted(grouped + [u.person_id for u in result.unmatched]) == sorted(by_id)
    for group in result.groups:
        assert 2 <= len(group.member_ids) <= 3
        for a, b in itertools.combinations(group.member_ids, 2):
            assert score_peers(by_id[a], by_id[b], options=options).feasible


@FAST
@given(
    st.integers(1, 6).flatmap(
        lambda rows: st.integers(1, 8).flatmap(
            lambda cols: st.tuples(
                st.lists(st.lists(st.integers(0, 3), min_size=cols, max_size=cols), min_size=rows, max_size=rows),
                st.lists(st.lists(st.booleans(), min_size=cols, max_size=cols), min_size=rows, max_size=rows),
                st.integers(1, 9),
            )
        )
    )
)
def test_top_candidates_follow_score_then_column_order(case):
    """Each row's k best allowed entries, ties broken by column, whichever internal path is taken."""
    scores, allowed, k = np.array(case[0], dtype=float), np.array(case[1]), case[2]
    rows, cols, vals = _top(scores.copy(), allowed, k)
    expected = []
    for r in range(scores.shape[0]):
        ranked = sorted((c for c in range(scores.shape[1]) if allowed[r, c]), key=lambda c: (-scores[r, c], c))
        expected += [(r, c, scores[r, c]) for c in ranked[:k]]
    got = sorted(zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True), key=lambda x: (x[0], -x[2], x[1]))
    assert got == expected
