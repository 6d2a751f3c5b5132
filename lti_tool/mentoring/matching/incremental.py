"""Rematching without moving anyone: late joiners and people who switched get the room that is left.

Every existing pair stays exactly as it is (even one that an earlier rule change would now forbid:
the coordinator approved it). Only the people in ``to_place`` are matched, using each mentor's capacity
minus the pairs they already have.

To rematch someone who asked to switch: ``release`` them (or their mentor), add the old pair to
``MatchOptions.excluded_pairs`` so it is not proposed again, and pass the released mentees as
``to_place``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from .optimal import solve_optimal
from .options import MatchOptions, Weights
from .problem import assemble, prepare
from .profiles import Participant
from .result import Assignment
from .stable import solve_stable


def match_incremental(
    mentees: Sequence[Participant],
    mentors: Sequence[Participant],
    existing_pairs: Iterable[tuple[str, str]],
    to_place: Iterable[str],
    weights: Weights | None = None,
    options: MatchOptions | None = None,
    *,
    mode: Literal["optimal", "stable"] = "optimal",
) -> Assignment:
    """Existing pairs (``source="existing"``) plus proposed pairs for ``to_place`` (mentee ids)."""
    problem = prepare(mentees, mentors, weights, options, existing=existing_pairs, to_place=to_place)
    chosen = solve_stable(problem) if mode == "stable" else solve_optimal(problem)
    return assemble(problem, f"incremental_{mode}", chosen)


def release(existing_pairs: Iterable[tuple[str, str]], person_id: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Drop the pairs of a mentee who switches, or of a mentor who leaves or switches.

    Returns the pairs that stay and the mentees who now need a mentor (for ``to_place``); a mentee who
    leaves the program altogether is simply not placed again.
    """
    kept, released = [], []
    for mentee, mentor in existing_pairs:
        if person_id in (mentee, mentor):
            released.append(mentee)
        else:
            kept.append((mentee, mentor))
    return kept, list(dict.fromkeys(released))
