"""The ``notifications.tick`` job: the tick (:mod:`.tick`) run by the job system, never in a request."""

from __future__ import annotations

from typing import Any

from ..jobs import N_, JobContext, enqueue, job
from ..models import Job
from .tick import run_tick

KIND = "notifications.tick"
MSG_DONE = N_("Notifications: %(sent)s emails sent, %(skipped)s skipped, %(failed)s failed.")


@job(KIND)
def notifications_tick(ctx: JobContext) -> dict[str, Any]:
    """Queue due digests, nudges and reminders and deliver the outbox (see :func:`.tick.run_tick`)."""
    report = run_tick(ctx.session, ctx.config)
    d = report.delivery
    ctx.finish_message(MSG_DONE, sent=d.sent, skipped=d.skipped, failed=d.failed)
    return report.as_dict()


def request_tick() -> Job:
    """Hand a tick to the job runner (thread pool in the embedded setup, RQ in production). Commits."""
    return enqueue(KIND, None)
