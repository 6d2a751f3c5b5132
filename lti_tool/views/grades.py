"""Coordinators see every student's latest result per gradebook column and whether the LMS has it.

Thin views over :mod:`lti_tool.grades`: each loads the course from the tool session (``g.course``), calls a
service, commits, and hands delivery to a ``grades.deliver`` job (:mod:`lti_tool.grades.tasks`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, redirect, render_template, request
from flask_babel import gettext as _

from ..extensions import db
from ..grades import GradeError
from ..grades.lineitems import restore_missing
from ..grades.results import RECORDED_COURSES, latest_deliveries, resend, resend_failed
from ..grades.services import from_app
from ..grades.tasks import request_delivery
from ..models import (
    Course,
    GradableActivity,
    GradeOutbox,
    GradeResult,
    LineItem,
    LineItemStatus,
    Membership,
    OutboxStatus,
    Person,
)
from .access import require_tool_session, tool_url

bp = Blueprint("grades", __name__, url_prefix="/grades")
log = logging.getLogger(__name__)


@bp.after_app_request
def deliver_committed_results(response):
    """Any request that recorded results (an evaluation submitted, a reflection graded) starts delivery
    once its transaction is committed: a ``grades.deliver`` job per course (one per course at a time).

    The results are only delivered if they were committed: the job reads the outbox, and a request that
    rolled back left nothing pending there. Off with ``GRADES_DELIVER_AFTER_COMMIT=0`` (a separate
    ``flask grades worker`` then drains the outbox).
    """
    session = db.session()
    courses = session.info.pop(RECORDED_COURSES, None)
    if not courses or not current_app.config.get("GRADES_DELIVER_AFTER_COMMIT") or response.status_code >= 500:
        return response
    try:
        for course_id in sorted(courses):
            waiting = session.execute(
                db.select(GradeOutbox.id)
                .join(LineItem, LineItem.id == GradeOutbox.line_item_id)
                .where(LineItem.course_id == course_id, GradeOutbox.status == OutboxStatus.PENDING.value)
                .limit(1)
            ).first()
            course = session.get(Course, course_id)
            if waiting is not None and course is not None:
                person = g.get("person")
                request_delivery(course, created_by=person.id if person is not None else None)
    except Exception:  # the response is already decided; the next delivery picks these scores up
        log.exception("grades: could not start delivery after the request")
        session.rollback()
    return response


@dataclass(frozen=True)
class Row:
    person: Person
    result: GradeResult | None
    delivery: GradeOutbox | None


@dataclass(frozen=True)
class Column:
    item: LineItem
    rows: list[Row]


def _notices() -> dict[str, str]:
    return {
        "resent": _("The result is queued and will be sent to the LMS in a moment."),
        "not-failed": _("That result was not waiting to be resent."),
        "resent-all": _("Every failed result is queued again."),
        "nothing-failed": _("No result had failed."),
        "restored": _("The deleted gradebook columns were recreated; their results are being sent again."),
    }


def _columns() -> list[Column]:
    """Every line item of ``g.course`` with a row per student (active participants and anyone graded)."""
    course_id = g.course.id
    items = db.session.execute(db.select(LineItem).where(LineItem.course_id == course_id).order_by(LineItem.id))
    items_list = list(items.scalars())
    students = list(
        db.session.execute(
            db.select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.course_id == course_id,
                Membership.program_role == "participant",
                Membership.is_active.is_(True),
            )
        ).scalars()
    )
    results = list(
        db.session.execute(
            db.select(GradeResult, Person)
            .join(Person, Person.id == GradeResult.person_id)
            .join(LineItem, LineItem.id == GradeResult.line_item_id)
            .where(LineItem.course_id == course_id)
        ).all()
    )
    deliveries = latest_deliveries(db.session(), course_id)
    by_key = {(r.line_item_id, p.id): r for r, p in results}
    people = {p.id: p for p in students} | {p.id: p for _, p in results}
    ordered = sorted(people.values(), key=lambda p: (p.family_name or "", p.display_name.lower(), p.id))
    enrolled = {p.id for p in students}
    columns = []
    for item in items_list:
        rows = []
        for person in ordered:
            result = by_key.get((item.id, person.id))
            if result is None and person.id not in enrolled:
                continue
            rows.append(Row(person, result, deliveries.get(result.id) if result is not None else None))
        columns.append(Column(item, rows))
    return columns


def _activities_by_line_item() -> dict[int, GradableActivity]:
    rows = db.session.execute(
        db.select(GradableActivity).where(
            GradableActivity.course_id == g.course.id, GradableActivity.line_item_id.is_not(None)
        )
    ).scalars()
    return {a.line_item_id: a for a in rows if a.line_item_id is not None}


def _render(status: int = 200, error: str | None = None):
    notice = _notices().get(request.args.get("notice", ""))
    return (
        render_template(
            "grades/status.html",
            activities=_activities_by_line_item(),
            columns=_columns(),
            notice=notice,
            error=error,
            missing=LineItemStatus.MISSING.value,
        ),
        status,
    )


def _after_commit() -> None:
    """Hand delivery to the job runner (a pool thread embedded, an RQ worker in production)."""
    if current_app.config.get("GRADES_DELIVER_AFTER_COMMIT"):
        request_delivery(g.course, created_by=g.person.id)


def _restore_missing() -> None:
    """The next coordinator action recreates the columns the LMS deleted (their results go out again)."""
    if db.session.execute(
        db.select(LineItem.id).where(LineItem.course_id == g.course.id, LineItem.status == LineItemStatus.MISSING.value)
    ).first():
        restore_missing(db.session(), from_app(current_app), g.course)


def _done(notice: str):
    db.session.commit()
    _after_commit()
    return redirect(tool_url("grades.status", notice=notice), code=303)


@bp.get("/")
@require_tool_session("coordinator")
def status():
    """Per gradebook column, each student's latest result and its sync state with the LMS."""
    return _render()


@bp.post("/results/<int:result_id>/resend")
@require_tool_session("coordinator")
def resend_one(result_id: int):
    """Queue one failed result again. 404 when the result belongs to another course."""
    try:
        _restore_missing()
        queued = resend(db.session(), g.course.id, result_id)
    except GradeError as err:
        db.session.rollback()
        if err.status == 404:
            abort(404)
        return _render(err.status, err.message)
    return _done("resent" if queued else "not-failed")


@bp.post("/resend-failed")
@require_tool_session("coordinator")
def resend_all_failed():
    """Queue every failed result of the course again."""
    try:
        _restore_missing()
        queued = resend_failed(db.session(), g.course.id)
    except GradeError as err:
        db.session.rollback()
        return _render(err.status, err.message)
    return _done("resent-all" if queued else "nothing-failed")


@bp.post("/line-items/restore")
@require_tool_session("coordinator")
def restore():
    """Recreate the gradebook columns the LMS deleted."""
    try:
        restore_missing(db.session(), from_app(current_app), g.course)
    except GradeError as err:
        db.session.rollback()
        return _render(err.status, err.message)
    return _done("restored")
