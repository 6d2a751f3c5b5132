"""Roster sync from the People page: the "Sync roster now" button, and the sync status every page of
the course can show. Also mounts the jobs blueprint (``GET /jobs/<id>``) the progress script polls.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect

from ..extensions import db
from ..jobs.status import message, percent
from ..jobs.views import bp as jobs_bp
from ..roster import tasks
from .access import require_tool_session, tool_url

bp = Blueprint("roster", __name__)
bp.register_blueprint(jobs_bp)


@bp.post("/space/people/sync")
@require_tool_session("coordinator")
def sync():
    """Start a roster sync of the current course (or join the one running), then show its progress."""
    job = tasks.request_sync(g.course, created_by=g.person.id)
    return redirect(tool_url("space.people", job=job.id) + "#roster-sync", code=303)


def roster_sync_status() -> tasks.SyncStatus | None:
    """For templates: the current course's roster sync status (None outside a course)."""
    course = g.get("course")
    if course is None:
        return None
    return tasks.sync_status(db.session(), course.id)


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"roster_sync_status": roster_sync_status, "job_message": message, "job_percent": percent}
