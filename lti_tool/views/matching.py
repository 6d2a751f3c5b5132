"""Matching for coordinators: run the engine, review the proposed pairs with their reasons, approve them.

Runs are synchronous: the engine matches a course-sized program (hundreds of people) well within a
request, and the coordinator sees the result at once. Should programs grow past that, ``run`` is the one
place to hand ``matching_runs.run_matching`` to a background job instead.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from ..extensions import db
from ..mentoring import programs as service
from ..mentoring.matching.reasons import ReasonPart, render, render_unmatched
from ..mentoring.programs import matching_runs
from ..models import Participant
from .access import require_tool_session, tool_url

bp = Blueprint("matching", __name__, url_prefix="/matching")


@bp.app_context_processor
def _mentorship_helpers() -> dict[str, object]:
    """``my_mentors(participant)`` and ``my_mentees(participant)`` for the home card (names, active only)."""

    def my_mentors(participant: Participant) -> list[str]:
        return matching_runs.mentors_of(db.session(), participant)

    def my_mentees(participant: Participant) -> list[str]:
        return matching_runs.mentees_of(db.session(), participant)

    return {"my_mentors": my_mentors, "my_mentees": my_mentees}


def _gettext(text: str) -> str:
    return _(text)  # engine templates; English when the catalog has no translation


@bp.route("/")
@require_tool_session("coordinator")
def review():
    """The latest run's proposed pairs (score, reasons) and who was left unmatched, and why."""
    session = db.session()
    run = matching_runs.latest_run(session, g.course.id)
    pairs, unmatched, approved = [], [], set()
    if run is not None:
        ids = {p.mentee_id for p in run.pairs} | {p.mentor_id for p in run.pairs}
        ids |= {int(u["participant_id"]) for u in run.unmatched}
        names = matching_runs.names(session, ids)
        approved = {(m.mentee_id, m.mentor_id) for m in matching_runs.active_mentorships(session, g.course.id)}
        pairs = [
            {
                "id": p.id,
                "mentee": names.get(p.mentee_id, "?"),
                "mentor": names.get(p.mentor_id, "?"),
                "score": p.score,
                "reason": render([ReasonPart(code, params) for code, params in p.reason_parts], _gettext),
                "approved": (p.mentee_id, p.mentor_id) in approved,
                "state": p.state,
            }
            for p in run.pairs
        ]
        unmatched = [
            {
                "name": names.get(int(u["participant_id"]), "?"),
                "role": u["role"],
                "reason": render_unmatched(u["code"], u.get("params") or {}, _gettext),
            }
            for u in run.unmatched
        ]
    notice = {
        "ran": _("Matching finished. Review the pairs below."),
        "approved": _("Pairs approved."),
        "decided": _("Saved. Run matching again to apply pins and forbidden pairs."),
        "switch-approve": _("The pairing has ended. Run matching again to find a new match for the people in it."),
        "switch-decline": _("The request was declined; the pairing continues."),
        "already": _("That request was already decided."),
    }.get(request.args.get("done", ""))
    error = {
        "structure": _("Matching is available for one-to-one mentor programs only."),
        "pins": _("The pinned pairs cannot all be kept (a mentor's places or a hard rule): unpin one and run again."),
    }.get(request.args.get("error", ""))
    switches = matching_runs.pending_switches(session, g.course.id)
    switch_names = matching_runs.names(
        session,
        {i for r in switches for i in (r.requested_by, r.mentorship.mentee_id, r.mentorship.mentor_id)},
    )
    db.session.commit()
    return render_template(
        "matching/review.html",
        run=run,
        pairs=pairs,
        unmatched=unmatched,
        notice=notice,
        error=error,
        switches=switches,
        switch_names=switch_names,
    )


@bp.route("/run", methods=["POST"])
@require_tool_session("coordinator")
def run() -> BaseResponse:
    """Run the program's matching now and store the proposal (nothing is approved yet)."""
    program = service.get_or_create_program(db.session(), g.course.id)
    if program.is_peer or program.structure != "one_to_one":
        return redirect(tool_url("matching.review", error="structure"))
    try:
        matching_runs.run_matching(db.session(), program, created_by=g.person.id)
    except service.NotAllowed:
        db.session.rollback()
        return redirect(tool_url("matching.review", error="pins"))
    db.session.commit()
    return redirect(tool_url("matching.review", done="ran"))


@bp.route("/runs/<int:run_id>/approve", methods=["POST"])
@require_tool_session("coordinator")
def approve(run_id: int) -> BaseResponse:
    """Turn a run's pairs into mentorships (pairs already approved are kept; approving twice is harmless)."""
    found = matching_runs.get_run(db.session(), g.course.id, run_id)
    if found is None:
        abort(404)
    matching_runs.approve_run(db.session(), found)
    db.session.commit()
    return redirect(tool_url("matching.review", done="approved"))


@bp.route("/runs/<int:run_id>/pairs/<int:pair_id>", methods=["POST"])
@require_tool_session("coordinator")
def decide_pair(run_id: int, pair_id: int) -> BaseResponse:
    """Pin a pair (the next run keeps it), forbid it (no run proposes it again), or undo that."""
    found = matching_runs.get_run(db.session(), g.course.id, run_id)
    if found is None:
        abort(404)
    try:
        matching_runs.set_pair_state(db.session(), found, pair_id, request.form.get("state", ""))
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        abort(400)
    db.session.commit()
    return redirect(tool_url("matching.review", done="decided") + f"#pair-{pair_id}")


@bp.route("/switch", methods=["POST"])
@require_tool_session("participant")
def request_switch() -> BaseResponse | tuple[str, int]:
    """A mentee or mentor asks to end or change their pairing; only coordinators read the reason."""
    session = db.session()
    program = service.get_or_create_program(session, g.course.id)
    participant = service.find_participant(session, program, g.membership.id)
    if participant is None:
        abort(403)
    try:
        matching_runs.request_switch(session, participant, request.form.get("reason", ""))
    except service.NotAllowed as err:
        db.session.rollback()
        return render_template("matching/switch.html", error=_(str(err)), reason=request.form.get("reason", "")), 400
    db.session.commit()
    return redirect(tool_url("space.home", switch="sent"))


@bp.route("/switch", methods=["GET"])
@require_tool_session("participant")
def switch_form() -> str:
    """The form to ask for a change of pairing."""
    return render_template("matching/switch.html", error=None, reason="")


@bp.route("/switches/<int:request_id>", methods=["POST"])
@require_tool_session("coordinator")
def decide_switch(request_id: int) -> BaseResponse:
    """Approve (the pairing ends; run matching again to re-match) or decline a request to change a pairing."""
    decision = request.form.get("decision")
    if decision not in {"approve", "decline"}:
        abort(400)
    try:
        matching_runs.decide_switch(
            db.session(), g.course.id, request_id, approve=decision == "approve", decided_by=g.person.id
        )
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        db.session.rollback()
        return redirect(tool_url("matching.review", done="already"))
    db.session.commit()
    return redirect(tool_url("matching.review", done="switch-" + decision))
