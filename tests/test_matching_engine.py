"""The matching engine by example: scores and reasons, each mode, errors a coordinator can read."""

from __future__ import annotations

import ast
import random
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from lti_tool.mentoring.matching import (
    ConflictingPairsError,
    ImpossiblePinError,
    InvalidOptionError,
    InvalidProfileError,
    MatchingError,
    MatchOptions,
    Participant,
    UnknownParticipantError,
    Weights,
    form_groups,
    match,
    match_by_choice,
    match_greedy,
    match_incremental,
    match_optimal,
    match_peers,
    match_stable,
    release,
    render,
    score_pair,
    score_peers,
    suggest_all,
    suggestions,
    weekly_utc_intervals,
)
from lti_tool.mentoring.matching.matrix import ScoreModel

P = Participant
MON, TUE = 0, 1
EVENING = [(MON, 18 * 60, 20 * 60)]
GOALS_ONLY = Weights(
    goal_expertise=1,
    interest_expertise=0,
    shared_interest=0,
    shared_language=0,
    overlap_per_hour=0,
    mentee_choice=0,
    mentor_choice=0,
)


def tags(prefix: str, n: int) -> set[str]:
    return {f"{prefix}{k}" for k in range(n)}


# -- scores and reasons ------------------------------------------------------------------------


def test_reason_reads_like_a_sentence():
    """The reason names shared goals, languages, overlap hours and the mentee's choice in plain English."""
    mentee = P(
        "ana",
        goals={"research methods", "career planning"},
        languages={"Spanish", "English"},
        availability=[(MON, 16 * 60, 21 * 60)],
        preferences=["bea"],
    )
    mentor = P(
        "bea",
        expertise={"research methods", "career planning", "statistics"},
        languages={"Spanish"},
        availability=[(MON, 14 * 60, 22 * 60)],
    )
    scored = score_pair(mentee, mentor)
    assert scored.reason == (
        "shares goals: career planning, research methods; both speak Spanish; 5 h/week overlap; your 1st choice"
    )
    assert scored.feasible


def test_score_is_the_documented_weighted_sum():
    """Each kind of common ground adds its weight: goals x3, interest-expertise x1, interests x1, language 2."""
    w = Weights()
    mentee = P("m", goals={"a", "b"}, interests={"c", "d"}, languages={"en"}, availability=EVENING, preferences=["x"])
    mentor = P("x", expertise={"a", "c"}, interests={"d"}, languages={"en"}, availability=EVENING, preferences=["m"])
    expected = 3 * 1 + 1 * 1 + 1 * 1 + 2 + 0.5 * 2 + 4 + 2
    assert score_pair(mentee, mentor, w).score == pytest.approx(expected)


def test_overlap_counts_only_up_to_the_cap():
    """Availability earns points per hour only up to overlap_cap_hours."""
    always = [(d, 0, 1440) for d in range(7)]
    mentee, mentor = P("m", availability=always), P("x", availability=always)
    assert score_pair(mentee, mentor).score == pytest.approx(0.5 * 6)
    assert "168 h/week overlap" in score_pair(mentee, mentor).reason


def test_later_choices_earn_less_and_say_their_rank():
    """A 3rd choice earns 3/5 of the choice weight and says so."""
    mentee = P("m", preferences=["a", "b", "x"])
    scored = score_pair(mentee, P("x"))
    assert scored.score == pytest.approx(4 * 3 / 5)
    assert scored.reason == "your 3rd choice"


def test_reason_without_common_ground():
    """A pair with nothing in common says so rather than giving an empty reason."""
    assert score_pair(P("m"), P("x")).reason == "no shared goals or interests"


def test_reason_parts_are_structured_for_translation():
    """Reasons are (code, params) parts that a gettext function can render in another language."""
    mentee = P("m", goals={"writing"}, languages={"es"})
    mentor = P("x", expertise={"writing"}, languages={"es"})
    parts = score_pair(mentee, mentor).parts
    assert [(p.code, dict(p.params)) for p in parts] == [
        ("shared_goals", {"tags": ["writing"]}),
        ("shared_language", {"languages": ["es"]}),
    ]
    catalogue = {
        "shares goals: {tags}": "comparte objetivos: {tags}",
        "both speak {languages}": "ambos hablan {languages}",
    }
    assert render(parts, catalogue.get) == "comparte objetivos: writing; ambos hablan es"


def test_violations_name_the_broken_rules():
    """A pair that breaks hard rules lists them; the score is still computed for review screens."""
    options = MatchOptions(require_shared_language=True, min_overlap_hours=1, excluded_pairs={("m", "x")})
    scored = score_pair(P("m", languages={"fr"}), P("x", languages={"de"}), options=options)
    assert scored.violations == ("excluded", "no_shared_language", "no_availability_overlap")
    assert score_pair(P("m"), P("m")).violations == ("self",)


def test_peer_score_is_symmetric_and_merges_reasons():
    """score_peers(a, b) equals score_peers(b, a) and names what each can offer the other."""
    a = P("a", goals={"python"}, expertise={"writing"}, languages={"en"})
    b = P("b", goals={"writing"}, expertise={"python"}, languages={"en"})
    assert score_peers(a, b).score == score_peers(b, a).score == pytest.approx(3 + 2)
    assert score_peers(a, b).reason == "shares goals: python, writing; both speak en"


# -- availability ------------------------------------------------------------------------------


def test_availability_is_compared_in_utc():
    """18:00 in Madrid and 12:00 in New York are the same hour in January."""
    week = date(2025, 1, 6)
    madrid = P("m", time_zone="Europe/Madrid", availability=[(MON, 18 * 60, 20 * 60)])
    new_york = P("x", time_zone="America/New_York", availability=[(MON, 12 * 60, 14 * 60)])
    assert weekly_utc_intervals(madrid, week) == ((17 * 60, 19 * 60),)
    assert "2 h/week overlap" in score_pair(madrid, new_york, options=MatchOptions(week_of=week)).reason


def test_daylight_saving_time_depends_on_the_reference_week():
    """Tokyo has no DST and Madrid has: their overlap shrinks from 2 h in January to 1 h in July."""
    tokyo = P("t", time_zone="Asia/Tokyo", availability=[(TUE, 60, 3 * 60)])
    madrid = P("m", time_zone="Europe/Madrid", availability=[(MON, 17 * 60, 19 * 60)])
    january, july = MatchOptions(week_of=date(2025, 1, 6)), MatchOptions(week_of=date(2025, 7, 7))
    assert "2 h/week overlap" in score_pair(tokyo, madrid, options=january).reason
    assert "1 h/week overlap" in score_pair(tokyo, madrid, options=july).reason


def test_slots_wrap_around_the_utc_week():
    """Monday morning in Sydney is Sunday in UTC: the slot lands at the end of the UTC week."""
    sydney = P("s", time_zone="Australia/Sydney", availability=[(MON, 0, 12 * 60)])
    start = 6 * 1440 + 13 * 60  # Sunday 13:00 UTC (AEDT is UTC+11)
    assert weekly_utc_intervals(sydney, date(2025, 1, 6)) == ((0, 60), (start, 10080))


def test_nepal_quarter_hour_offset_is_exact():
    """Kathmandu is UTC+5:45; overlaps are counted to the minute."""
    kathmandu = P("k", time_zone="Asia/Kathmandu", availability=[(MON, 18 * 60, 20 * 60)])
    utc = P("u", availability=[(MON, 12 * 60, 13 * 60)])
    assert score_pair(kathmandu, utc).parts[0].params == {"minutes": 45}


# -- optimal -----------------------------------------------------------------------------------


def greedy_trap() -> tuple[list[Participant], list[Participant]]:
    """a-x 10, a-y 9, b-x 8, b-y 0: greedy takes a-x (total 10), optimal a-y + b-x (17)."""
    mentees = [P("a", goals=tags("g", 10)), P("b", goals=tags("h", 8))]
    mentors = [P("x", expertise=tags("g", 10) | tags("h", 8)), P("y", expertise=tags("g", 9))]
    return mentees, mentors


@pytest.mark.parametrize("method", ["dense", "sparse"])
def test_optimal_beats_greedy_on_a_trap(method):
    """Optimal mode maximises the total, where taking the best pair first does not."""
    mentees, mentors = greedy_trap()
    optimal = match_optimal(mentees, mentors, GOALS_ONLY, method=method)
    assert {(p.mentee_id, p.mentor_id) for p in optimal.pairs} == {("a", "y"), ("b", "x")}
    assert optimal.total_score == 17
    assert match_greedy(mentees, mentors, GOALS_ONLY).total_score == 10


def test_capacity_is_respected_and_zero_capacity_is_valid():
    """A mentor with capacity 2 takes two mentees; capacity 0 takes nobody and says why."""
    mentees = [P(f"e{k}", goals={"a"}) for k in range(4)]
    mentors = [P("busy", expertise={"a"}, capacity=0), P("x", expertise={"a"}, capacity=2), P("y", capacity=1)]
    result = match_optimal(mentees, mentors)
    assert sorted(len(result.mentees_of(m.id)) for m in mentors) == [0, 1, 2]
    assert result.unmatched_codes("mentor") == {"busy": "capacity_zero"}
    assert list(result.unmatched_codes("mentee").values()) == ["no_capacity_left"]
    assert result.unmatched[0].reason == "every compatible mentor is already full"


def test_coverage_comes_before_total_score():
    """Matching one more mentee wins over a higher total, unless the program turns that off."""
    mentees = [P("a", goals=tags("g", 10), languages={"en"}), P("b", goals={"h"}, languages={"fr"})]
    mentors = [
        P("x", expertise=tags("g", 10) | {"h"}, languages={"en", "fr"}),
        P("y", expertise={"g1"}, languages={"en"}),
    ]
    covering = MatchOptions(require_shared_language=True)
    result = match_optimal(mentees, mentors, GOALS_ONLY, covering)
    assert (result.mentor_of("a"), result.mentor_of("b"), result.total_score) == ("y", "x", 2)
    best_total = MatchOptions(require_shared_language=True, prioritise_coverage=False)
    for method in ("dense", "sparse"):
        result = match_optimal(mentees, mentors, GOALS_ONLY, best_total, method=method)
        assert (result.mentor_of("a"), result.total_score) == ("x", 10)
        assert result.unmatched_codes() == {"b": "no_capacity_left"}


def test_unmatched_mentees_get_the_rule_that_ruled_them_out():
    """no_shared_language, no_availability_overlap and excluded name the one rule that excluded everyone."""
    mentors = [P("x", languages={"en"}, availability=EVENING), P("y", languages={"en"}, availability=EVENING)]
    mentees = [
        P("fr", languages={"fr"}, availability=EVENING),
        P("night", languages={"en"}, availability=[(MON, 0, 60)]),
        P("banned", languages={"en"}, availability=EVENING),
        P("ok", languages={"en"}, availability=EVENING),
    ]
    options = MatchOptions(
        require_shared_language=True,
        min_overlap_hours=1,
        excluded_pairs={("banned", "x"), ("banned", "y")},
    )
    result = match_optimal(mentees, mentors, options=options)
    assert result.unmatched_codes() == {
        "fr": "no_shared_language",
        "night": "no_availability_overlap",
        "banned": "excluded",
    }
    texts = {u.person_id: u.reason for u in result.unmatched}
    assert texts["night"] == "no mentor is available for at least 1 h/week at the same time"
    assert result.mentor_of("ok") in {"x", "y"}


def test_pinned_pair_is_kept_even_when_not_optimal():
    """A pinned pair is in the result, marked as pinned, and uses the mentor's place."""
    mentees, mentors = greedy_trap()
    result = match_optimal(mentees, mentors, GOALS_ONLY, MatchOptions(pinned_pairs=[("b", "y")]))
    assert {(p.mentee_id, p.mentor_id, p.source) for p in result.pairs} == {("a", "x", "matched"), ("b", "y", "pinned")}


def test_sparse_and_dense_agree_on_a_course():
    """The sparse top-K solver is within 0.5% of the exact dense solver on a random course."""
    mentees, mentors = random_course(160, 40, seed=7)
    options = MatchOptions(require_shared_language=True, min_overlap_hours=1)
    dense = match_optimal(mentees, mentors, options=options, method="dense")
    sparse = match_optimal(mentees, mentors, options=options, method="sparse", candidates=5)
    assert len(sparse.pairs) == len(dense.pairs)
    assert sparse.total_score >= 0.995 * dense.total_score


def test_score_model_matches_score_pair_on_a_course():
    """The vectorised score matrix equals score_pair for every pair of a random course."""
    mentees, mentors = random_course(30, 12, seed=3)
    options = MatchOptions(require_shared_language=True, min_overlap_hours=1, excluded_pairs={("e1", "m2")})
    block = ScoreModel(mentees, mentors, Weights(), options).block(np.arange(len(mentees)))
    for i, mentee in enumerate(mentees):
        for j, mentor in enumerate(mentors):
            scored = score_pair(mentee, mentor, options=options)
            assert block.scores[i, j] == scored.score
            assert block.feasible[i, j] == scored.feasible


# -- stable ------------------------------------------------------------------------------------


def test_stable_follows_the_mentees_own_ranking():
    """A mentee's listed choice comes before a higher-scoring mentor."""
    mentees = [P("a", goals={"g"}, preferences=["y"])]
    mentors = [P("x", expertise={"g"}), P("y")]
    assert match_stable(mentees, mentors).mentor_of("a") == "y"


def test_stable_mentor_preferences_decide_between_rivals():
    """Two mentees want the same mentor; the one the mentor listed gets the place."""
    mentees = [P("a", goals={"g"}), P("b", goals={"g"})]
    mentors = [P("x", expertise={"g"}, preferences=["b"]), P("y")]
    result = match_stable(mentees, mentors)
    assert (result.mentor_of("a"), result.mentor_of("b")) == ("y", "x")
    assert result.mode == "stable"


# -- mentee choice -----------------------------------------------------------------------------


def test_suggestions_are_the_best_allowed_mentors_with_room():
    """Suggestions skip full and forbidden mentors and come best first."""
    mentee = P("m", goals={"a", "b"}, languages={"en"})
    mentors = [
        P("two", expertise={"a", "b"}, languages={"en"}),
        P("one", expertise={"a"}, languages={"en"}),
        P("full", expertise={"a", "b"}, languages={"en"}),
        P("french", expertise={"a", "b"}, languages={"fr"}),
        P("none", languages={"en"}),
    ]
    options = MatchOptions(require_shared_language=True)
    found = suggestions(mentee, mentors, options=options, n=2, taken={"full": 1})
    assert [s.mentor_id for s in found] == ["two", "one"]
    assert suggest_all([mentee], mentors, options=options, n=3)["m"][0].mentor_id in {"two", "full"}


def test_choice_deferred_acceptance_respects_capacity_and_mentor_ranking():
    """Two mentees pick the same mentor first; the mentor keeps the better fit, the other gets their 2nd pick."""
    mentees = [P("a", goals={"g"}), P("b")]
    mentors = [P("x", expertise={"g"}), P("y")]
    result = match_by_choice(mentees, mentors, {"a": ["x", "y"], "b": ["x", "y"]})
    assert (result.mentor_of("a"), result.mentor_of("b")) == ("x", "y")
    assert result.mode == "mentee_choice"


def test_choice_serial_dictatorship_follows_the_order():
    """In serial dictatorship the first in the order gets their first pick."""
    mentees = [P("a", goals={"g"}), P("b")]
    mentors = [P("x", expertise={"g"}), P("y")]
    picks = {"a": ["x", "y"], "b": ["x", "y"]}
    result = match_by_choice(mentees, mentors, picks, method="serial_dictatorship", order=["b", "a"])
    assert (result.mentor_of("a"), result.mentor_of("b")) == ("y", "x")


def test_choice_explains_who_stays_unmatched():
    """no_picks, picks_unavailable and no_capacity_left tell the coordinator what happened."""
    mentees = [P("lazy"), P("picky", languages={"fr"}), P("late", goals={"z"}), P("first", goals={"g"})]
    mentors = [P("x", expertise={"g"}, languages={"fr", "en"}), P("en", languages={"en"})]
    picks = {"picky": ["en"], "late": ["x"], "first": ["x"]}
    options = MatchOptions(require_shared_language=False, excluded_pairs={("picky", "en")})
    result = match_by_choice(mentees, mentors, picks, options=options)
    assert result.unmatched_codes() == {"lazy": "no_picks", "picky": "picks_unavailable", "late": "no_capacity_left"}


def test_unknown_picks_are_refused():
    """Picks naming a mentor who is not in the run raise a readable error."""
    with pytest.raises(UnknownParticipantError, match="picked ghost"):
        match_by_choice([P("a")], [P("x")], {"a": ["ghost"]})


# -- group and peer ----------------------------------------------------------------------------


def test_groups_split_a_mentors_mentees_evenly():
    """A mentor with capacity 7 and group size 4 leads groups of 4 and 3."""
    mentees = [P(f"e{k}", goals={"g"}) for k in range(7)]
    result = form_groups(mentees, [P("x", expertise={"g"}, capacity=7)], group_size=4)
    assert sorted(len(g.members) for g in result.groups) == [3, 4]
    assert all(g.mentor_ids == ("x",) for g in result.groups)
    assert result.total_score == pytest.approx(7 * 3)


def test_groups_with_two_mentors_pair_up_mentors_first():
    """With two mentors per group, mentors form teams; the odd one out says no_co_mentor."""
    mentees = [P(f"e{k}", goals={"g"}, languages={"en"}) for k in range(4)]
    mentors = [
        P("x", expertise={"g"}, languages={"en"}, capacity=4),
        P("y", languages={"en"}, capacity=4),
        P("z", languages={"fr"}, capacity=4),
    ]
    options = MatchOptions(require_shared_language=True)
    result = form_groups(mentees, mentors, options=options, group_size=4, mentors_per_group=2)
    assert [g.mentor_ids for g in result.groups] == [("x", "y")]
    assert len(result.groups[0].members) == 4
    assert {(u.person_id, u.code) for u in result.unmatched} == {("z", "no_co_mentor")}


def test_group_pins_follow_the_co_mentor_into_the_team():
    """A mentee pinned to either co-mentor ends up in that team's group."""
    mentees = [P("a", goals={"g"}), P("b"), P("c", goals={"h"})]
    mentors = [P("x", expertise={"g"}, capacity=2), P("y", capacity=2), P("z", expertise={"g", "h"}, capacity=2)]
    options = MatchOptions(pinned_pairs=[("b", "x")])
    single = form_groups(mentees, mentors, options=options, group_size=2)
    assert any(g.mentor_ids == ("x",) and "b" in g.mentee_ids for g in single.groups)
    two = form_groups(
        mentees, mentors[:2], options=MatchOptions(pinned_pairs=[("b", "y")]), group_size=3, mentors_per_group=2
    )
    assert [(g.mentor_ids, g.mentee_ids) for g in two.groups] == [(("x", "y"), ("a", "b"))]
    assert {u.person_id: u.code for u in two.unmatched} == {"c": "no_capacity_left"}


def test_peer_pins_are_checked():
    """Peer pins name learners of the run and must be allowed pairs."""
    people = [P("a", languages={"en"}), P("b", languages={"fr"}), P("c", languages={"en"})]
    with pytest.raises(UnknownParticipantError, match="ghost is not a learner"):
        match_peers(people, options=MatchOptions(pinned_pairs=[("a", "ghost")]))
    with pytest.raises(ImpossiblePinError, match="Cannot pin a with b"):
        match_peers(people, options=MatchOptions(pinned_pairs=[("a", "b")], require_shared_language=True))
    with pytest.raises(ConflictingPairsError):
        match_peers(people, options=MatchOptions(pinned_pairs=[("a", "b"), ("c", "a")]))


def test_group_options_are_checked():
    """Group size 0 or three mentors per group are refused."""
    with pytest.raises(InvalidOptionError):
        form_groups([], [], group_size=0)
    with pytest.raises(InvalidOptionError):
        form_groups([], [], group_size=3, mentors_per_group=3)


def test_peers_pair_up_by_best_total():
    """Four learners form the two pairs with the highest total, not the single best pair."""
    people = [
        P("a", goals=tags("g", 5), expertise=tags("h", 4)),
        P("b", expertise=tags("g", 5), goals=tags("k", 2)),
        P("c", goals=tags("h", 4)),
        P("d", expertise=tags("k", 2)),
    ]
    result = match_peers(people, GOALS_ONLY)
    assert sorted(g.member_ids for g in result.groups) == [("a", "c"), ("b", "d")]
    assert result.unmatched == ()


def test_odd_learner_joins_the_best_pair_as_a_triad():
    """With five learners, the fifth joins a pair instead of being left alone."""
    people = [P(f"p{k}", goals={"g"}, expertise={"g"}) for k in range(5)]
    result = match_peers(people)
    assert sorted(len(g.member_ids) for g in result.groups) == [2, 3]
    assert all(len(g.links) == len(g.member_ids) * (len(g.member_ids) - 1) // 2 for g in result.groups)


def test_peers_in_triads_respect_exclusions_and_pins():
    """Six learners in triads: two groups of three, an excluded pair apart, a pinned pair together."""
    people = [P(f"p{k}", goals={"g"}, expertise={"g"}) for k in range(6)]
    options = MatchOptions(excluded_pairs={("p0", "p1")}, pinned_pairs=[("p2", "p5")])
    result = match_peers(people, options=options, group_size=3)
    groups = [set(g.member_ids) for g in result.groups]
    assert sorted(len(g) for g in groups) == [3, 3]
    assert not any({"p0", "p1"} <= g for g in groups)
    assert any({"p2", "p5"} <= g for g in groups)


def test_peer_without_allowed_partner_is_explained():
    """A learner who shares no language with anyone is unmatched with no_compatible_peer."""
    people = [P("a", languages={"en"}), P("b", languages={"en"}), P("c", languages={"fr"})]
    result = match_peers(people, options=MatchOptions(require_shared_language=True))
    assert [g.member_ids for g in result.groups] == [("a", "b")]
    assert [(u.person_id, u.code) for u in result.unmatched] == [("c", "no_compatible_peer")]


# -- incremental -------------------------------------------------------------------------------


def test_incremental_keeps_existing_pairs_and_uses_remaining_capacity():
    """A late joiner gets the free place; nobody already paired moves, even to a better fit."""
    mentees = [P("old", goals={"g"}), P("new", goals={"g"})]
    mentors = [P("x", expertise={"g"}), P("y")]
    result = match_incremental(mentees, mentors, [("old", "y")], ["new"])
    assert {(p.mentee_id, p.mentor_id, p.source) for p in result.pairs} == {
        ("old", "y", "existing"),
        ("new", "x", "matched"),
    }


def test_switching_mentee_is_released_and_rematched_elsewhere():
    """release() frees a mentee; excluding the old pair makes the rematch propose someone new."""
    mentees = [P("a", goals={"g"}), P("b", goals={"g"})]
    mentors = [P("x", expertise={"g"}), P("y", expertise={"g"}), P("z")]
    existing = [("a", "x"), ("b", "y")]
    kept, to_place = release(existing, "a")
    assert (kept, to_place) == ([("b", "y")], ["a"])
    options = MatchOptions(excluded_pairs={("a", "x")})
    result = match_incremental(mentees, mentors, kept, to_place, options=options)
    assert result.mentor_of("a") == "z" and result.mentor_of("b") == "y"


def test_release_of_a_mentor_frees_their_mentees():
    """Releasing a mentor returns all their mentees for rematching."""
    assert release([("a", "x"), ("b", "x"), ("c", "y")], "x") == ([("c", "y")], ["a", "b"])


def test_incremental_refuses_to_move_a_paired_mentee():
    """Asking to place someone who is still paired is an error naming the pair to release."""
    with pytest.raises(ConflictingPairsError, match="release that pair first"):
        match_incremental([P("a")], [P("x")], [("a", "x")], ["a"])


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: P("x", capacity=-1), InvalidProfileError, "capacity of x"),
        (lambda: P("x", time_zone="Mars/Olympus"), InvalidProfileError, "unknown time zone"),
        (lambda: P("x", availability=[(7, 0, 60)]), InvalidProfileError, "invalid availability slot"),
        (lambda: P("x", availability=[(0, 120, 60)]), InvalidProfileError, "invalid availability slot"),
        (lambda: P(""), InvalidProfileError, "non-empty id"),
        (lambda: Weights(goal_expertise=-1), InvalidOptionError, "goal_expertise"),
        (lambda: MatchOptions(min_overlap_hours=-1), InvalidOptionError, "min_overlap_hours"),
    ],
)
def test_bad_profiles_and_options_are_refused(make, error, message):
    """Bad profile or option values raise a MatchingError subclass naming the problem."""
    with pytest.raises(error, match=message) as caught:
        make()
    assert isinstance(caught.value, MatchingError)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (MatchOptions(pinned_pairs=[("ghost", "x")]), UnknownParticipantError, "ghost is not a mentee"),
        (MatchOptions(pinned_pairs=[("a", "ghost")]), UnknownParticipantError, "ghost is not a mentor"),
        (MatchOptions(excluded_pairs={("a", "ghost")}), UnknownParticipantError, "Excluded pair"),
        (
            MatchOptions(pinned_pairs=[("a", "x")], require_shared_language=True),
            ImpossiblePinError,
            "Cannot pin a to x: they share no language",
        ),
        (
            MatchOptions(pinned_pairs=[("a", "x")], min_overlap_hours=2),
            ImpossiblePinError,
            "minimum of 2 h/week",
        ),
        (MatchOptions(pinned_pairs=[("a", "x")], excluded_pairs={("a", "x")}), ImpossiblePinError, "excluded"),
        (MatchOptions(pinned_pairs=[("a", "x"), ("b", "x")]), ImpossiblePinError, "room for 1"),
        (MatchOptions(pinned_pairs=[("a", "x"), ("a", "y")]), ConflictingPairsError, "both x and y"),
        (MatchOptions(pinned_pairs=[("x", "x")]), ImpossiblePinError, "own mentor"),
    ],
)
def test_bad_pins_and_exclusions_are_refused(options, error, message):
    """Unknown ids and impossible pins raise errors a coordinator can act on, in every mode."""
    mentees = [P("a", languages={"fr"}), P("b"), P("x")]
    mentors = [P("x", languages={"en"}), P("y")]
    for run in (match_optimal, match_stable, match_greedy):
        with pytest.raises(error, match=message):
            run(mentees, mentors, None, options)


def test_duplicate_ids_are_refused():
    """Two mentees with the same id are an error, not a silent overwrite."""
    with pytest.raises(InvalidProfileError, match="appears twice"):
        match_optimal([P("a"), P("a")], [P("x")])


def test_dispatch_by_mode_name():
    """match() runs each mode by name and refuses unknown modes."""
    mentees, mentors = greedy_trap()
    assert match(mentees, mentors, "optimal", GOALS_ONLY).total_score == 17
    assert match(mentees, mentors, "stable", GOALS_ONLY).mode == "stable"
    assert match(mentees, mentors, "mentee_choice", picks={"a": ["x"]}).mentor_of("a") == "x"
    with pytest.raises(InvalidOptionError):
        match(mentees, mentors, "lottery")  # type: ignore[arg-type]


def test_matching_imports_only_the_scientific_stack():
    """The matching package imports nothing but the standard library, numpy, scipy, networkx and itself."""
    package = Path(__file__).resolve().parent.parent / "lti_tool" / "mentoring" / "matching"
    allowed = {"numpy", "scipy", "networkx", "__future__"} | set(sys.stdlib_module_names)
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            assert {n.split(".")[0] for n in names} <= allowed, f"{path.name} imports {names}"


# -- helpers -----------------------------------------------------------------------------------


def random_course(n_mentees: int, n_mentors: int, seed: int) -> tuple[list[Participant], list[Participant]]:
    rng = random.Random(seed)
    topics = [f"t{k}" for k in range(15)]
    zones = ["UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata"]

    def person(pid: str, capacity: int, mentor: bool) -> Participant:
        day, hour = rng.randrange(7), rng.randrange(8, 20)
        return P(
            pid,
            goals=set(rng.sample(topics, 2)),
            interests=set(rng.sample(topics, 3)),
            expertise=set(rng.sample(topics, 4)) if mentor else set(),
            languages=set(rng.sample(["en", "en", "es", "fr"], rng.randint(1, 2))),
            time_zone=rng.choice(zones),
            availability=[(day, hour * 60, hour * 60 + 180), (rng.randrange(7), 9 * 60, 12 * 60)],
            capacity=capacity,
        )

    return (
        [person(f"e{k}", 1, False) for k in range(n_mentees)],
        [person(f"m{k}", rng.randint(0, 6), True) for k in range(n_mentors)],
    )
