"""``flask roster sync COURSE_ID``: sync one course's roster from the command line."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..jobs import create_only, run_in_context
from ..jobs.status import message
from ..models import Course, Job
from .tasks import KIND, request_sync

roster_cli = AppGroup("roster", help="Course rosters (NRPS).")


@roster_cli.command("sync")
@click.argument("course_id", type=int)
@click.option("--queue", "queued", is_flag=True, help="Hand the sync to the job runner instead of running it here.")
def sync_command(course_id: int, queued: bool) -> None:
    """Read COURSE_ID's roster from its LMS and update its memberships (the job the People page starts)."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise click.ClickException(f"No course with id {course_id}.")
    if queued:
        job = request_sync(course)
        click.echo(f"Roster sync of course {course_id} is job {job.id} ({job.status}).")
        return
    try:
        job = create_only(KIND, course_id)
    except IntegrityError as err:
        db.session.rollback()
        running = db.session.execute(
            select(Job.id).where(Job.course_id == course_id, Job.kind == KIND, Job.dedupe_key.is_not(None))
        ).scalar()
        raise click.ClickException(
            f"A roster sync of course {course_id} is already queued or running (job {running})."
        ) from err
    started = time.monotonic()
    run_in_context(job.id)
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done is not None
    click.echo(f"Job {done.id}: {done.status} in {time.monotonic() - started:.2f}s. {message(done)}")
    if done.status != "succeeded":
        if done.error:
            click.echo(done.error.splitlines()[0], err=True)
        raise SystemExit(1)
