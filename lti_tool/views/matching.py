"""Matching for coordinators: run the engine, review the proposed pairs with their reasons, approve them.

Runs are synchronous: the engine matches a course-sized program (hundreds of people) well within a
request, and the coordinator sees the result at once. Should programs grow past that, ``run`` is the one
place to hand ``matching_runs.run_matching`` to a background job instead.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response as BaseResponse

from ..extensions import db
from ..mentoring import programs as service
from ..mentoring import spaces
from ..mentoring.matching.reasons import ReasonPart, render, render_unmatched
from ..mentoring.programs import editing, group_mentors, inclusion, matching_runs
from ..mentoring.programs import groups as groups_service
from ..models import Mentorship, Participant
from .access import require_tool_session, tool_url

bp = Blueprint("matching", __name__, url_prefix="/matching")


@bp.app_context_processor
def _mentorship_helpers() -> dict[str, object]:
    """``my_mentors``, ``my_mentees`` and ``my_groups`` for the viewer's home card (active ones only).

    All three read the viewer's spaces (``spaces.spaces_of``), which a page loads once and shares with the
    other home cards.
    """

    def _mine(participant: Participant) -> list[tuple[spaces.Space, spaces.Member]]:
        """The viewer's active spaces as this participant, each with the viewer's own member entry."""
        found = []
        for space in spaces.spaces_of(db.session(), g.course.id, g.person.id, active_only=True):
            me = space.member(g.person.id)
            if me is not None and me.participant_id == participant.id:
                found.append((space, me))
        return found

    def _partners(participant: Participant, my_role: str, their_role: str) -> list[str]:
        names = {
            m.name
            for space, me in _mine(participant)
            if space.kind == spaces.PAIR and me.role == my_role
            for m in space.members
            if m.role == their_role
        }
        return sorted(names, key=str.casefold)

    def my_mentors(participant: Participant) -> list[str]:
        return _partners(participant, "mentee", "mentor")

    def my_mentees(participant: Participant) -> list[str]:
        return _partners(participant, "mentor", "mentee")

    def my_groups(participant: Participant) -> list[dict]:
        """The participant's active groups: name, members (name and role) and the group space's address."""
        has_space = "spaces.space" in current_app.view_functions
        return [
            {
                "id": s.id,
                "name": s.title,
                "members": [(m.name, m.role) for m in s.members if m.participant_id != participant.id],
                "url": tool_url("spaces.space", kind="group", space_id=s.id) if has_space else None,
            }
            for s, _me in sorted(_mine(participant), key=lambda found: found[0].id)
            if s.kind == spaces.GROUP
        ]

    return {"my_mentors": my_mentors, "my_mentees": my_mentees, "my_groups": my_groups}


def _gettext(text: str) -> str:
    """Engine templates, translated once per request (English when the catalog has no translation)."""
    cache = g.setdefault("_matching_gettext", {})
    if text not in cache:
        cache[text] = _(text)
    return cache[text]


def _soft_text(codes) -> str:
    names = {
        "no_shared_language": _("they share no language, which the program requires"),
        "no_availability_overlap": _("their availability overlaps less than the program's minimum"),
    }
    return "; ".join(names.get(c, c) for c in codes)


def _reason(parts) -> str:
    return render([ReasonPart(code, params) for code, params in parts], _gettext)


def _pair_view(session, program, run, names: dict[int, str]) -> tuple[list[dict], list[dict]]:
    """Pairs with their edit options, and unmatched people (mentees with the mentors they could get)."""
    approved = {(m.mentee_id, m.mentor_id) for m in matching_runs.active_mentorships(session, g.course.id)}
    editor = editing.ProposalEditor(session, program, run)
    pairs = []
    for p in run.pairs:
        is_approved = (p.mentee_id, p.mentor_id) in approved
        options = [] if is_approved or p.state == "forbidden" else editor.candidates(p.mentee_id, pair=p)
        pairs.append(
            {
                "id": p.id,
                "mentee_id": p.mentee_id,
                "mentee": names.get(p.mentee_id, "?"),
                "mentor": names.get(p.mentor_id, "?"),
                "score": p.score,
                "reason": _reason(p.reason_parts),
                "approved": is_approved,
                "state": p.state,
                "options": [_candidate(c, names) for c in options],
            }
        )
    unmatched = []
    for u in run.unmatched:
        pid = int(u["participant_id"])
        options = editor.candidates(pid) if u["role"] == "mentee" else []
        unmatched.append(
            {
                "id": pid,
                "name": names.get(pid, "?"),
                "role": u["role"],
                "code": u["code"],
                "reason": render_unmatched(u["code"], u.get("params") or {}, _gettext),
                "options": [_candidate(c, names) for c in options],
            }
        )
    return pairs, unmatched


def _candidate(c: editing.Candidate, names: dict[int, str]) -> dict:
    templates = g.setdefault("_matching_places", {})
    if c.places_left not in templates:  # translated once per count; names and scores filled in below
        templates[c.places_left] = ngettext(
            "%(name)s — score %(score)s, %(num)s place left",
            "%(name)s — score %(score)s, %(num)s places left",
            c.places_left,
            name="%(name)s",
            score="%(score)s",
        )
    label = templates[c.places_left] % {"name": names.get(c.mentor_id, "?"), "score": f"{c.score.score:.2f}"}
    if c.soft:
        label += " — " + _("breaks a rule: %(rules)s", rules=_soft_text(c.soft))
    return {"id": c.mentor_id, "label": label, "reason": _reason([[p.code, p.params] for p in c.score.parts])}


def _group_view(session, program, run, names: dict[int, str]) -> tuple[list[dict], list[dict]]:
    editor = groups_service.GroupEditor(session, program, run)
    shown = []
    for grp in run.groups:
        approved = grp.id in editor.approved_ids
        members = []
        for m in grp.members:
            pid = int(m["participant_id"])
            existing = bool(m.get("existing"))
            options = [] if approved or existing or m["role"] == "mentor" else editor.options_for(pid)
            reason = _reason(m.get("reason_parts") or [])
            if m.get("with") is not None and reason:
                reason = _("with %(name)s: %(reason)s", name=names.get(int(m["with"]), "?"), reason=reason)
            members.append(
                {
                    "id": pid,
                    "name": names.get(pid, "?"),
                    "role": m["role"],
                    "score": float(m.get("score") or 0),
                    "reason": reason,
                    "existing": existing,
                    "options": [_group_option(o, names) for o in options],
                }
            )
        shown.append(
            {
                "id": grp.id,
                "name": grp.name,
                "score": grp.score,
                "state": grp.state,
                "approved": approved,
                "joins": grp.group_id is not None,
                "members": members,
            }
        )
    unmatched = []
    for u in run.unmatched:
        pid = int(u["participant_id"])
        options = editor.options_for(pid) if u["role"] in ("mentee", "peer") else []
        unmatched.append(
            {
                "id": pid,
                "name": names.get(pid, "?"),
                "role": u["role"],
                "code": u["code"],
                "reason": render_unmatched(u["code"], u.get("params") or {}, _gettext),
                "options": [_group_option(o, names) for o in options],
            }
        )
    return shown, unmatched


def _group_option(option, names: dict[int, str]) -> dict:
    grp, entry, soft = option
    label = _("%(group)s — score %(score)s", group=grp.name, score=f"{float(entry['score']):.2f}")
    if soft:
        label += " — " + _("breaks a rule: %(rules)s", rules=_soft_text(soft))
    return {"id": grp.id, "label": label}


def _edit_error(err: editing.EditRefused) -> str:
    if err.code == "needs_confirmation":
        return _(
            "This change breaks a program rule (%(rules)s). Tick “I know, make this change anyway” to go ahead.",
            rules=_soft_text(err.violations),
        )
    return {
        "mentor_full": _("That mentor has no place left. Free a place first, or choose another mentor."),
        "group_full": _("That group is full."),
        "already_paired": _("This person already has a mentor."),
        "forbidden": _("This pair is forbidden (or ended on request) and cannot be proposed."),
        "self": _("Nobody can mentor themselves."),
        "not_a_mentor": _("That person is not an approved mentor in this program."),
        "not_a_mentee": _("That person cannot be placed here."),
        "approved": _("This part of the proposal is already approved; it can no longer be edited here."),
        "already_in_group": _("That person is already in this group."),
        "left_group": _("That person left this group earlier and is not added back here."),
    }.get(err.code, _("This change to the proposal is not allowed."))


@bp.route("/")
@require_tool_session("coordinator")
def review():
    """The latest run's proposal (pairs or groups, with scores and reasons), unmatched people and why."""
    run = matching_runs.latest_run(db.session(), g.course.id)
    done = request.args.get("done", "")
    notice = {
        "ran": _("Matching finished. Review the groups below.")
        if run is not None and run.is_group_run
        else _("Matching finished. Review the pairs below."),
        "approved": _("Pairs approved."),
        "groups-approved": _("Groups approved. Their members now share a group space."),
        "decided": _("Saved. Run matching again to apply pins and forbidden pairs."),
        "edited": _("Saved. The changed pair is pinned: running matching again keeps it."),
        "group-edited": _("Saved. The changed groups are pinned: running matching again keeps them."),
        "removed": _("Removed from the proposal."),
        "switch-approve": _(
            "The pairing has ended. A new match for the mentee is proposed below: review and approve it."
        ),
        "switch-decline": _("The request was declined; the pairing continues."),
        "already": _("That request was already decided."),
        "late": _("Matches are proposed for the people who joined late. Everyone else keeps their match."),
        "ended": _("The pairing has ended. A new match for the mentee is proposed below: review and approve it."),
        "group-switch": _("They have left the group. If another group has room for them, it is proposed below."),
        "mentor-added": _("The mentor was added to the group. Its members have been told."),
    }.get(done)
    if done == "included":
        notice = _included_notice(
            request.args.get("added", 0, type=int), request.args.get("already", 0, type=int), request.args.get("scope")
        )
    error = {
        "structure": _("This program cannot be matched with its current settings."),
        "pins": _("The pinned pairs cannot all be kept (a mentor's places or a hard rule): unpin one and run again."),
    }.get(request.args.get("error", ""))
    if request.args.get("error") == "edit":
        error = _edit_message(request.args.get("code", ""), request.args.get("rules", ""))
    return _review_page(run, notice=notice, error=error)


def _review_page(
    run,
    *,
    notice: str | None = None,
    error: str | None = None,
    include_problems: list[str] | None = None,
    chosen: set[str] | None = None,
    choosing: bool = False,
) -> str:
    """The review page for the latest ``run`` (``None`` before the first one), with a notice or an error.

    ``include_problems``, ``chosen`` and ``choosing`` come back from a refused "Include the chosen students":
    why, the boxes the coordinator had ticked, and the list of students shown open.
    """
    session = db.session()
    program = service.get_or_create_program(session, g.course.id)
    pairs: list[dict] = []
    groups: list[dict] = []
    unmatched: list[dict] = []
    if run is not None:
        ids = {p.mentee_id for p in run.pairs} | {p.mentor_id for p in run.pairs}
        ids |= {int(u["participant_id"]) for u in run.unmatched}
        ids |= {int(m["participant_id"]) for grp in run.groups for m in grp.members}
        ids |= {int(m["with"]) for grp in run.groups for m in grp.members if m.get("with") is not None}
        if not run.is_group_run:
            ids |= _mentor_ids(session, program)  # the mentors a coordinator can assign
        names = matching_runs.names(session, ids)
        if run.is_group_run:
            groups, unmatched = _group_view(session, program, run, names)
        else:
            pairs, unmatched = _pair_view(session, program, run, names)
    switches = matching_runs.pending_switches(session, g.course.id)
    switch_names = matching_runs.names(
        session,
        {r.requested_by for r in switches}
        | {i for r in switches if r.mentorship is not None for i in (r.mentorship.mentee_id, r.mentorship.mentor_id)},
    )
    late = matching_runs.late_joiners(session, program)
    absent = matching_runs.not_yet_in_program(session, program)
    roster_only = inclusion.roster_only(session, program) if absent else []
    shown = {p["mentee_id"] for p in pairs} | {p["id"] for p in unmatched}
    shown |= {m["id"] for grp in groups for m in grp["members"]}
    no_profile = inclusion.without_profile(session, shown)
    short = group_mentors.groups_short_of_mentors(session, program)
    db.session.commit()
    return render_template(
        "matching/review.html",
        short_groups=short,
        run=run,
        program=program,
        pairs=pairs,
        groups=groups,
        unmatched=unmatched,
        notice=notice,
        error=error,
        switches=switches,
        switch_names=switch_names,
        late=late,
        absent=absent,
        roster_only=roster_only,
        no_profile=no_profile,
        include_problems=include_problems or [],
        chosen=chosen or set(),
        choosing=choosing,
    )


def _included_notice(added: int, already: int, scope: str | None) -> str:
    """What "Include …" did, in the coordinator's words (the counts come back in the redirect's query)."""
    if added <= 0 and scope != "chosen":
        return _("Everyone in the course roster is already included in matching.")
    if added <= 0:
        return _("The people you chose are already included in matching.")
    text = ngettext(
        "%(num)s person from the course roster is now included in matching.",
        "%(num)s people from the course roster are now included in matching.",
        added,
    )
    if already > 0:
        text += " " + ngettext(
            "%(num)s of the people you chose was already included.",
            "%(num)s of the people you chose were already included.",
            already,
        )
    return text


def _inclusion_problem(problem: inclusion.InclusionProblem) -> str:
    messages = {
        "unknown": _("Nobody with the id “%(value)s” is in this course's roster."),
        "inactive": _("%(value)s has left the course and cannot be included."),
        "not_taking_part": _(
            "%(value)s does not take part in the program (only students, and staff the program designates "
            "as mentors, do)."
        ),
    }
    return messages.get(problem.code, _("This person cannot be included.")) % {"value": problem.value}


@bp.route("/include", methods=["POST"])
@require_tool_session("coordinator")
def include() -> BaseResponse | tuple[str, int]:
    """Give roster members who have not opened the space yet a place in matching: everyone, or those chosen.

    ``scope=chosen`` with ``member`` fields (membership ids of this course) includes exactly those people,
    all or nobody; anything else includes the whole roster. They get the participant row their first visit
    would create, and opening the space later finds it. Refused choices re-render the page with 400.
    """
    session = db.session()
    program = service.get_or_create_program(session, g.course.id)
    scope = "chosen" if request.form.get("scope") == "chosen" else "all"
    picked = request.form.getlist("member") if scope == "chosen" else None
    try:
        done = inclusion.include_roster(session, program, picked)
    except inclusion.InclusionRefused as err:
        db.session.rollback()
        error = {
            "nothing_chosen": _("Choose at least one person to include. Nobody was included."),
            "too_many": _(
                "Choose at most %(num)s people at a time, or include everyone. Nobody was included.",
                num=inclusion.MAX_CHOSEN,
            ),
        }.get(err.code, _("Nobody was included: correct the choice and try again."))
        problems = [_inclusion_problem(p) for p in err.problems]
        run = matching_runs.latest_run(session, g.course.id)
        return _review_page(
            run, error=error, include_problems=problems, chosen=set(picked or []), choosing=scope == "chosen"
        ), 400
    db.session.commit()
    return redirect(
        tool_url("matching.review", done="included", scope=scope, added=done.added, already=done.already)
        + "#matching-notice"
    )


def _mentor_ids(session, program) -> set[int]:
    return {int(m.id) for m in service.matching_input(session, program).mentors}


def _edit_message(code: str, rules: str) -> str:
    return _edit_error(editing.EditRefused(code, tuple(r for r in rules.split(",") if r)))


def _edit_redirect(err: editing.EditRefused, anchor: str = "") -> BaseResponse:
    db.session.rollback()
    url = tool_url("matching.review", error="edit", code=err.code, rules=",".join(err.violations))
    return redirect(url + anchor)


@bp.route("/run", methods=["POST"])
@require_tool_session("coordinator")
def run() -> BaseResponse:
    """Run the program's matching now and store the proposal (nothing is approved yet).

    ``scope=late`` proposes matches only for the people who joined after the last approval.
    """
    session = db.session()
    program = service.get_or_create_program(session, g.course.id)
    late = request.form.get("scope") == "late"
    try:
        if groups_service.is_group_program(program) and late:
            joiners = matching_runs.late_joiners(session, program)
            groups_service.propose_joins(session, program, joiners, created_by=g.person.id)
        elif groups_service.is_group_program(program):
            groups_service.run_group_matching(session, program, created_by=g.person.id)
        else:
            only = set(matching_runs.late_joiners(session, program)) if late else None
            matching_runs.run_matching(session, program, created_by=g.person.id, only=only)
    except service.NotAllowed:
        db.session.rollback()
        return redirect(
            tool_url("matching.review", error="structure" if groups_service.is_group_program(program) else "pins")
        )
    db.session.commit()
    return redirect(tool_url("matching.review", done="late" if late else "ran"))


def _run_or_404(run_id: int):
    found = matching_runs.get_run(db.session(), g.course.id, run_id)
    if found is None:
        abort(404)
    return found


@bp.route("/runs/<int:run_id>/approve", methods=["POST"])
@require_tool_session("coordinator")
def approve(run_id: int) -> BaseResponse:
    """Turn a run's pairs into mentorships, or its groups into groups (approving twice is harmless)."""
    found = _run_or_404(run_id)
    if found.is_group_run:
        groups_service.approve_group_run(db.session(), found)
        db.session.commit()
        return redirect(tool_url("matching.review", done="groups-approved"))
    matching_runs.approve_run(db.session(), found)
    db.session.commit()
    return redirect(tool_url("matching.review", done="approved"))


@bp.route("/runs/<int:run_id>/pairs/<int:pair_id>", methods=["POST"])
@require_tool_session("coordinator")
def decide_pair(run_id: int, pair_id: int) -> BaseResponse:
    """Pin a pair (the next run keeps it), forbid it (no run proposes it again), or undo that."""
    found = _run_or_404(run_id)
    try:
        matching_runs.set_pair_state(db.session(), found, pair_id, request.form.get("state", ""))
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        abort(400)
    db.session.commit()
    return redirect(tool_url("matching.review", done="decided") + f"#pair-{pair_id}")


def _int_field(name: str) -> int:
    value = request.form.get(name, type=int)
    if value is None:
        abort(400)
    return value


@bp.route("/runs/<int:run_id>/assign", methods=["POST"])
@require_tool_session("coordinator")
def assign(run_id: int) -> BaseResponse:
    """Give a mentee another mentor (``pair_id``) or a mentor at all (an unmatched mentee); the pair is pinned."""
    found = _run_or_404(run_id)
    program = service.get_or_create_program(db.session(), g.course.id)
    pair_id = request.form.get("pair_id", type=int)
    mentee_id = request.form.get("mentee_id", type=int)
    if pair_id is None and mentee_id is None:
        abort(400)
    try:
        pair = editing.assign(
            db.session(),
            program,
            found,
            mentee_id or 0,
            _int_field("mentor_id"),
            pair_id=pair_id,
            confirm=request.form.get("confirm") == "1",
        )
    except service.NotInProgram:
        abort(404)
    except editing.EditRefused as err:
        return _edit_redirect(err, f"#pair-{pair_id}" if pair_id else f"#unmatched-{mentee_id}")
    db.session.commit()
    return redirect(tool_url("matching.review", done="edited") + f"#pair-{pair.id}")


@bp.route("/runs/<int:run_id>/pairs/<int:pair_id>/remove", methods=["POST"])
@require_tool_session("coordinator")
def remove_pair(run_id: int, pair_id: int) -> BaseResponse:
    """Take a pair out of the proposal; its mentee is listed as unmatched."""
    found = _run_or_404(run_id)
    program = service.get_or_create_program(db.session(), g.course.id)
    try:
        editing.remove(db.session(), program, found, pair_id)
    except service.NotInProgram:
        abort(404)
    except editing.EditRefused as err:
        return _edit_redirect(err)
    db.session.commit()
    return redirect(tool_url("matching.review", done="removed"))


@bp.route("/runs/<int:run_id>/groups/<int:group_id>", methods=["POST"])
@require_tool_session("coordinator")
def decide_group(run_id: int, group_id: int) -> BaseResponse:
    """Pin a proposed group (the next run keeps it as it is) or unpin it."""
    found = _run_or_404(run_id)
    try:
        groups_service.set_group_state(db.session(), found, group_id, request.form.get("state", ""))
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        abort(400)
    db.session.commit()
    return redirect(tool_url("matching.review", done="decided") + f"#group-{group_id}")


@bp.route("/runs/<int:run_id>/members/<int:participant_id>/move", methods=["POST"])
@require_tool_session("coordinator")
def move_member(run_id: int, participant_id: int) -> BaseResponse:
    """Move a mentee or peer into another proposed group (or place an unmatched one); both groups are pinned."""
    found = _run_or_404(run_id)
    program = service.get_or_create_program(db.session(), g.course.id)
    try:
        editor = groups_service.GroupEditor(db.session(), program, found)
        target = editor.move(participant_id, _int_field("group_id"), confirm=request.form.get("confirm") == "1")
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        abort(400)
    except editing.EditRefused as err:
        return _edit_redirect(err)
    db.session.commit()
    return redirect(tool_url("matching.review", done="group-edited") + f"#group-{target.id}")


@bp.route("/runs/<int:run_id>/members/<int:participant_id>/remove", methods=["POST"])
@require_tool_session("coordinator")
def remove_member(run_id: int, participant_id: int) -> BaseResponse:
    """Take someone out of their proposed group; they are listed as unmatched."""
    found = _run_or_404(run_id)
    program = service.get_or_create_program(db.session(), g.course.id)
    try:
        groups_service.GroupEditor(db.session(), program, found).remove(
            participant_id, forbid=request.form.get("forbid") == "1"
        )
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        abort(400)
    except editing.EditRefused as err:
        return _edit_redirect(err)
    db.session.commit()
    return redirect(tool_url("matching.review", done="removed"))


@bp.route("/history")
@require_tool_session("coordinator")
def history() -> str:
    """Every pairing and group of the course, active and ended, with the change requests behind endings."""
    session = db.session()
    ships = matching_runs.pairing_history(session, g.course.id)
    requests_by: dict[int, list] = {}
    group_requests: dict[int, list] = {}
    for r in matching_runs.switch_requests(session, g.course.id):
        if r.mentorship_id is not None:
            requests_by.setdefault(r.mentorship_id, []).append(r)
        elif r.group_id is not None:
            group_requests.setdefault(r.group_id, []).append(r)
    groups = groups_service.all_groups(session, g.course.id)
    ids = {i for m in ships for i in (m.mentee_id, m.mentor_id)} | {
        m.participant_id for grp in groups for m in grp.members
    }
    names = matching_runs.names(session, ids)
    db.session.commit()
    notice = (
        _("The group has ended. Run matching to place its members again.")
        if request.args.get("done") == "group-ended"
        else None
    )
    return render_template(
        "matching/history.html",
        notice=notice,
        ships=ships,
        requests_by=requests_by,
        group_requests=group_requests,
        groups=groups,
        names=names,
    )


@bp.route("/history/pairs/<int:mentorship_id>/end", methods=["POST"])
@require_tool_session("coordinator")
def end_pairing(mentorship_id: int) -> BaseResponse:
    """End a pairing; a new mentor is proposed for the mentee (never the same one), nobody else moves."""
    session = db.session()
    try:
        ended = matching_runs.end_pairing(session, g.course.id, mentorship_id)
    except service.NotInProgram:
        abort(404)
    program = service.get_or_create_program(session, g.course.id)
    try:
        with session.begin_nested():
            matching_runs.run_matching(
                session,
                program,
                created_by=g.person.id,
                only={ended.mentee_id},
                forbid={(ended.mentee_id, ended.mentor_id)},
            )
    except service.NotAllowed:
        pass
    db.session.commit()
    return redirect(tool_url("matching.review", done="ended"))


@bp.route("/history/groups/<int:group_id>/end", methods=["POST"])
@require_tool_session("coordinator")
def end_group(group_id: int) -> BaseResponse:
    """End a group; its members can be matched again by the next run."""
    try:
        matching_runs.end_group(db.session(), g.course.id, group_id)
    except service.NotInProgram:
        abort(404)
    db.session.commit()
    return redirect(tool_url("matching.history", done="group-ended"))


def _own_participant() -> Participant:
    """The viewer's participant row; 403 for people who take no part in the program (observers)."""
    program = service.get_or_create_program(db.session(), g.course.id)
    participant = service.find_participant(db.session(), program, g.membership.id)
    if participant is None:
        abort(403)
    return participant


@bp.route("/switch", methods=["POST"])
@require_tool_session()
def request_switch() -> BaseResponse | tuple[str, int]:
    """A mentee or mentor asks to end or change their pairing; only coordinators read the reason.

    Open to every role: a teaching assistant designated as mentor has the coordinator role in the LMS.
    """
    session = db.session()
    participant = _own_participant()
    target = request.form.get("target") or None
    try:
        matching_runs.request_switch(session, participant, request.form.get("reason", ""), target)
    except service.NotAllowed as err:
        db.session.rollback()
        choices = _switch_choices(participant)
        return render_template(
            "matching/switch.html",
            error=_(str(err)),
            reason=request.form.get("reason", ""),
            choices=choices,
            chosen=target,
        ), 400
    db.session.commit()
    return redirect(tool_url("space.home", switch="sent"))


@bp.route("/switch", methods=["GET"])
@require_tool_session()
def switch_form() -> str:
    """The form to ask for a change of pairing (which one, for people in several)."""
    choices = _switch_choices(_own_participant())
    db.session.commit()
    return render_template("matching/switch.html", error=None, reason="", choices=choices, chosen=None)


def _switch_choices(participant: Participant) -> list[tuple[str, str]]:
    """``(target, label)`` of the viewer's pairings and groups, e.g. ("pair-3", "With Ana Lima")."""
    session = db.session()
    targets = matching_runs.switch_targets(session, participant)
    ids = {i for _t, obj in targets if isinstance(obj, Mentorship) for i in (obj.mentee_id, obj.mentor_id)}
    names = matching_runs.names(session, ids)
    out = []
    for key, obj in targets:
        if isinstance(obj, Mentorship):
            partner = obj.mentor_id if obj.mentee_id == participant.id else obj.mentee_id
            out.append((key, _("With %(name)s", name=names.get(partner, "?"))))
        else:
            out.append((key, obj.name))
    return out


@bp.route("/switches/<int:request_id>", methods=["POST"])
@require_tool_session("coordinator")
def decide_switch(request_id: int) -> BaseResponse:
    """Approve (the pairing ends; run matching again to re-match) or decline a request to change a pairing."""
    decision = request.form.get("decision")
    if decision not in {"approve", "decline"}:
        abort(400)
    session = db.session()
    try:
        decided = matching_runs.decide_switch(
            session, g.course.id, request_id, approve=decision == "approve", decided_by=g.person.id
        )
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        db.session.rollback()
        return redirect(tool_url("matching.review", done="already"))
    if decision == "approve":
        # Propose a new mentor (or group) for the person who is now without one, moving nobody else.
        program = service.get_or_create_program(session, g.course.id)
        try:
            with session.begin_nested():
                if decided.mentorship is not None:
                    matching_runs.run_matching(
                        session, program, created_by=g.person.id, only={decided.mentorship.mentee_id}
                    )
                elif decided.group is not None and groups_service.is_group_program(program):
                    leaver = decided.requested_by
                    roles = {m.participant_id: m.role for m in decided.group.members}
                    if roles.get(leaver) != "mentor":
                        groups_service.propose_joins(
                            session, program, [leaver], created_by=g.person.id, exclude={leaver: {decided.group.id}}
                        )
        except service.NotAllowed:
            pass  # the pairing still ends; the coordinator runs matching when the rules allow
        if decided.group is not None:
            db.session.commit()
            return redirect(tool_url("matching.review", done="group-switch"))
    db.session.commit()
    return redirect(tool_url("matching.review", done="switch-" + decision))


# --- A group whose mentor left -------------------------------------------------------------------------


def _mentor_candidate(c: group_mentors.MentorCandidate, names: dict[int, str]) -> dict:
    label = ngettext(
        "%(name)s — score %(score)s, %(num)s place left",
        "%(name)s — score %(score)s, %(num)s places left",
        c.places_left,
        name=names.get(c.mentor_id, "?"),
        score=f"{c.score:.2f}",
    )
    if c.soft:
        label += " — " + _("breaks a rule: %(rules)s", rules=_soft_text(c.soft))
    reason = _reason([[p.code, p.params] for p in c.parts])
    if c.best_with is not None and reason:
        reason = _("with %(name)s: %(reason)s", name=names.get(c.best_with, "?"), reason=reason)
    return {"id": c.mentor_id, "label": label, "reason": reason}


def _group_mentor_page(group_id: int, *, error: str | None = None, chosen: int | None = None) -> str:
    """The form to give a group a mentor: its members, and the mentors with places left, best first."""
    session = db.session()
    program = service.get_or_create_program(session, g.course.id)
    try:
        group, candidates = group_mentors.replacement_candidates(session, program, group_id)
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        abort(400)
    members = sorted(group.current_members, key=lambda m: (m.role != "mentor", m.id))
    names = matching_runs.names(
        session,
        {m.participant_id for m in members}
        | {c.mentor_id for c in candidates}
        | {c.best_with for c in candidates if c.best_with is not None},
    )
    db.session.commit()
    return render_template(
        "matching/group_mentor.html",
        group=group,
        members=[(names.get(m.participant_id, "?"), m.role) for m in members],
        candidates=[_mentor_candidate(c, names) for c in candidates],
        error=error,
        chosen=chosen,
    )


@bp.route("/groups/<int:group_id>/mentor", methods=["GET"])
@require_tool_session("coordinator")
def group_mentor_form(group_id: int) -> str:
    """Choose a mentor for a group of this course (one whose mentor left): mentors with places left."""
    return _group_mentor_page(group_id)


@bp.route("/groups/<int:group_id>/mentor", methods=["POST"])
@require_tool_session("coordinator")
def add_group_mentor(group_id: int) -> BaseResponse | tuple[str, int]:
    """Add the chosen mentor to the group; its members are told. A refused choice changes nothing (400)."""
    session = db.session()
    program = service.get_or_create_program(session, g.course.id)
    mentor_id = request.form.get("mentor_id", type=int)
    try:
        if mentor_id is None:
            raise editing.EditRefused("no_choice")
        group_mentors.add_mentor(session, program, group_id, mentor_id, confirm=request.form.get("confirm") == "1")
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        abort(400)
    except editing.EditRefused as err:
        db.session.rollback()
        error = _("Choose a mentor.") if err.code == "no_choice" else _edit_error(err)
        return _group_mentor_page(group_id, error=error, chosen=mentor_id), 400
    db.session.commit()
    return redirect(tool_url("matching.review", done="mentor-added") + "#matching-notice")
