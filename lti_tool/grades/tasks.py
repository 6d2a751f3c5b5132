"""Grade delivery as a job (:mod:`lti_tool.jobs`): what runs after a coordinator's action commits.

The job runs the same worker as ``flask grades deliver``; any number of them (and CLI workers) may run at
once, the outbox's leases keep each score to one sender. One delivery job per course is queued or running
at a time; a result committed while one runs is picked up by its next claim, or by the next job.

Recomputing participation (``grades.participation``) and regrading an evaluation activity after its
settings changed (``grades.regrade``) are jobs too, with progress, one per activity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import current_app
from flask_babel import force_locale, get_translations
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..extensions import db
from ..jobs import N_, JobContext, JobFailure, enqueue, fail_if_abandoned, job
from ..models import Course, Job, JobStatus
from ..models.jobs import ACTIVE_STATUSES
from .activities import ActivityError, TranslationsFor, Translator, recompute_participation, regrade_evaluation
from .delivery import DeliveryReport, deliver_pending
from .errors import NotInCourse
from .services import from_app

KIND = "grades.deliver"
MSG_DELIVERING = N_("Sending grades to the LMS: %(sent)s sent, %(waiting)s waiting to be retried…")
MSG_DELIVERED = N_("Grades sent to the LMS: %(sent)s sent, %(failed)s refused by the LMS.")
PARTICIPATION_KIND = "grades.participation"
MSG_COMPUTING = N_("Computing participation: %(counted)s of %(people)s participants…")
MSG_COMPUTED = N_(
    "Participation computed for %(people)s participants: %(changed)s new or changed scores sent to the LMS."
)
MSG_NO_ACTIVITY = N_("This activity no longer exists.")
REGRADE_KIND = "grades.regrade"
MSG_REGRADING = N_("Regrading with the new settings: %(counted)s of %(students)s students…")
MSG_REGRADED = N_(
    "Regraded with the new settings. Scores changed and sent to the LMS: %(regraded)s; already right: "
    "%(unchanged)s; given by a coordinator and kept as they were: %(overrides)s."
)
MSG_REGRADED_LEFT = N_(
    "Regraded with the new settings. Scores changed and sent to the LMS: %(regraded)s; already right: "
    "%(unchanged)s; given by a coordinator and kept as they were: %(overrides)s; left in the gradebook "
    "unchanged because the new settings no longer grade those students: %(left)s."
)


def comment_translations() -> TranslationsFor:
    """Flask-Babel's catalogue per language (for comments sent to the LMS in each student's language),
    each loaded once. Needs an app context (a job or a CLI command has one)."""
    loaded: dict[str, Translator] = {}

    def catalogue(language: str) -> Translator:
        if language not in loaded:
            with force_locale(language):
                loaded[language] = get_translations()
        return loaded[language]

    return catalogue


def language_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ``recompute_participation`` arguments that choose the comment's language."""
    return {
        "translations": comment_translations(),
        "languages": tuple(config.get("LANGUAGES") or ("en",)),
        "default_language": str(config.get("BABEL_DEFAULT_LOCALE") or "en"),
    }


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


Report = TypeVar("Report")


def _on_activity(ctx: JobContext, activity_id: int, compute: Callable[[Any], Report]) -> Report:
    """Run ``compute`` on the job's activity and commit; a vanished activity or a settings error fails the
    job with its message."""
    from .activities import load_activity

    try:
        activity = load_activity(ctx.session, ctx.course_id or 0, activity_id)
    except NotInCourse as err:
        raise JobFailure(MSG_NO_ACTIVITY) from err
    try:
        report = compute(activity)
    except ActivityError as err:
        raise JobFailure(err.message) from err
    ctx.session.commit()
    return report


def _deliver_changes(ctx: JobContext, changed: int) -> dict[str, Any]:
    """Send the scores a recompute changed, in this job (no second job to wait for)."""
    if not changed or not ctx.config.get("GRADES_DELIVER_AFTER_COMMIT"):
        return {}
    return deliver_pending(
        from_app(current_app._get_current_object()),  # type: ignore[attr-defined]
        wait=float(ctx.config.get("GRADES_JOB_WAIT", 60)),
    ).as_dict()


@job(PARTICIPATION_KIND)
def compute_participation(ctx: JobContext, activity_id: int) -> dict[str, Any]:
    """Job ``grades.participation``: recompute a participation activity, committing every chunk of people,
    then deliver the changed scores."""
    report = _on_activity(
        ctx,
        activity_id,
        lambda activity: recompute_participation(
            ctx.session,
            activity,
            chunk=int(ctx.config.get("GRADES_PARTICIPATION_CHUNK", 500)),
            commit=ctx.session.commit,
            progress=lambda done, total: ctx.progress(done, total, MSG_COMPUTING, counted=done, people=total),
            **language_settings(ctx.config),
        ),
    )
    delivered = _deliver_changes(ctx, report.changed)
    ctx.finish_message(MSG_COMPUTED, people=report.people, changed=report.changed)
    return {"people": report.people, "changed": report.changed, "delivery": delivered}


def _request_for_activity(kind: str, course: Course, activity_id: int, created_by: int | None) -> Job:
    session = db.session()
    for job_row in session.execute(
        select(Job)
        .where(Job.course_id == course.id, Job.kind == kind, Job.status.in_(ACTIVE_STATUSES))
        .order_by(Job.id.desc())
    ).scalars():
        if (job_row.params or {}).get("activity_id") == activity_id:
            job_row = fail_if_abandoned(session, job_row)
            if job_row.is_active:
                session.commit()
                return job_row
    return enqueue(kind, course.id, created_by=created_by, activity_id=activity_id)


def request_participation(course: Course, activity_id: int, created_by: int | None = None) -> Job:
    """Start recomputing a participation activity, or return the job already queued or running for that
    activity (another activity of the course gets its own job). Commits."""
    return _request_for_activity(PARTICIPATION_KIND, course, activity_id, created_by)


@job(REGRADE_KIND)
def regrade(ctx: JobContext, activity_id: int) -> dict[str, Any]:
    """Job ``grades.regrade``: regrade an evaluation activity's computed results with its current rule,
    maximum and checkpoint, committing every chunk, then deliver the changed scores (as participation does)."""
    report = _on_activity(
        ctx,
        activity_id,
        lambda activity: regrade_evaluation(
            ctx.session,
            activity,
            chunk=int(ctx.config.get("GRADES_REGRADE_CHUNK", 500)),
            commit=ctx.session.commit,
            progress=lambda done, total: ctx.progress(done, total, MSG_REGRADING, counted=done, students=total),
        ),
    )
    delivered = _deliver_changes(ctx, report.regraded)
    counts = report.as_dict()
    del counts["considered"]
    ctx.finish_message(MSG_REGRADED_LEFT if report.left else MSG_REGRADED, **counts)
    return {**report.as_dict(), "delivery": delivered}


def request_regrade(course: Course, activity_id: int, created_by: int | None = None) -> Job:
    """Start regrading an evaluation activity. A regrade of it still waiting to start is returned instead (it
    reads the newest settings when it starts); one already running may have read older settings, so a new
    job is queued. Two regrades of one activity at once are safe: each records only what differs, under
    row locks, and leaves coordinators' scores alone. Commits."""
    session = db.session()
    for job_row in session.execute(
        select(Job)
        .where(Job.course_id == course.id, Job.kind == REGRADE_KIND, Job.status == JobStatus.QUEUED.value)
        .order_by(Job.id.desc())
    ).scalars():
        if (job_row.params or {}).get("activity_id") == activity_id:
            job_row = fail_if_abandoned(session, job_row)
            if job_row.status == JobStatus.QUEUED.value:
                session.commit()
                return job_row
    return enqueue(REGRADE_KIND, course.id, created_by=created_by, activity_id=activity_id)


def activity_job(
    session: Session, course_id: int, kind: str, job_id: int | None = None, activity_id: int | None = None
) -> Job | None:
    """The course's job ``job_id`` of ``kind``, or the activity's latest one (for the page showing progress)."""
    query = select(Job).where(Job.course_id == course_id, Job.kind == kind)
    if job_id is not None:
        query = query.where(Job.id == job_id)
    for found in session.execute(query.order_by(Job.id.desc()).limit(50)).scalars():
        if activity_id is None or (found.params or {}).get("activity_id") == activity_id:
            return fail_if_abandoned(session, found)
    return None


def participation_job(
    session: Session, course_id: int, job_id: int | None = None, activity_id: int | None = None
) -> Job | None:
    """The course's participation job ``job_id``, or the activity's latest one (for the page showing progress)."""
    return activity_job(session, course_id, PARTICIPATION_KIND, job_id, activity_id)
