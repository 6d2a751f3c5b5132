"""Checking what people type into goal and meeting forms: plain text, dates, times, zones and links.

Every check raises nothing: it adds an English message (marked with ``N_`` for extraction, translated by the
view) and its parameters to an ``errors`` dict keyed by field name, so one refused form reports every
problem at once and the view re-renders it with what was typed.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from ..errors import DomainError

Errors = dict[str, tuple[str, dict[str, object]]]

TITLE_MAX = 200
TEXT_MAX = 5000
URL_MAX = 500
# A tag-like ``<word``, ``</word``, ``<!`` or ``<?``: plain-text fields (titles) refuse HTML rather than
# silently showing it escaped; Markdown fields accept it and sanitise it when rendering.
_TAG = re.compile(r"<\s*[/!?]?\s*[a-zA-Z]")


def N_(message: str) -> str:
    """Mark a message for translation; the view translates it in the reader's language."""
    return message


class InvalidInput(DomainError):
    """A refused form: ``errors`` maps each field to ``(English message, parameters)``."""

    code = "invalid_input"
    message = "Some fields were not accepted."

    def __init__(self, errors: Errors):
        super().__init__()
        self.errors = errors


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone_names() -> list[str]:
    """Every IANA zone name this system knows, sorted (for the form's suggestions)."""
    return sorted(_zones())


def is_time_zone(name: str) -> bool:
    return name in _zones()


def plain_text(errors: Errors, field: str, raw: object, *, required: bool = True, limit: int = TITLE_MAX) -> str:
    value = " ".join(str(raw or "").split())
    if required and not value:
        errors[field] = (N_("This field cannot be empty."), {})
    elif len(value) > limit:
        errors[field] = (N_("Keep this under %(limit)s characters."), {"limit": limit + 1})
    elif _TAG.search(value):
        errors[field] = (N_("Use plain text here: HTML tags such as <script> are not allowed."), {})
    return value


def markdown_text(errors: Errors, field: str, raw: object, *, limit: int = TEXT_MAX, required: bool = False) -> str:
    value = str(raw or "").replace("\r\n", "\n").strip()
    if required and not value:
        errors[field] = (N_("This field cannot be empty."), {})
    elif len(value) > limit:
        errors[field] = (N_("Keep this under %(limit)s characters."), {"limit": limit + 1})
    return value


def a_date(errors: Errors, field: str, raw: object, *, required: bool = False) -> date | None:
    value = str(raw or "").strip()
    if not value:
        if required:
            errors[field] = (N_("Enter a date."), {})
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        errors[field] = (N_("Enter a date such as 2027-03-15."), {})
        return None
    if not 2000 <= parsed.year <= 2100:
        errors[field] = (N_("Enter a date between the years 2000 and 2100."), {})
        return None
    return parsed


def a_time(errors: Errors, field: str, raw: object) -> time | None:
    value = str(raw or "").strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        errors[field] = (N_("Enter a time such as 18:30."), {})
        return None
    return time(int(match[1]), int(match[2]))


def a_time_zone(errors: Errors, field: str, raw: object) -> str:
    value = str(raw or "").strip()
    if not is_time_zone(value):
        errors[field] = (
            N_("“%(zone)s” is not a time zone we know. Choose one from the list, such as Europe/Madrid."),
            {"zone": value},
        )
    return value


def web_link(errors: Errors, field: str, raw: object) -> str:
    """An absolute ``http``/``https`` URL with a host, no spaces, at most ``URL_MAX`` characters."""
    value = str(raw or "").strip()
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not host
        or any(c.isspace() or c in "<>\"'" for c in value)
        or len(value) > URL_MAX
    ):
        errors[field] = (
            N_("Enter a web address starting with https:// (or http://), such as https://meet.jit.si/our-room."),
            {},
        )
    return value


def choice(errors: Errors, field: str, raw: object, allowed: tuple[str, ...]) -> str:
    value = str(raw or "")
    if value not in allowed:
        errors[field] = (N_("Choose one of the options."), {})
    return value


def whole_number(errors: Errors, field: str, raw: object, low: int, high: int) -> int:
    try:
        number = int(str(raw or "").strip())
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        errors[field] = (N_("Enter a whole number from %(low)s to %(high)s."), {"low": low, "high": high})
    return number
