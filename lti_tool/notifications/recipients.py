"""A recipient's language and time zone, as the tool's pages would choose them (no Flask here)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Membership, Participant, Person

LANGUAGES = ("en", "es", "fr", "de", "pt")


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_of(session: Session, person_id: int, course_id: int) -> ZoneInfo:
    """The zone of their program profile in the course, else the LMS's zone for them, else UTC."""
    profile = session.execute(
        select(Participant.time_zone)
        .join(Membership, Membership.id == Participant.membership_id)
        .where(Membership.person_id == person_id, Membership.course_id == course_id)
        .limit(1)
    ).scalar_one_or_none()
    zone = _zone(profile)
    if zone is None:
        zone = _zone(session.execute(select(Person.timezone).where(Person.id == person_id)).scalar_one_or_none())
    return zone or ZoneInfo("UTC")


def language_of(person: Person, languages: tuple[str, ...] | list[str] = LANGUAGES) -> str:
    """The language of their last launch (``Person.locale``, e.g. ``fr-CA`` → ``fr``), else English."""
    wanted = (person.locale or "").replace("_", "-").split("-")[0].lower()
    return wanted if wanted in languages else "en"


def zones_of(session: Session, course_id: int, person_ids: set[int]) -> dict[int, ZoneInfo]:
    """:func:`zone_of` for many people of one course in two queries."""
    if not person_ids:
        return {}
    profile: dict[int, str | None] = {
        pid: tz
        for pid, tz in session.execute(
            select(Membership.person_id, Participant.time_zone)
            .join(Participant, Participant.membership_id == Membership.id)
            .where(Membership.course_id == course_id, Membership.person_id.in_(person_ids))
        ).all()
    }
    lms: dict[int, str | None] = {
        pid: tz
        for pid, tz in session.execute(select(Person.id, Person.timezone).where(Person.id.in_(person_ids))).all()
    }
    utc = ZoneInfo("UTC")
    return {pid: _zone(profile.get(pid)) or _zone(lms.get(pid)) or utc for pid in person_ids}
