"""A job as its readers see it: status, progress and a message in their language."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from ..models import Job, JobStatus


def message(job: Job) -> str:
    if not job.message_key:
        return ""
    params = job.message_params or {}
    try:
        return gettext(job.message_key, **params)
    except (KeyError, TypeError, ValueError):  # a translation with broken placeholders: show the msgid
        return job.message_key % params if params else job.message_key


def percent(job: Job) -> int | None:
    if job.status == JobStatus.SUCCEEDED.value:
        return 100
    if not job.progress_total:
        return None
    return max(0, min(100, round(100 * job.progress_done / job.progress_total)))


def as_json(job: Job) -> dict[str, Any]:
    """The ``GET /jobs/<id>`` body. The failure's technical detail stays on the server."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "finished": not job.is_active,
        "progress": {"done": job.progress_done, "total": job.progress_total, "percent": percent(job)},
        "message": message(job),
        "result": job.result if job.status == JobStatus.SUCCEEDED.value else None,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
