"""The course's mentoring space: where every launch lands."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template
from sqlalchemy import bindparam, func, select

from ..database import commit_if_written
from ..extensions import db
from ..mentoring import programs
from ..models import Membership, Person
from .access import require_tool_session, tool_url

bp = Blueprint("space", __name__, url_prefix="/space")

# Active members per program role in a course (the coordinator's home card); built once.
_ROLE_COUNTS = (
    select(Membership.program_role, func.count())
    .where(Membership.course_id == bindparam("course_id"), Membership.is_active.is_(True))
    .group_by(Membership.program_role)
)


@bp.route("/")
@require_tool_session()
def home():
    counts: dict[str, int] = {}
    if g.membership.program_role == "coordinator":
        counts = dict(db.session.execute(_ROLE_COUNTS, {"course_id": g.course.id}).all())  # type: ignore[arg-type]
    # The participant's place in the course's program: a program that requires profiles sends people to
    # theirs first; otherwise the home page shows what is missing.
    program, known = programs.program_and_participant(db.session(), g.course.id, g.membership.id)
    looked_up = program is not None  # the query also looked for the participant row
    if program is None:
        program = programs.get_or_create_program(db.session(), g.course.id)
    participant = programs.ensure_participant(db.session(), program, g.membership, known, looked_up=looked_up)
    commit_if_written(db.session())
    if participant is not None and program.profile_required and programs.needs_profile(program, participant):
        return redirect(tool_url("program.profile"))
    return render_template("space/home.html", counts=counts, program_participant=participant)


@bp.route("/people")
@require_tool_session("coordinator")
def people():
    """Coordinators see who is in the course (from launches now, from the NRPS roster once synced)."""
    members = db.session.execute(
        db.select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.course_id == g.course.id)
        .order_by(Membership.program_role, Person.family_name, Person.name, Person.id)
    ).all()
    return render_template("space/people.html", members=members)


@bp.route("/about")
@require_tool_session()
def about():
    """What this space is, who can see what, and how to get help."""
    return render_template("space/about.html")
