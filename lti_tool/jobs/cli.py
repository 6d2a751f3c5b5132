"""``flask jobs …``: run the RQ worker, list recent jobs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import Job

jobs_cli = AppGroup("jobs", help="Background jobs (roster sync, …): worker and status.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts and tests).")
def worker_command(burst: bool) -> None:
    """Run an RQ worker for the jobs queue (production: REDIS_URL set and JOBS_INLINE=0)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process (JOBS_INLINE).")
    from rq import Worker

    from .queue import rq_queue
    from .worker import set_app

    set_app(app)
    queue = rq_queue(app)
    click.echo(f"Worker on queue {queue.name!r} at {app.config['REDIS_URL'].split('@')[-1]}")
    Worker([queue], connection=queue.connection).work(burst=burst, with_scheduler=False)


@jobs_cli.command("list")
@click.option("--course", "course_id", type=int, default=None, help="Only this course's jobs.")
@click.option("--limit", default=20, show_default=True)
def list_command(course_id: int | None, limit: int) -> None:
    """The most recent jobs, newest first, with their status and progress."""
    query = db.select(Job).order_by(Job.id.desc()).limit(limit)
    if course_id is not None:
        query = query.where(Job.course_id == course_id)
    for job in db.session.execute(query).scalars():
        total = job.progress_total if job.progress_total is not None else "?"
        click.echo(
            f"{job.id:>6}  {job.kind:<14} course={job.course_id} {job.status:<9} "
            f"{job.progress_done}/{total}  {job.created_at:%Y-%m-%d %H:%M:%S}"
            + (f"  error: {job.error.splitlines()[0]}" if job.error else "")
        )
