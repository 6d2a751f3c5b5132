"""Run one job: claim it, call its function, record the outcome. The same code runs in the in-process
thread pool and in an RQ worker.

Every state change is a conditional ``UPDATE`` in a short transaction of its own, so two runners never
both run a job, and a reader never waits for the job's own (possibly long) unit of work.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Job, JobStatus, utcnow
from ..models.jobs import ACTIVE_STATUSES
from . import registry
from .context import N_, JobContext, JobFailure

log = logging.getLogger(__name__)

MSG_QUEUED = N_("Waiting to start…")
MSG_STARTED = N_("Started…")
MSG_DONE = N_("Done.")
MSG_UNEXPECTED = N_(
    "The job stopped because of an unexpected error. Try again; if it keeps failing, tell your administrator."
)
MSG_ABANDONED = N_("The job stopped responding and was abandoned. Try again.")
MSG_UNKNOWN_KIND = N_("This kind of job is not known to this version of Mentoring Space.")
MSG_DISPATCH_FAILED = N_("The job could not be handed to a worker. Try again in a minute.")

# Keep failure details short: they go in a column, not a log file.
MAX_ERROR_CHARS = 4000


def run_job(app: Flask, job_id: int) -> None:
    """Run job ``job_id`` in a fresh app context and session (a pool thread or an RQ worker)."""
    with app.app_context():
        try:
            run_in_context(job_id)
        except Exception:  # never let a job take the worker down; it is recorded on the row
            log.exception("job %s: the runner itself failed", job_id)
        finally:
            db.session.remove()


def run_in_context(job_id: int) -> str | None:
    """Claim and run ``job_id`` with ``db.session``; returns the final status, None if someone else has it."""
    from flask import current_app

    if not _claim(job_id):
        return None
    job = db.session.get(Job, job_id)
    if job is None:
        return None
    spec = registry.spec(job.kind)
    if spec is None:
        finish(job_id, JobStatus.FAILED, message=(MSG_UNKNOWN_KIND, {}), error=f"unknown job kind {job.kind!r}")
        return JobStatus.FAILED.value
    ctx = JobContext(
        job_id=job.id,
        kind=job.kind,
        course_id=job.course_id,
        created_by=job.created_by,
        session=db.session(),
        engine=db.engine,
        config=current_app.config,
    )
    params = dict(job.params or {})
    db.session.commit()  # end the read transaction before the job's own work
    try:
        result = spec.function(ctx, **params)
        db.session.commit()
    except JobFailure as err:
        db.session.rollback()
        log.warning("job %s (%s) failed: %s %s", job_id, ctx.kind, err, err.detail or "")
        finish(job_id, JobStatus.FAILED, message=(err.message, err.params), error=_detail(err, err.detail))
        return JobStatus.FAILED.value
    except Exception as err:
        db.session.rollback()
        log.exception("job %s (%s) crashed", job_id, ctx.kind)
        finish(job_id, JobStatus.FAILED, message=(MSG_UNEXPECTED, {}), error=_detail(err, traceback.format_exc()))
        return JobStatus.FAILED.value
    finish(job_id, JobStatus.SUCCEEDED, message=ctx.final_message or (MSG_DONE, {}), result=result)
    return JobStatus.SUCCEEDED.value


def _detail(err: BaseException, extra: str | None) -> str:
    text = f"{type(err).__name__}: {err}"
    if extra:
        text += "\n" + extra
    return text[:MAX_ERROR_CHARS]


def _claim(job_id: int) -> bool:
    """queued → running, atomically: of two runners given the same job, one wins."""
    now = utcnow()
    with db.engine.begin() as conn:
        claimed = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
            .values(
                status=JobStatus.RUNNING.value,
                started_at=now,
                heartbeat_at=now,
                message_key=MSG_STARTED,
                message_params=None,
            )
            .returning(Job.id)
        ).first()
    return claimed is not None


def finish(
    job_id: int,
    status: JobStatus,
    *,
    message: tuple[str, dict[str, Any]],
    error: str | None = None,
    result: dict[str, Any] | None = None,
    only_if: Any = None,
) -> bool:
    """Record the outcome and free the dedupe key (a new job of the kind may start). Own transaction."""
    values: dict[str, Any] = {
        "status": status.value,
        "finished_at": utcnow(),
        "message_key": message[0],
        "message_params": message[1] or None,
        "dedupe_key": None,
        "error": error,
    }
    if result is not None:
        values["result"] = result
    if status is JobStatus.SUCCEEDED:
        # Progress is complete, whatever the last report said.
        values["progress_done"] = func.coalesce(Job.progress_total, Job.progress_done)
    stmt = update(Job).where(Job.id == job_id, Job.status.in_(ACTIVE_STATUSES))
    if only_if is not None:
        stmt = stmt.where(only_if)
    with db.engine.begin() as conn:
        return conn.execute(stmt.values(**values).returning(Job.id)).first() is not None


def fail_if_abandoned(session: Session, job: Job) -> Job:
    """Mark ``job`` failed if it is running without a heartbeat (or queued) for too long; returns it fresh.

    Called whenever someone looks at a job (status endpoint, people page, enqueue): a worker that crashed
    or a process restarted mid-job leaves a running row behind, and nothing else would ever end it.
    """
    if not job.is_active:
        return job
    from flask import current_app

    now = utcnow()
    running_cutoff = now - timedelta(minutes=float(current_app.config.get("JOBS_STALE_MINUTES", 10)))
    queued_cutoff = now - timedelta(minutes=float(current_app.config.get("JOBS_QUEUED_STALE_MINUTES", 60)))
    stale = or_(
        and_(
            Job.status == JobStatus.RUNNING.value,
            func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at) < running_cutoff,
        ),
        and_(Job.status == JobStatus.QUEUED.value, Job.created_at < queued_cutoff),
    )
    last_seen = job.heartbeat_at or job.started_at or job.created_at
    cutoff = running_cutoff if job.status == JobStatus.RUNNING.value else queued_cutoff
    if last_seen >= cutoff:
        return job
    if finish(
        job.id,
        JobStatus.FAILED,
        message=(MSG_ABANDONED, {}),
        error=f"no sign of life since {last_seen.isoformat()} (status was {job.status})",
        only_if=stale,
    ):
        log.warning("job %s (%s) abandoned since %s: marked failed", job.id, job.kind, last_seen.isoformat())
    session.refresh(job)
    return job
