"""The course's dashboard settings: the silence threshold coordinators choose (see ``DashboardSettings``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import DashboardSettings
from ...models.dashboard import DEFAULT_SILENT_DAYS
from ..errors import DomainError
from .metrics import MAX_SILENT_DAYS, MIN_SILENT_DAYS


def N_(message: str) -> str:
    """Mark a message for translation; the view translates it in the reader's language."""
    return message


class InvalidThreshold(DomainError):
    code = "invalid_threshold"
    message = N_("Enter a whole number of days from 1 to 365.")


def silent_days(session: Session, course_id: int) -> int:
    """The course's threshold, or the default (14) when the coordinators never set one."""
    value = session.execute(
        select(DashboardSettings.silent_days).where(DashboardSettings.course_id == course_id)
    ).scalar_one_or_none()
    return int(value) if value is not None else DEFAULT_SILENT_DAYS


def parse_days(raw: object) -> int:
    """A threshold typed by a person: a whole number of days in range, else ``InvalidThreshold``."""
    try:
        days = int(str(raw).strip())
    except (TypeError, ValueError) as err:
        raise InvalidThreshold() from err
    if not MIN_SILENT_DAYS <= days <= MAX_SILENT_DAYS:
        raise InvalidThreshold()
    return days


def save_silent_days(session: Session, course_id: int, days: object, *, person_id: int | None) -> DashboardSettings:
    """Set the course's threshold from what a person typed (flushed, not committed; ``InvalidThreshold``)."""
    row = session.execute(
        select(DashboardSettings).where(DashboardSettings.course_id == course_id)
    ).scalar_one_or_none()
    if row is None:
        row = DashboardSettings(course_id=course_id)
        session.add(row)
    row.silent_days = parse_days(days)
    row.updated_by = person_id
    session.flush()
    return row
