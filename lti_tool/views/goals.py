"""Goal pages of a mentoring space: the mentee's goals with milestones, the mentor's comments, the history.

Thin views over :mod:`lti_tool.mentoring.goals`. Every page first loads the space for the viewer with
:func:`space_access` (another course's space, another pair's, or a space the viewer is not in: 404), then
checks what they may read: members and coordinators of moderated programs see the goals; coordinators of
unmoderated programs see counts only. Domain refusals become answers in one place (the ``errorhandler``
functions below): not found → 404, not allowed or read-only → 403. A refused form comes back with status
400, the messages in an ``aria-live`` summary and everything typed kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from werkzeug.exceptions import Forbidden as HttpForbidden
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.routing import BuildError

from ..extensions import db
from ..mentoring import goals as gs
from ..mentoring import spaces
from ..mentoring.discussions.markdown import render_markdown
from ..mentoring.meetings import fields
from ..models.base import utcnow
from .access import require_tool_session, tool_url
from .discussions import accepted_rules
from .errors import render_http_error
from .templating import viewer_zone

bp = Blueprint("goals", __name__, url_prefix="/spaces/<kind>/<int:space_id>/goals")

FORM_ROWS_EXTRA = 2  # empty milestone rows offered below the existing ones


# --- helpers shared by the goal, meeting and calendar views ----------------------------------------------


def space_access(kind: str, space_id: int) -> spaces.SpaceAccess:
    """The space for the current viewer, looked up in their course; 404 if they may not enter it."""
    try:
        return spaces.access(
            db.session(),
            g.course.id,
            g.person.id,
            kind,
            space_id,
            is_coordinator=g.membership.program_role == "coordinator",
        )
    except spaces.SpaceNotFound:
        db.session.rollback()
        abort(404)


def translate_errors(err: fields.InvalidInput) -> dict[str, str]:
    """The domain's English messages (``N_``-marked) in the reader's language."""
    return {name: _(message, **params) for name, (message, params) in err.errors.items()}  # type: ignore[arg-type]


def viewer_today() -> date:
    """Today's date in the viewer's time zone (what "due today" and "overdue" are judged against)."""
    return utcnow().astimezone(viewer_zone()).date()


def status_label(status: str) -> str:
    return {
        "not_started": _("Not started"),
        "on_track": _("On track"),
        "at_risk": _("At risk"),
        "done": _("Done"),
        "dropped": _("Dropped"),
    }.get(status, status)


def due_label(state: tuple[str, int] | None) -> str:
    if state is None:
        return ""
    kind, days = state
    if kind == "overdue":
        return ngettext("Overdue by %(num)s day", "Overdue by %(num)s days", days)
    if kind == "today":
        return _("Due today")
    return ngettext("Due in %(num)s day", "Due in %(num)s days", days)


def space_title(access: spaces.SpaceAccess) -> str:
    names = [m.name for m in access.space.members if m.person_id != access.viewer_person_id]
    if access.is_member:
        return _("You and %(names)s", names=", ".join(names))
    return ", ".join(m.name for m in access.space.members)


@bp.app_template_filter("goal_markdown")
def _goal_markdown(text: str) -> Markup:
    """Markdown typed in a goal, rendered and sanitised (nh3) for the page."""
    return Markup(render_markdown(text or ""))  # noqa: S704 - sanitised by render_markdown


@bp.app_template_global("space_goal_summary")
def space_goal_summary(access: spaces.SpaceAccess) -> dict[str, Any]:
    """For the space page's goals section: counts, and the open goals with their due state when the viewer
    may read them."""
    today = viewer_today()
    space = access.space
    counts = gs.space_goal_counts(db.session(), space.course_id, space.kind, space.id, today=today)
    goals = gs.list_goals(db.session(), space.course_id, space.kind, space.id) if access.may_read else []
    open_goals = [goal for goal in goals if goal.status in gs.OPEN_STATUSES]
    return {
        "counts": counts,
        "goals": open_goals[:5],
        "more": max(0, len(open_goals) - 5),
        "today": today,
        "due_state": gs.due_state,
        "due_label": due_label,
    }


@bp.app_template_global("goal_status_label")
def _goal_status_label(status: str) -> str:
    return status_label(status)


@bp.errorhandler(gs.GoalNotFound)
@bp.errorhandler(spaces.SpaceNotFound)
def _not_found(err: Exception):
    db.session.rollback()
    return render_http_error(HttpNotFound())


@bp.errorhandler(gs.GoalNotAllowed)
@bp.errorhandler(spaces.SpaceReadOnly)
def _forbidden(err: Exception):
    db.session.rollback()
    return render_http_error(HttpForbidden())


def space_url(access: spaces.SpaceAccess) -> str | None:
    """The space's own page (threads, goals and meetings together), when that page exists."""
    try:
        return tool_url("spaces.space", kind=access.space.kind, space_id=access.space.id)
    except BuildError:
        return None


def _context(access: spaces.SpaceAccess, **extra: Any) -> dict[str, Any]:
    return {
        "space_url": space_url(access),
        "access": access,
        "space": access.space,
        "kind": access.space.kind,
        "space_id": access.space.id,
        "space_title": space_title(access),
        "today": viewer_today(),
        "due_state": gs.due_state,
        "due_label": due_label,
        "statuses": [(s, status_label(s)) for s in gs.GOAL_STATUSES],
        "may_own": lambda goal=None: gs.may_own(access, goal),
        **extra,
    }


def _require_read(access: spaces.SpaceAccess) -> None:
    if not access.may_read:
        abort(403)


# --- pages -----------------------------------------------------------------------------------------------


@bp.route("/")
@require_tool_session()
@accepted_rules
def index(kind: str, space_id: int):
    """The space's goals with what is overdue; coordinators of unmoderated programs see counts only."""
    access = space_access(kind, space_id)
    session = db.session()
    today = viewer_today()
    counts = gs.space_goal_counts(session, g.course.id, access.space.kind, access.space.id, today=today)
    goals = gs.list_goals(session, g.course.id, access.space.kind, access.space.id) if access.may_read else []
    session.commit()
    return render_template(
        "goals/index.html",
        **_context(access, goals=goals, counts=counts, saved=request.args.get("saved")),
    )


def _goal_values(goal: Any | None) -> tuple[dict[str, Any], int]:
    if goal is None:
        return {"status": "not_started"}, 3
    values: dict[str, Any] = {
        "title": goal.title,
        "why": goal.why,
        "measure": goal.measure,
        "due_on": goal.due_on.isoformat() if goal.due_on else "",
        "status": goal.status,
    }
    for i, m in enumerate(goal.milestones):
        values[f"m{i}_id"] = str(m.id)
        values[f"m{i}_title"] = m.title
        values[f"m{i}_due"] = m.due_on.isoformat() if m.due_on else ""
        values[f"m{i}_done"] = "1" if m.done else ""
    return values, min(len(goal.milestones) + FORM_ROWS_EXTRA, gs.MAX_MILESTONES)


def _form(access: spaces.SpaceAccess, goal: Any | None):
    if not gs.may_own(access, goal):
        access.require_write()
        raise gs.GoalNotAllowed()
    session = db.session()
    values, rows = _goal_values(goal)
    errors: dict[str, str] = {}
    if request.method == "POST":
        rows = min(request.form.get("rows", type=int) or rows, gs.MAX_MILESTONES)
        values = {k: request.form.get(k, "") for k in request.form if k not in ("csrf_token", "ts")}
        try:
            data = gs.parse_goal(request.form, rows=rows)
            saved = (
                gs.create_goal(session, access, data) if goal is None else gs.update_goal(session, access, goal, data)
            )
        except fields.InvalidInput as err:
            session.rollback()
            errors = translate_errors(err)
        else:
            session.commit()
            return redirect(
                tool_url("goals.show", kind=access.space.kind, space_id=access.space.id, goal_id=saved.id, saved=1),
                code=303,
            )
    session.commit()
    return render_template("goals/form.html", **_context(access, goal=goal, values=values, errors=errors, rows=rows)), (
        400 if errors else 200
    )


@bp.route("/new", methods=["GET", "POST"])
@require_tool_session()
@accepted_rules
def new(kind: str, space_id: int):
    """The mentee writes a goal: title, why, how progress is measured, due date, milestones, status."""
    return _form(space_access(kind, space_id), None)


@bp.route("/<int:goal_id>")
@require_tool_session()
@accepted_rules
def show(kind: str, space_id: int, goal_id: int):
    """One goal: milestones with what is due, comments, the status form (mentee) and the update history."""
    access = space_access(kind, space_id)
    session = db.session()
    goal = gs.get_goal(session, access, goal_id)
    history = gs.history(session, goal)
    session.commit()
    return render_template(
        "goals/goal.html",
        **_context(
            access,
            goal=goal,
            history=history,
            names={m.person_id: m.name for m in access.space.members},
            errors={},
            values={},
            saved=request.args.get("saved"),
        ),
    )


@bp.route("/<int:goal_id>/edit", methods=["GET", "POST"])
@require_tool_session()
@accepted_rules
def edit(kind: str, space_id: int, goal_id: int):
    access = space_access(kind, space_id)
    goal = gs.get_goal(db.session(), access, goal_id)
    return _form(access, goal)


@bp.route("/<int:goal_id>/status", methods=["POST"])
@require_tool_session()
@accepted_rules
def status(kind: str, space_id: int, goal_id: int):
    """The mentee moves the goal to another status (recorded in its history)."""
    access = space_access(kind, space_id)
    session = db.session()
    goal = gs.get_goal(session, access, goal_id)
    try:
        gs.set_status(session, access, goal, request.form.get("status", ""))
    except fields.InvalidInput:
        session.rollback()
        abort(400)
    session.commit()
    return redirect(tool_url("goals.show", kind=kind, space_id=space_id, goal_id=goal_id, saved=1), code=303)


@bp.route("/<int:goal_id>/milestones/<int:milestone_id>", methods=["POST"])
@require_tool_session()
@accepted_rules
def milestone(kind: str, space_id: int, goal_id: int, milestone_id: int):
    """The mentee ticks a milestone off (``done=1``) or reopens it (``done=0``)."""
    access = space_access(kind, space_id)
    session = db.session()
    goal = gs.get_goal(session, access, goal_id)
    gs.toggle_milestone(session, access, goal, milestone_id, request.form.get("done") == "1")
    session.commit()
    return redirect(tool_url("goals.show", kind=kind, space_id=space_id, goal_id=goal_id, saved=1), code=303)


@bp.route("/<int:goal_id>/comments", methods=["POST"])
@require_tool_session()
@accepted_rules
def comment(kind: str, space_id: int, goal_id: int):
    """A member of the pair comments on the goal (Markdown, sanitised)."""
    access = space_access(kind, space_id)
    session = db.session()
    goal = gs.get_goal(session, access, goal_id)
    body = request.form.get("body", "")
    try:
        gs.add_comment(session, access, goal, body)
    except fields.InvalidInput as err:
        session.rollback()
        goal = gs.get_goal(session, access, goal_id)
        return render_template(
            "goals/goal.html",
            **_context(
                access,
                goal=goal,
                history=gs.history(session, goal),
                names={m.person_id: m.name for m in access.space.members},
                errors=translate_errors(err),
                values={"body": body},
                saved=None,
            ),
        ), 400
    session.commit()
    return redirect(tool_url("goals.show", kind=kind, space_id=space_id, goal_id=goal_id, _anchor="comments"), code=303)
