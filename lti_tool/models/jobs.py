"""Background jobs (roster sync, later grade delivery and reminders): one row per run, with its progress.

A job row is the single source of truth for what the user sees: status, progress, a user-facing message
(a translatable msgid with its parameters, rendered in the reader's language) and, for failures, the
technical detail for the logs. ``dedupe_key`` is set while a job is queued or running and cleared when it
finishes; its unique constraint makes "two clicks, one sync" hold across workers and hosts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_STATUSES = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_course_id_kind_status", "course_id", "kind", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED.value)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    # User-facing message: a gettext msgid with %(name)s placeholders and its parameters.
    message_key: Mapped[str | None] = mapped_column(String(300))
    message_params: Mapped[dict | None] = mapped_column(JSON)
    # What the job produced (counts); shown as "last synced …" for roster syncs.
    result: Mapped[dict | None] = mapped_column(JSON)
    # Technical detail of a failure (exception type and text), for logs and support, never shown raw.
    error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Touched by every progress write: a running job whose heartbeat is old has crashed or was abandoned.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} course={self.course_id} {self.status}>"
