"""Parsing and checking the program forms: the user's values back for re-rendering, and messages per field.

Each ``parse_*`` returns ``(result, values, errors)``: ``result`` is the domain object to hand to a service
(``None`` when anything is wrong), ``values`` what the user sent (so a refused form keeps their input),
``errors`` a translated message per field name. CSRF is checked for every POST by Flask-WTF's
``CSRFProtect``; the templates carry the token.
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..mentoring.matching import Slot
from ..mentoring.programs import (
    LANGUAGE_CODES,
    MAX_PREFERENCES,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MENTOR_LTI_ROLES,
    WEIGHT_FIELDS,
    ProfileData,
    ProgramSettings,
    is_time_zone,
)
from ..models import Program
from ..models.programs import MATCHING_MODES, MENTOR_SOURCES, RELATIONSHIPS, STRUCTURES

SLOT_ROWS = 4
Values = dict[str, Any]
Errors = dict[str, str]


def _whole(values: Values, errors: Errors, name: str, low: int, high: int) -> int:
    raw = str(values.get(name, "")).strip()
    try:
        number = int(raw)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        errors[name] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
    return number


def _number(values: Values, errors: Errors, name: str, low: float, high: float) -> float:
    raw = str(values.get(name, "")).strip().replace(",", ".")
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        errors[name] = _("Enter a number from %(low)s to %(high)s.", low=_fmt(low), high=_fmt(high))
    return number


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _choice(values: Values, errors: Errors, name: str, allowed: tuple[str, ...]) -> str:
    value = str(values.get(name, ""))
    if value not in allowed:
        errors[name] = _("Choose one of the options.")
    return value


def _tags(values: Values, errors: Errors, name: str) -> tuple[str, ...]:
    raw = str(values.get(name, ""))
    tags = list(dict.fromkeys(t.strip() for line in raw.splitlines() for t in line.split(",") if t.strip()))
    if len(tags) > MAX_TAGS:
        errors[name] = _("List at most %(n)s tags.", n=MAX_TAGS)
    elif any(len(t) > MAX_TAG_LENGTH for t in tags):
        errors[name] = _("Keep each tag under %(n)s characters.", n=MAX_TAG_LENGTH + 1)
    return tuple(tags)


def settings_values(settings: ProgramSettings) -> Values:
    """The settings as form values (what the page shows before any POST)."""
    values: Values = {
        "structure": settings.structure,
        "group_size": str(settings.group_size),
        "mentors_per_group": str(settings.mentors_per_group),
        "relationship_model": settings.relationship_model,
        "matching_mode": settings.matching_mode,
        "mentor_sources": list(settings.mentor_sources),
        "mentor_lti_roles": list(settings.mentor_lti_roles),
        "default_capacity": str(settings.default_capacity),
        "max_capacity": str(settings.max_capacity),
        "profile_required": "required" if settings.profile_required else "skippable",
        "require_shared_language": "1" if settings.require_shared_language else "",
        "min_overlap_hours": _fmt(settings.min_overlap_hours),
        "goal_tags": "\n".join(settings.goal_tags),
        "interest_tags": "\n".join(settings.interest_tags),
        "expertise_tags": "\n".join(settings.expertise_tags),
    }
    for name in WEIGHT_FIELDS:
        values[f"weight_{name}"] = _fmt(settings.weights[name])
    return values


def parse_settings(form: MultiDict) -> tuple[ProgramSettings | None, Values, Errors]:
    values: Values = {k: form.get(k, "") for k in form}
    values["mentor_sources"] = form.getlist("mentor_sources")
    values["mentor_lti_roles"] = form.getlist("mentor_lti_roles")
    values.setdefault("require_shared_language", "")
    errors: Errors = {}
    structure = _choice(values, errors, "structure", STRUCTURES)
    group_size = _whole(values, errors, "group_size", 2, 20)
    mentors_per_group = _whole(values, errors, "mentors_per_group", 1, 5)
    if "group_size" not in errors and "mentors_per_group" not in errors and mentors_per_group >= group_size:
        errors["mentors_per_group"] = _("A group needs more members than mentors.")
    relationship_model = _choice(values, errors, "relationship_model", RELATIONSHIPS)
    matching_mode = _choice(values, errors, "matching_mode", MATCHING_MODES)
    sources = tuple(s for s in MENTOR_SOURCES if s in values["mentor_sources"])
    if set(values["mentor_sources"]) - set(MENTOR_SOURCES):
        errors["mentor_sources"] = _("Choose from the options shown.")
    roles = tuple(r for r in MENTOR_LTI_ROLES if r in values["mentor_lti_roles"])
    if set(values["mentor_lti_roles"]) - set(MENTOR_LTI_ROLES):
        errors["mentor_lti_roles"] = _("Choose from the options shown.")
    elif "role" in sources and not roles:
        errors["mentor_lti_roles"] = _("Choose at least one LMS role, or untick “By their role in the LMS”.")
    default_capacity = _whole(values, errors, "default_capacity", 1, 50)
    max_capacity = _whole(values, errors, "max_capacity", 1, 50)
    if "default_capacity" not in errors and "max_capacity" not in errors and default_capacity > max_capacity:
        errors["default_capacity"] = _("The usual number of mentees cannot be above the maximum.")
    profile = _choice(values, errors, "profile_required", ("required", "skippable"))
    min_overlap = _number(values, errors, "min_overlap_hours", 0, 168)
    weights = {name: _number(values, errors, f"weight_{name}", 0, 100) for name in WEIGHT_FIELDS}
    tags = {name: _tags(values, errors, name) for name in ("goal_tags", "interest_tags", "expertise_tags")}
    if errors:
        return None, values, errors
    settings = ProgramSettings(
        structure=structure,
        group_size=group_size,
        mentors_per_group=mentors_per_group,
        relationship_model=relationship_model,
        matching_mode=matching_mode,
        mentor_sources=sources,
        mentor_lti_roles=roles,
        default_capacity=default_capacity,
        max_capacity=max_capacity,
        profile_required=profile == "required",
        require_shared_language=values["require_shared_language"] == "1",
        min_overlap_hours=min_overlap,
        weights=weights,
        goal_tags=tags["goal_tags"],
        interest_tags=tags["interest_tags"],
        expertise_tags=tags["expertise_tags"],
    )
    return settings, values, errors


def _minutes(raw: str) -> int | None:
    """``HH:MM`` (as ``<input type=time>`` sends it) as minutes since midnight; ``24:00`` is the day's end."""
    try:
        hours, minutes = raw.strip().split(":")[:2]
        h, m = int(hours), int(minutes)
    except ValueError:
        return None
    if (0 <= h <= 23 and 0 <= m <= 59) or (h == 24 and m == 0):
        return h * 60 + m
    return None


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def profile_values(participant: Any, *, default_time_zone: str | None) -> Values:
    """A stored profile as form values."""
    values: Values = {
        "goals": list(participant.goals or []),
        "interests": list(participant.interests or []),
        "expertise": list(participant.expertise or []),
        "about": participant.about or "",
        "languages": list(participant.languages or []),
        "time_zone": participant.time_zone or default_time_zone or "",
        "offer_mentor": "1" if participant.mentor_status in ("pending", "approved") else "",
        "capacity": str(participant.capacity) if participant.capacity else "",
    }
    for i, slot in enumerate(list(participant.availability or [])[:SLOT_ROWS]):
        day, start, end = slot
        values[f"slot{i}_day"], values[f"slot{i}_start"], values[f"slot{i}_end"] = str(day), _hhmm(start), _hhmm(end)
    for i, pref in enumerate(list(participant.preferences or [])[:MAX_PREFERENCES]):
        values[f"pref{i}"] = str(pref)
    return values


def parse_profile(
    form: MultiDict, program: Program, *, can_mentor: bool, mentor_ids: set[int]
) -> tuple[ProfileData | None, bool, Values, Errors]:
    """The profile form: ``(data, offers_to_mentor, values, errors)``."""
    values: Values = {k: form.get(k, "") for k in form}
    errors: Errors = {}
    chosen: dict[str, tuple[str, ...]] = {}
    for name, allowed in (
        ("goals", program.goal_tags),
        ("interests", program.interest_tags),
        ("expertise", program.expertise_tags),
        ("languages", list(LANGUAGE_CODES)),
    ):
        picked = form.getlist(name)
        values[name] = picked
        if set(picked) - set(allowed or []):
            errors[name] = _("Choose from the options shown.")
        chosen[name] = tuple(dict.fromkeys(picked))
    about = str(values.get("about", ""))
    if len(about) > 2000:
        errors["about"] = _("Keep this under %(n)s characters.", n=2000)
    zone = str(values.get("time_zone", "")).strip()
    values["time_zone"] = zone
    if not is_time_zone(zone):
        errors["time_zone"] = _(
            "“%(zone)s” is not a time zone we know. Choose one from the list, such as Europe/Madrid.", zone=zone
        )
    slots: list[Slot] = []
    for i in range(SLOT_ROWS):
        day, start, end = (str(values.get(f"slot{i}_{part}", "")).strip() for part in ("day", "start", "end"))
        if not (day or start or end):
            continue
        begin, finish = _minutes(start), _minutes(end)
        if day not in {str(d) for d in range(7)}:
            errors[f"slot{i}"] = _("Choose a day for this time slot.")
        elif begin is None or finish is None:
            errors[f"slot{i}"] = _("Enter a start and an end time, such as 18:00 and 19:30.")
        elif begin >= finish:
            errors[f"slot{i}"] = _("The slot must end after it starts.")
        else:
            slots.append((int(day), begin, finish))
    offers = can_mentor and values.get("offer_mentor") == "1"
    capacity: int | None = None
    if offers:
        raw = str(values.get("capacity", "")).strip()
        try:
            capacity = int(raw)
        except ValueError:
            capacity = 0
        if not 1 <= capacity <= program.max_capacity:
            errors["capacity"] = _("Enter a whole number from %(low)s to %(high)s.", low=1, high=program.max_capacity)
    preferences: list[int] = []
    for i in range(MAX_PREFERENCES):
        raw = str(values.get(f"pref{i}", "")).strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) not in mentor_ids:
            errors[f"pref{i}"] = _("Choose a mentor from the list.")
        elif int(raw) in preferences:
            errors[f"pref{i}"] = _("You already chose this mentor above.")
        else:
            preferences.append(int(raw))
    if errors:
        return None, offers, values, errors
    data = ProfileData(
        goals=chosen["goals"],
        interests=chosen["interests"],
        expertise=chosen["expertise"],
        about=about,
        languages=chosen["languages"],
        time_zone=zone,
        availability=tuple(slots),
        capacity=capacity,
        preferences=tuple(preferences),
    )
    return data, offers, values, errors
