"""The coordinator's dashboard settings of a course (no row: the defaults).

``silent_days`` is when an active pair counts as silent on the dashboard and in its at-risk list: no post
and no held meeting for that many days. It is the coordinators' own judgement of the course's rhythm and
is separate from ``NotificationSettings.silence_days``, after which the members themselves are nudged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

DEFAULT_SILENT_DAYS = 14


class DashboardSettings(Base):
    __tablename__ = "dashboard_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    silent_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_SILENT_DAYS)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
