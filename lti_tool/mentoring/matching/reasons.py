"""Reasons as structured parts, rendered in English by default.

A reason is a tuple of ``ReasonPart(code, params)``. The web layer translates each part with gettext by
looking its code up in its own catalogue (``REASON_TEMPLATES`` and ``UNMATCHED_TEMPLATES`` are the English
msgids) and formatting the params; ``render`` is what you get without translation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple


class ReasonPart(NamedTuple):
    code: str
    params: Mapping[str, object]


REASON_TEMPLATES: dict[str, str] = {
    "shared_goals": "shares goals: {tags}",
    "expertise_in_interests": "has expertise in your interests: {tags}",
    "shared_interests": "shared interests: {tags}",
    "shared_language": "both speak {languages}",
    "availability_overlap": "{hours} h/week overlap",
    "mentee_choice": "your {rank} choice",
    "mentor_choice": "the mentor's {rank} choice",
    "peer_choice": "{rank} choice of one of you",
    "no_common_ground": "no shared goals or interests",
    "co_mentors": "co-mentors: {mentors}",
}

UNMATCHED_TEMPLATES: dict[str, str] = {
    "no_capacity_left": "every compatible mentor is already full",
    "no_shared_language": "no mentor speaks any of their languages",
    "no_availability_overlap": "no mentor is available for at least {hours} h/week at the same time",
    "excluded": "excluded from every mentor who could take them",
    "no_compatible_mentor": "no mentor meets all the rules of the program",
    "no_mentors": "there are no mentors with places in the program",
    "no_picks": "did not pick any mentor",
    "picks_unavailable": "none of the mentors they picked can take them",
    "capacity_zero": "capacity is 0",
    "no_compatible_mentee": "no mentee meets all the rules of the program with this mentor",
    "not_needed": "every mentee was a better fit with another mentor",
    "no_co_mentor": "no compatible co-mentor was left",
    "no_compatible_peer": "no other learner meets all the rules of the program with them",
    "no_group_left": "every group that fits them is full",
    "removed_by_coordinator": "taken out of the proposal by a coordinator",
    "no_profile": "has not filled in their profile yet, which the program requires",
}


def ordinal(n: int) -> str:
    """English ordinal: 1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_hours(minutes: float) -> str:
    """Minutes as hours with at most one decimal: 300 -> "5", 90 -> "1.5"."""
    hours = round(minutes / 60, 1)
    return f"{hours:g}"


def _english_list(items: Iterable[object], conjunction: str = "and") -> str:
    words = [str(i) for i in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _format_params(code: str, params: Mapping[str, object]) -> dict[str, object]:
    out: dict[str, object] = dict(params)
    if "tags" in params:
        out["tags"] = ", ".join(str(t) for t in params["tags"])  # type: ignore[attr-defined]
    if "languages" in params:
        out["languages"] = _english_list(params["languages"])  # type: ignore[arg-type]
    if "mentors" in params:
        out["mentors"] = _english_list(params["mentors"])  # type: ignore[arg-type]
    if "minutes" in params:
        out["hours"] = format_hours(float(params["minutes"]))  # type: ignore[arg-type]
    if "rank" in params:
        out["rank"] = ordinal(int(params["rank"]))  # type: ignore[call-overload]
    return out


def render(
    parts: Iterable[ReasonPart],
    gettext: Callable[[str], str] | None = None,
    templates: Mapping[str, str] = REASON_TEMPLATES,
) -> str:
    """Join the parts into one sentence fragment, e.g. "shares goals: research methods; your 1st choice"."""
    translate = gettext or (lambda s: s)
    texts = []
    for code, params in parts:
        template = templates.get(code, code)
        texts.append(translate(template).format(**_format_params(code, params)))
    return "; ".join(texts)


def render_unmatched(code: str, params: Mapping[str, object], gettext: Callable[[str], str] | None = None) -> str:
    """English (or translated) sentence for an unmatched reason code."""
    return render([ReasonPart(code, params)], gettext, UNMATCHED_TEMPLATES)
