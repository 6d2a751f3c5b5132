"""``flask grades …``: deliver the grade outbox from the command line or as a long-running worker."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..extensions import db
from ..models import GradeOutbox
from .delivery import deliver_pending
from .services import from_app

grades_cli = AppGroup("grades", help="Grade delivery to the LMS gradebooks (AGS outbox).")


def _report_line(report) -> str:  # type: ignore[no-untyped-def]
    return (
        f"sent {report.sent}, retrying {report.retried}, failed {report.failed}, "
        f"line items missing {report.missing}, token requests {report.token_requests}, {report.seconds:.2f} s"
    )


@grades_cli.command("deliver")
@click.option("--concurrency", type=int, default=None, help="Parallel requests (default GRADES_CONCURRENCY).")
@click.option("--wait", type=float, default=0.0, help="Keep going while retries fall due within this many seconds.")
def deliver(concurrency: int | None, wait: float) -> None:
    """Deliver every due outbox row once (safe to run beside other workers)."""
    report = deliver_pending(from_app(current_app), concurrency=concurrency, wait=wait)
    click.echo(_report_line(report))


@grades_cli.command("worker")
@click.option("--concurrency", type=int, default=None, help="Parallel requests (default GRADES_CONCURRENCY).")
@click.option("--poll", type=float, default=2.0, help="Seconds between looks at an empty outbox.")
def worker(concurrency: int | None, poll: float) -> None:
    """Deliver continuously until interrupted; run one per host or several, they share the outbox safely."""
    services = from_app(current_app)
    click.echo("Delivering grades; Ctrl+C to stop.")
    try:
        while True:
            report = deliver_pending(services, concurrency=concurrency, wait=poll)
            if report.claimed:
                click.echo(_report_line(report))
            else:
                time.sleep(poll)
    except KeyboardInterrupt:
        click.echo("Stopped; rows in flight are picked up again after their lease.")


@grades_cli.command("status")
def status() -> None:
    """Count outbox rows by state."""
    rows = db.session.execute(
        select(GradeOutbox.status, func.count()).group_by(GradeOutbox.status).order_by(GradeOutbox.status)
    ).all()
    if not rows:
        click.echo("The grade outbox is empty.")
    for state, count in rows:
        click.echo(f"{state:<10} {count}")


@grades_cli.command("participation")
@click.option("--course", "course_id", type=int, default=None, help="Only this course (tool course id).")
def participation(course_id: int | None) -> None:
    """Recompute every participation activity (or one course's) and queue the changed scores (for cron)."""
    from ..models.activities import GradableActivity, ScoringRule
    from .activities import recompute_participation
    from .tasks import language_settings

    languages = language_settings(current_app.config)

    query = select(GradableActivity.id).where(GradableActivity.rule == ScoringRule.PARTICIPATION.value)
    if course_id is not None:
        query = query.where(GradableActivity.course_id == course_id)
    total = 0
    for activity_id in list(db.session.execute(query.order_by(GradableActivity.id)).scalars()):
        activity = db.session.get(GradableActivity, activity_id)
        if activity is None or activity.line_item_id is None:
            continue
        report = recompute_participation(db.session(), activity, commit=db.session.commit, **languages)
        db.session.commit()
        total += report.changed
        click.echo(f"activity {activity_id} ({activity.title}): {report.people} participants, {report.changed} changed")
    click.echo(f"{total} scores queued; `flask grades deliver` (or a running worker) sends them.")


def init_app(app) -> None:  # type: ignore[no-untyped-def]
    app.cli.add_command(grades_cli)
