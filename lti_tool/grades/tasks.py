"""Grade delivery as a job (:mod:`lti_tool.jobs`): what runs after a coordinator's action commits.

The job runs the same worker as ``flask grades deliver``; any number of them (and CLI workers) may run at
once, the outbox's leases keep each score to one sender. One delivery job per course is queued or running
at a time; a result committed while one runs is picked up by its next claim, or by the next job.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..jobs import N_, JobContext, enqueue, job
from ..models import Course, Job
from .delivery import DeliveryReport, deliver_pending
from .services import from_app

KIND = "grades.deliver"
MSG_DELIVERING = N_("Sending grades to the LMS: %(sent)s sent, %(waiting)s waiting to be retried…")
MSG_DELIVERED = N_("Grades sent to the LMS: %(sent)s sent, %(failed)s refused by the LMS.")


@job(KIND, unique_per_course=True)
def deliver_grades(ctx: JobContext) -> dict[str, Any]:
    """Job ``grades.deliver``: drain the grade outbox, going on while retries fall due within GRADES_JOB_WAIT."""

    def progress(report: DeliveryReport) -> None:
        ctx.progress(
            report.sent + report.failed, report.claimed, MSG_DELIVERING, sent=report.sent, waiting=report.retried
        )

    report = deliver_pending(
        from_app(current_app._get_current_object()),  # type: ignore[attr-defined]
        wait=float(ctx.config.get("GRADES_JOB_WAIT", 60)),
        on_batch=progress,
    )
    ctx.finish_message(MSG_DELIVERED, sent=report.sent, failed=report.failed)
    return report.as_dict()


def request_delivery(course: Course, created_by: int | None = None) -> Job:
    """Start delivering (or return the delivery job already queued or running for the course). Commits."""
    return enqueue(KIND, course.id, created_by=created_by)
