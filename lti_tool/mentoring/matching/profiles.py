"""Participant profiles as plain, hashable data, and weekly availability in UTC.

Availability is entered in the person's own time zone as ``(weekday, start_minute, end_minute)`` with
Monday = 0 and minutes since local midnight (``end_minute`` may be 1440). To compare two people we map
every slot onto one UTC week, minute 0 = Monday 00:00 UTC. Offsets change with daylight saving time, so
the mapping is done for a concrete reference week (``MatchOptions.week_of``): pass the program's first
week to get the offsets the participants will actually live with.

Tags (goals, interests, expertise) and languages are compared exactly after trimming whitespace; the web
layer offers one shared list of tags and language codes so that people pick the same spelling.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidProfileError

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

Slot = tuple[int, int, int]
"""``(weekday, start_minute, end_minute)`` in local time; Monday = 0."""

Interval = tuple[int, int]
"""``[start, end)`` in minutes since Monday 00:00 UTC of the reference week, ``0 <= start < end <= 10080``."""


def _tags(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip() for v in values if v and v.strip())


@dataclass(frozen=True)
class Participant:
    """A mentee, a mentor or a peer learner.

    ``capacity`` is how many mentees a mentor takes (ignored for mentees; 0 is valid and means "nobody
    for now"). ``preferences`` ranks people on the other side by id, best first: mentors for a mentee,
    mentees for a mentor, peers for a peer. Ids that are not in the run are ignored, so a stale list
    never blocks matching. ``about`` is free text shown to the coordinator; scoring uses tags only, so
    that every point of a score has a reason a person can read.
    """

    id: str
    goals: Set[str] = frozenset()
    interests: Set[str] = frozenset()
    expertise: Set[str] = frozenset()
    languages: Set[str] = frozenset()
    time_zone: str = "UTC"
    availability: Sequence[Slot] = ()
    capacity: int = 1
    preferences: Sequence[str] = ()
    about: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InvalidProfileError(f"Every participant needs a non-empty id, got {self.id!r}.")
        for name in ("goals", "interests", "expertise", "languages"):
            object.__setattr__(self, name, _tags(getattr(self, name)))
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int) or self.capacity < 0:
            raise InvalidProfileError(
                f"The capacity of {self.id} must be a whole number of mentees, 0 or more (got {self.capacity!r})."
            )
        try:
            _zone(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as err:
            raise InvalidProfileError(
                f"{self.id} has an unknown time zone {self.time_zone!r}; use an IANA name such as 'Europe/Madrid'."
            ) from err
        slots = tuple(tuple(s) for s in self.availability)
        for slot in slots:
            if not _valid_slot(slot):
                raise InvalidProfileError(
                    f"{self.id} has an invalid availability slot {slot!r}: expected (weekday 0-6, "
                    "start minute, end minute) with 0 <= start < end <= 1440."
                )
        object.__setattr__(self, "availability", slots)
        prefs = tuple(self.preferences)
        if any(not isinstance(p, str) for p in prefs):
            raise InvalidProfileError(f"The preferences of {self.id} must be participant ids.")
        object.__setattr__(self, "preferences", tuple(dict.fromkeys(prefs)))


Mentee = Participant
Mentor = Participant


def _valid_slot(slot: tuple[object, ...]) -> bool:
    if len(slot) != 3 or any(type(v) is not int for v in slot):
        return False
    day, start, end = cast(Slot, slot)
    return 0 <= day <= 6 and 0 <= start < end <= MINUTES_PER_DAY


def weekly_utc_intervals(person: Participant, week_of: date) -> tuple[Interval, ...]:
    """The person's availability as sorted, merged UTC intervals of the week containing ``week_of``."""
    return _utc_intervals(tuple(person.availability), person.time_zone, week_of)


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=32768)
def _utc_intervals(slots: tuple[Slot, ...], time_zone: str, week_of: date) -> tuple[Interval, ...]:
    monday = week_of - timedelta(days=week_of.weekday())
    pieces: list[Interval] = []
    for day, start, end in slots:
        begin = _utc_minute(time_zone, monday, day, start)
        length = _utc_minute(time_zone, monday, day, end) - begin
        if length <= 0:  # a slot swallowed by a daylight-saving jump
            continue
        begin %= MINUTES_PER_WEEK
        finish = begin + length
        if finish <= MINUTES_PER_WEEK:
            pieces.append((begin, finish))
        else:  # wraps past Sunday midnight UTC
            pieces.append((begin, MINUTES_PER_WEEK))
            pieces.append((0, finish - MINUTES_PER_WEEK))
    return _merge(pieces)


@lru_cache(maxsize=65536)
def _utc_minute(time_zone: str, monday: date, day: int, minute: int) -> int:
    """Minutes from Monday 00:00 UTC to local ``day`` + ``minute`` in ``time_zone`` (may be negative)."""
    local = datetime(monday.year, monday.month, monday.day) + timedelta(days=day, minutes=minute)
    utc = local.replace(tzinfo=_zone(time_zone)).astimezone(UTC)
    return int((utc - datetime(monday.year, monday.month, monday.day, tzinfo=UTC)).total_seconds() // 60)


def _merge(pieces: list[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def overlap_minutes(a: Sequence[Interval], b: Sequence[Interval]) -> int:
    """Minutes per week in which both sets of merged intervals are available."""
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            total += end - start
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def utc_slots(intervals: Sequence[Interval]) -> tuple[Slot, ...]:
    """Intervals of the UTC week as slots of a ``time_zone="UTC"`` profile (used for co-mentor teams)."""
    slots: list[Slot] = []
    for start, end in intervals:
        while start < end:
            day, minute = divmod(start, MINUTES_PER_DAY)
            stop = min(end, (day + 1) * MINUTES_PER_DAY)
            slots.append((day, minute, stop - day * MINUTES_PER_DAY))
            start = stop
    return tuple(slots)


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> tuple[Interval, ...]:
    """The intervals in which both ``a`` and ``b`` are available."""
    out: list[Interval] = []
    i, j = 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)
