"""The two knobs a coordinator turns: how compatibility is weighted, and which rules are hard."""

from __future__ import annotations

import math
from collections.abc import Sequence, Set
from dataclasses import dataclass, fields
from datetime import date

from .errors import InvalidOptionError


@dataclass(frozen=True)
class Weights:
    """Points a pair earns for each kind of common ground; the score of a pair is their sum.

    The defaults favour what a mentee came for (their goals meeting the mentor's expertise) over
    general affinity, and make a mentee's first choice worth about one matching goal. Availability
    counts per hour of weekly overlap but only up to ``overlap_cap_hours``, so that two people who are
    always online do not outscore two who share a purpose. Choices ranked ``choice_depth`` or lower
    earn nothing (they are still named in the reason).
    """

    goal_expertise: float = 3.0
    """Per goal of the mentee that the mentor lists as expertise."""
    interest_expertise: float = 1.0
    """Per interest of the mentee (that is not also a goal) the mentor lists as expertise."""
    shared_interest: float = 1.0
    """Per interest both list."""
    shared_language: float = 2.0
    """Once, when they have at least one language in common."""
    overlap_per_hour: float = 0.5
    """Per hour of weekly availability overlap ..."""
    overlap_cap_hours: float = 6.0
    """... counted up to this many hours."""
    mentee_choice: float = 4.0
    """When the mentor is the mentee's 1st choice; the k-th choice earns ``(depth - k + 1) / depth`` of it."""
    mentor_choice: float = 2.0
    """When the mentee is the mentor's 1st choice, decreasing the same way."""
    choice_depth: int = 5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise InvalidOptionError(f"Weight {f.name} must be a number of 0 or more (got {value!r}).")
        if not isinstance(self.choice_depth, int) or self.choice_depth < 1:
            raise InvalidOptionError(f"choice_depth must be a whole number of 1 or more (got {self.choice_depth!r}).")

    def choice_bonus(self, weight: float, rank: int) -> float:
        """Bonus for being someone's ``rank``-th choice (0 = first)."""
        return weight * max(0, self.choice_depth - rank) / self.choice_depth


@dataclass(frozen=True)
class MatchOptions:
    """Hard rules of a matching run.

    ``excluded_pairs`` and ``pinned_pairs`` are ``(mentee_id, mentor_id)``; for peer matching the order
    does not matter. A pinned pair is always in the result and uses one place of the mentor's capacity.
    ``prioritise_coverage`` makes the optimal mode first match as many mentees as possible and only then
    maximise total compatibility; without it, leaving a hard-to-place mentee out is acceptable when that
    lets others get better matches.
    """

    require_shared_language: bool = False
    min_overlap_hours: float = 0.0
    excluded_pairs: Set[tuple[str, str]] = frozenset()
    pinned_pairs: Sequence[tuple[str, str]] = ()
    week_of: date = date(2025, 1, 6)
    """A day in the week whose daylight-saving offsets apply; pass the program's first week."""
    prioritise_coverage: bool = True

    def __post_init__(self) -> None:
        hours = self.min_overlap_hours
        if not isinstance(hours, int | float) or not math.isfinite(hours) or not 0 <= hours <= 168:
            raise InvalidOptionError(f"min_overlap_hours must be between 0 and 168 (got {hours!r}).")
        if not isinstance(self.week_of, date):
            raise InvalidOptionError(f"week_of must be a date (got {self.week_of!r}).")
        object.__setattr__(self, "excluded_pairs", frozenset(_pairs(self.excluded_pairs, "excluded_pairs")))
        object.__setattr__(self, "pinned_pairs", tuple(dict.fromkeys(_pairs(self.pinned_pairs, "pinned_pairs"))))

    @property
    def min_overlap_minutes(self) -> float:
        return self.min_overlap_hours * 60


def _pairs(values: object, name: str) -> list[tuple[str, str]]:
    try:
        pairs = [(str(a), str(b)) for a, b in values]  # type: ignore[attr-defined]
    except (TypeError, ValueError) as err:
        raise InvalidOptionError(f"{name} must be a list of (mentee id, mentor id) pairs.") from err
    return pairs
