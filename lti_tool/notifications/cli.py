"""``flask notifications …``: the cron-style tick, delivery only, and the outbox's state."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..extensions import db
from ..models.notifications import NotificationOutbox
from .delivery import deliver_due
from .tick import run_tick

notifications_cli = AppGroup("notifications", help="Email notifications: digests, reminders, nudges.")


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-11-23T08:00:00+00:00")
    return at


@notifications_cli.command("run")
@click.option("--now", "now_text", default=None, help="Pretend it is this ISO time (testing schedules).")
@click.option("--no-deliver", is_flag=True, help="Only queue what is due; do not send.")
def run_command(now_text: str | None, no_deliver: bool) -> None:
    """One tick: queue due digests, nudges and meeting reminders, then deliver the outbox. Run it from cron
    every few minutes; several at once are safe."""
    report = run_tick(db.session(), current_app.config, now=_parse_now(now_text), deliver=not no_deliver)
    click.echo(report.line())
    for error in report.delivery.errors[:5]:
        click.echo(f"  error: {error}", err=True)


@notifications_cli.command("deliver")
def deliver_command() -> None:
    """Send the due outbox rows only."""
    report = deliver_due(db.session(), current_app.config)
    click.echo(f"sent {report.sent}, skipped {report.skipped}, retrying {report.retried}, failed {report.failed}")


@notifications_cli.command("status")
def status_command() -> None:
    """Count outbox rows by state."""
    rows = db.session.execute(select(NotificationOutbox.status, func.count()).group_by(NotificationOutbox.status)).all()
    if not rows:
        click.echo("The notification outbox is empty.")
    for state, count in sorted(rows):
        click.echo(f"{state:<10} {count}")


def init_app(app) -> None:  # type: ignore[no-untyped-def]
    app.cli.add_command(notifications_cli)
