"""What a running job sees: its ids, a database session for domain work, and a progress reporter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..models import Job, utcnow


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (it is rendered in the reader's language)."""
    return message


class JobFailure(Exception):
    """A failure the user can act on: ``message`` is a gettext msgid with ``%(name)s`` placeholders.

    The runner marks the job failed, shows ``message`` (translated) and keeps ``detail`` for support.
    """

    def __init__(self, message: str, *, detail: str | None = None, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.detail = detail


@dataclass
class JobContext:
    job_id: int
    kind: str
    course_id: int | None
    created_by: int | None
    session: Session
    engine: Engine
    config: Mapping[str, Any]
    # The message stored when the job succeeds (set with ``finish_message``).
    final_message: tuple[str, dict[str, Any]] | None = field(default=None)

    def progress(self, done: int, total: int | None = None, message: str | None = None, **params: Any) -> None:
        """Record progress in a short transaction of its own (never the job's unit of work).

        Also refreshes the heartbeat, which tells readers the job is alive.
        """
        values: dict[str, Any] = {"progress_done": done, "progress_total": total, "heartbeat_at": utcnow()}
        if message is not None:
            values.update(message_key=message, message_params=params or None)
        with self.engine.begin() as conn:
            conn.execute(update(Job).where(Job.id == self.job_id).values(**values))

    def finish_message(self, message: str, **params: Any) -> None:
        self.final_message = (message, params)
