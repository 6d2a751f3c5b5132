"""Enqueue a job: commit its row, then hand its id to a runner.

Two runners, one contract (``run_job(app, job_id)``):

* **Embedded default** (``JOBS_INLINE``, no Redis): a small thread pool inside the web process
  (``JOBS_THREADS``, 2 by default). A job runs in a pool thread with its own app context and database
  session, never in the request thread, so the request returns at once.
* **Production** (``REDIS_URL`` set, ``JOBS_INLINE=0``): an RQ queue on Redis and ``flask jobs worker``
  processes. RQ, because it is already a dependency and Redis is already in production for launch data:
  no new service, no broker configuration, jobs named by an importable function and plain arguments. Job
  state, progress and deduplication live in our own ``job`` table, not in RQ, so the queue is only a
  transport: Celery's result backends, routing and beat, or Dramatiq's middleware, would buy nothing here
  but weight. A job lost by the queue (Redis flushed, a worker killed) is seen as abandoned and marked
  failed by :func:`~lti_tool.jobs.runner.fail_if_abandoned`; the user starts it again.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Job, JobStatus
from . import registry
from .runner import MSG_DISPATCH_FAILED, MSG_QUEUED, fail_if_abandoned, finish, run_job

log = logging.getLogger(__name__)

RQ_FUNCTION = "lti_tool.jobs.worker.perform"
_EXECUTOR_LOCK = threading.Lock()


def enqueue(kind: str, course_id: int | None = None, *, created_by: int | None = None, **params: Any) -> Job:
    """Create job ``kind`` for ``course_id`` with JSON ``params``, commit it, and dispatch it.

    Commits ``db.session`` (the caller's work is committed with the job row, so the job sees it). For a
    kind registered ``unique_per_course``, a queued or running job of the same course is returned instead
    of a new one: two "sync now" clicks start one sync.
    """
    spec = registry.spec(kind)
    if spec is None:
        raise ValueError(f"unknown job kind {kind!r}; registered: {', '.join(registry.registered())}")
    key = registry.dedupe_key(kind, course_id)
    session = db.session()
    for _attempt in range(3):
        if key is not None:
            existing = session.execute(select(Job).where(Job.dedupe_key == key)).scalar_one_or_none()
            if existing is not None:
                existing = fail_if_abandoned(session, existing)
                if existing.is_active:
                    session.commit()
                    return existing
                continue  # it was abandoned and is now failed: its key is free
        job = Job(
            kind=kind,
            course_id=course_id,
            created_by=created_by,
            params=params,
            status=JobStatus.QUEUED.value,
            message_key=MSG_QUEUED,
            dedupe_key=key,
        )
        try:
            with session.begin_nested():
                session.add(job)
                session.flush()
        except IntegrityError:
            continue  # another request created the same job a moment ago: return that one
        session.commit()
        dispatch(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
        return job
    raise RuntimeError(f"could not enqueue {kind} for course {course_id}")


def create_only(kind: str, course_id: int | None = None, *, created_by: int | None = None, **params: Any) -> Job:
    """Like :func:`enqueue` without dispatching (for running a job in the current process, as the CLI does)."""
    key = registry.dedupe_key(kind, course_id)
    job = Job(
        kind=kind,
        course_id=course_id,
        created_by=created_by,
        params=params,
        status=JobStatus.QUEUED.value,
        message_key=MSG_QUEUED,
        dedupe_key=key,
    )
    db.session.add(job)
    db.session.commit()
    return job


def dispatch(app: Flask, job_id: int) -> None:
    if inline(app):
        executor(app).submit(run_job, app, job_id)
        return
    try:
        rq_queue(app).enqueue(
            RQ_FUNCTION,
            job_id,
            job_id=f"mentoring-job-{job_id}",
            job_timeout=int(app.config.get("JOBS_TIMEOUT", 1800)),
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
        )
    except Exception as err:  # Redis down: the row says so rather than waiting forever
        log.exception("job %s could not be put on the RQ queue", job_id)
        finish(job_id, JobStatus.FAILED, message=(MSG_DISPATCH_FAILED, {}), error=f"{type(err).__name__}: {err}")


def inline(app: Flask) -> bool:
    return bool(app.config.get("JOBS_INLINE")) or not app.config.get("REDIS_URL")


def executor(app: Flask) -> ThreadPoolExecutor:
    """The process's bounded job thread pool (created on first use)."""
    pool = app.extensions.get("jobs_executor")
    if pool is None:
        with _EXECUTOR_LOCK:
            pool = app.extensions.get("jobs_executor")
            if pool is None:
                pool = ThreadPoolExecutor(
                    max_workers=int(app.config.get("JOBS_THREADS", 2)), thread_name_prefix="mentoring-job"
                )
                app.extensions["jobs_executor"] = pool
    return pool


def rq_queue(app: Flask):
    from redis import Redis
    from rq import Queue

    connection = app.extensions.get("jobs_redis")
    if connection is None:
        connection = Redis.from_url(app.config["REDIS_URL"])
        app.extensions["jobs_redis"] = connection
    return Queue(app.config.get("JOBS_QUEUE", "mentoring"), connection=connection)
