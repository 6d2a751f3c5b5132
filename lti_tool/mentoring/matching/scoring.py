"""Compatibility of one pair: a score, the reasons behind it, and the hard rules it breaks.

This is the reference definition of the score. ``matrix.ScoreModel`` computes the same numbers for whole
populations at once and is tested against this module. Scores are rounded to 9 decimals so that both
agree exactly on ties (rankings in the stable mode depend on it).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from .options import MatchOptions, Weights
from .profiles import Participant, overlap_minutes, weekly_utc_intervals
from .reasons import ReasonPart, render

SCORE_DECIMALS = 9


@dataclass(frozen=True)
class PairScore:
    mentee_id: str
    mentor_id: str
    score: float
    parts: tuple[ReasonPart, ...]
    violations: tuple[str, ...] = ()
    """Codes of the hard rules the pair breaks: self, excluded, no_shared_language, no_availability_overlap."""

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def reason(self) -> str:
        return render(self.parts)


def score_pair(
    mentee: Participant,
    mentor: Participant,
    weights: Weights | None = None,
    options: MatchOptions | None = None,
) -> PairScore:
    """Score ``mentor`` for ``mentee`` and explain it from the mentee's point of view."""
    weights = weights or Weights()
    options = options or MatchOptions()
    goals = mentee.goals & mentor.expertise
    expertise = (mentee.interests - mentee.goals) & mentor.expertise
    interests = mentee.interests & mentor.interests
    languages = mentee.languages & mentor.languages
    minutes = overlap_minutes(
        weekly_utc_intervals(mentee, options.week_of), weekly_utc_intervals(mentor, options.week_of)
    )
    score = (
        weights.goal_expertise * len(goals)
        + weights.interest_expertise * len(expertise)
        + weights.shared_interest * len(interests)
        + (weights.shared_language if languages else 0.0)
        + weights.overlap_per_hour * min(minutes / 60, weights.overlap_cap_hours)
    )
    parts = _tag_parts(goals, expertise, interests, languages, minutes)
    if mentor.id in mentee.preferences:
        rank = mentee.preferences.index(mentor.id)
        score += weights.choice_bonus(weights.mentee_choice, rank)
        parts.append(ReasonPart("mentee_choice", {"rank": rank + 1}))
    if mentee.id in mentor.preferences:
        rank = mentor.preferences.index(mentee.id)
        score += weights.choice_bonus(weights.mentor_choice, rank)
        parts.append(ReasonPart("mentor_choice", {"rank": rank + 1}))
    if not parts:
        parts.append(ReasonPart("no_common_ground", {}))
    return PairScore(
        mentee.id,
        mentor.id,
        round(score, SCORE_DECIMALS),
        tuple(parts),
        violations(mentee, mentor, options, shared_languages=bool(languages), minutes=minutes),
    )


def _tag_parts(
    goals: AbstractSet[str],
    expertise: AbstractSet[str],
    interests: AbstractSet[str],
    languages: AbstractSet[str],
    minutes: int,
) -> list[ReasonPart]:
    parts = []
    if goals:
        parts.append(ReasonPart("shared_goals", {"tags": sorted(goals)}))
    if expertise:
        parts.append(ReasonPart("expertise_in_interests", {"tags": sorted(expertise)}))
    if interests:
        parts.append(ReasonPart("shared_interests", {"tags": sorted(interests)}))
    if languages:
        parts.append(ReasonPart("shared_language", {"languages": sorted(languages)}))
    if round(minutes / 60, 1) > 0:
        parts.append(ReasonPart("availability_overlap", {"minutes": minutes}))
    return parts


def violations(
    mentee: Participant,
    mentor: Participant,
    options: MatchOptions,
    *,
    shared_languages: bool | None = None,
    minutes: int | None = None,
) -> tuple[str, ...]:
    """The hard rules a pair breaks, in the order a coordinator should read them."""
    found = []
    if mentee.id == mentor.id:
        found.append("self")
    if (mentee.id, mentor.id) in options.excluded_pairs:
        found.append("excluded")
    if shared_languages is None:
        shared_languages = bool(mentee.languages & mentor.languages)
    if options.require_shared_language and not shared_languages:
        found.append("no_shared_language")
    if options.min_overlap_hours > 0:
        if minutes is None:
            minutes = overlap_minutes(
                weekly_utc_intervals(mentee, options.week_of), weekly_utc_intervals(mentor, options.week_of)
            )
        if minutes < options.min_overlap_minutes - 1e-9:
            found.append("no_availability_overlap")
    return tuple(found)


def score_peers(
    a: Participant, b: Participant, weights: Weights | None = None, options: MatchOptions | None = None
) -> PairScore:
    """Symmetric score of two peers: the mean of scoring each as the other's mentor.

    Exclusions apply in either order. Reasons merge both directions; a choice is named as the best rank
    either gave the other.
    """
    weights = weights or Weights()
    options = options or MatchOptions()
    ab, ba = score_pair(a, b, weights, options), score_pair(b, a, weights, options)
    merged: dict[str, set[str]] = {"shared_goals": set(), "expertise_in_interests": set()}
    keep: list[ReasonPart] = []
    ranks = []
    for part in ab.parts + ba.parts:
        if part.code in merged:
            merged[part.code].update(part.params["tags"])  # type: ignore[arg-type]
        elif part.code in ("mentee_choice", "mentor_choice"):
            ranks.append(int(part.params["rank"]))  # type: ignore[call-overload]
        elif part.code != "no_common_ground" and part not in keep:
            keep.append(part)
    parts = [ReasonPart(code, {"tags": sorted(tags)}) for code, tags in merged.items() if tags] + keep
    if ranks:
        parts.append(ReasonPart("peer_choice", {"rank": min(ranks)}))
    if not parts:
        parts.append(ReasonPart("no_common_ground", {}))
    found = tuple(dict.fromkeys(ab.violations + ba.violations))
    score = round((ab.score + ba.score) / 2, SCORE_DECIMALS)
    return PairScore(a.id, b.id, score, tuple(parts), found)
