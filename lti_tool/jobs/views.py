"""``GET /jobs/<id>``: a job's status and progress as JSON, for the page that started it to poll."""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify

from ..extensions import db
from ..models import Job
from ..views.access import require_tool_session
from .runner import fail_if_abandoned
from .status import as_json

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def load_job(job_id: int) -> Job:
    """The job ``job_id`` of the current course, if the current person may see it; 404 otherwise.

    Coordinators see every job of their course; anyone else only the jobs they started. A job of another
    course is a 404 (not a 403), so ids cannot be probed across courses.
    """
    job = db.session.execute(db.select(Job).where(Job.id == job_id, Job.course_id == g.course.id)).scalar_one_or_none()
    if job is None:
        abort(404)
    if g.membership.program_role != "coordinator" and job.created_by != g.person.id:
        abort(404)
    return fail_if_abandoned(db.session(), job)


@bp.get("/<int:job_id>")
@require_tool_session()
def status(job_id: int):
    """Status, progress and message of one job of the current course (polled by job-progress.js)."""
    response = jsonify(as_json(load_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
