"""The program pages: coordinator settings and mentors (approval, CSV import), and each participant's profile.

Thin views: parse the form (:mod:`.forms`), call a service of :mod:`lti_tool.mentoring.programs`, render.
Every page loads the program of ``g.course`` only, so ids from another course are simply not found.
"""

from __future__ import annotations

from babel.dates import get_day_names
from flask import Blueprint, Response, abort, g, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from ..extensions import db
from ..mentoring import programs as service
from ..models import Participant, Program
from .access import require_tool_session, tool_url
from .forms import SLOT_ROWS, parse_profile, parse_settings, profile_values, settings_values

bp = Blueprint("program", __name__, url_prefix="/program")


def current_program() -> Program:
    """The program of the current course (created with defaults on first use)."""
    if "program" not in g:
        g.program = service.get_or_create_program(db.session(), g.course.id)
    return g.program


def current_participant() -> Participant:
    """The signed-in person's own participant row in this course's program; 403 for people not taking part."""
    participant = service.ensure_participant(db.session(), current_program(), g.membership)
    if participant is None:
        abort(403)
    return participant


def _csv_message(problem: service.CsvProblem) -> str:
    messages = {
        "too_large": _("The file is larger than %(value)s KB. Split it into smaller files."),
        "not_utf8": _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."),
        "empty": _("The file has no rows to import."),
        "no_identifier_column": _(
            "The header needs an “email” or a “user_id” column (found: %(value)s).",
        ),
        "too_many_rows": _("The file has more than %(value)s rows."),
        "missing_identifier": _("Neither an e-mail address nor a user id."),
        "capacity_not_a_number": _("The capacity “%(value)s” is not a whole number."),
        "capacity_too_small": _("The capacity “%(value)s” must be 1 or more."),
        "capacity_too_large": _("The capacity “%(value)s” is above the program's maximum."),
        "duplicate": _("“%(value)s” is listed twice."),
        "unknown_person": _("Nobody in this course has the e-mail address or user id “%(value)s”."),
        "ambiguous": _("Several people in this course share the e-mail address “%(value)s”; use the user id."),
        "not_active": _("“%(value)s” is no longer active in this course."),
        "malformed": _("The CSV format is broken here (%(value)s)."),
    }
    template = messages.get(problem.code, _("This row could not be read."))
    return template % {"value": problem.value}


def _role_options() -> list[tuple[str, str, str]]:
    return [
        ("TeachingAssistant", _("Teaching assistants"), _("LMS role TeachingAssistant (Canvas, Brightspace).")),
        (
            "Instructor",
            _("Instructors"),
            _("Moodle sends this role for non-editing teachers and TAs too; coordinators also have it."),
        ),
        ("Mentor", _("LMS mentors"), _("People the LMS lists with the Mentor role.")),
    ]


@bp.route("/settings", methods=["GET", "POST"])
@require_tool_session("coordinator")
def settings():
    """Coordinators set up the course's program; a refused form comes back with the input kept (400)."""
    program = current_program()
    saved = request.args.get("saved") == "1"
    if request.method == "POST":
        parsed, values, errors = parse_settings(request.form)
        if parsed is not None:
            try:
                service.update_settings(db.session(), program, parsed)
            except ValueError:  # a ProgramError, or the matching engine refusing a weight or constraint
                errors = {"form": _("These settings cannot be used together. Check the weights and limits.")}
            else:
                db.session.commit()
                return redirect(tool_url("program.settings", saved=1))
        db.session.rollback()
        return render_template(
            "program/settings.html", values=values, errors=errors, role_options=_role_options(), saved=False
        ), 400
    values = settings_values(service.ProgramSettings.of(program))
    db.session.commit()
    return render_template("program/settings.html", values=values, errors={}, role_options=_role_options(), saved=saved)


def _render_mentors(program: Program, *, csv_problems=None, csv_error=None, notice=None, status=200):
    rows = service.mentors(db.session(), program)
    db.session.commit()
    return (
        render_template(
            "program/mentors.html",
            program=program,
            rows=rows,
            csv_problems=csv_problems or [],
            csv_error=csv_error,
            notice=notice,
            max_kb=service.MAX_CSV_BYTES // 1024,
        ),
        status,
    )


@bp.route("/mentors")
@require_tool_session("coordinator")
def mentors():
    """Coordinators see who mentors, approve or decline volunteers, and import mentors from a CSV file."""
    program = current_program()
    service.designate_role_mentors(db.session(), program)
    notice = None
    if request.args.get("imported"):
        notice = _("Imported %(n)s mentors.", n=request.args.get("imported", type=int) or 0)
    elif request.args.get("decided"):
        notice = _("Decision saved.")
    return _render_mentors(program, notice=notice)


@bp.route("/mentors/template.csv")
@require_tool_session("coordinator")
def csv_template() -> Response:
    """An empty mentor CSV with the columns the import understands, to fill in a spreadsheet."""
    body = "email,user_id,capacity\r\n"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="mentors-template.csv"'},
    )


@bp.route("/mentors/<int:participant_id>/decision", methods=["POST"])
@require_tool_session("coordinator")
def decide(participant_id: int) -> BaseResponse:
    """Approve or decline a mentor of this course's program (404 for anyone else's id)."""
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    try:
        service.decide(db.session(), current_program(), participant_id, approve=decision == "approve")
    except service.NotInProgram:
        abort(404)
    except service.NotAllowed:
        abort(400)
    db.session.commit()
    return redirect(tool_url("program.mentors", decided=1))


@bp.route("/mentors/import", methods=["POST"])
@require_tool_session("coordinator")
def import_mentors():
    """Import mentors from a CSV file: every row is applied, or none (errors listed by line, 400)."""
    program = current_program()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_mentors(program, csv_error=_("Choose a CSV file to upload."), status=400)
    data = upload.read(service.MAX_CSV_BYTES + 1)
    try:
        result = service.import_mentors_csv(db.session(), program, data)
    except service.CsvImportError as err:
        db.session.rollback()
        problems = [(p.line, _csv_message(p)) for p in err.problems]
        return _render_mentors(program, csv_problems=problems, status=400)
    except service.NotAllowed:
        db.session.rollback()
        return _render_mentors(
            program, csv_error=_("Turn on “By CSV import” in the program settings first."), status=400
        )
    db.session.commit()
    return redirect(tool_url("program.mentors", imported=result.created + result.updated))


def _language_options() -> list[tuple[str, str]]:
    locale = get_locale()
    names = locale.languages if locale is not None else {}
    return sorted(((code, names.get(code, code)) for code in service.LANGUAGE_CODES), key=lambda o: o[1].casefold())


def _time_zone_groups(zones: list[str]) -> list[tuple[str, list[str]]]:
    """IANA zones grouped by region ("Africa", "America", ...) for <optgroup>s; names without one last."""
    groups: dict[str, list[str]] = {}
    for zone in zones:
        region = zone.split("/", 1)[0] if "/" in zone else ""
        groups.setdefault(region, []).append(zone)
    other = groups.pop("", [])
    ordered = sorted(groups.items())
    return [*ordered, (_("Other"), other)] if other else ordered


def _day_options() -> list[tuple[str, str]]:
    names = get_day_names("wide", locale=get_locale() or "en")
    return [(str(day), str(names[day])) for day in range(7)]


def _can_offer_to_mentor(program: Program, participant: Participant) -> bool:
    return not program.is_peer and (
        participant.mentor_status in ("pending", "approved") or "opt_in" in (program.mentor_sources or [])
    )


@bp.route("/profile", methods=["GET", "POST"])
@require_tool_session()
def profile():
    """A participant's own profile (never anyone else's); on first entry, and skippable if the program says so."""
    program = current_program()
    participant = current_participant()
    db.session.commit()  # a first visit's new participant row stays, whatever the form below does
    mentor_choices = (
        service.approved_mentors(db.session(), program, excluding=participant.id)
        if participant.role == "mentee" and not program.is_peer
        else []
    )
    can_mentor = _can_offer_to_mentor(program, participant)
    suggested = _suggested(program, participant, mentor_choices)
    if suggested:  # suggestions first in the ranking lists, then everyone else by name
        first = [s["id"] for s in suggested]
        mentor_choices = sorted(mentor_choices, key=lambda c: first.index(c[0]) if c[0] in first else len(first))
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "skip":
            try:
                service.skip_profile(db.session(), program, participant)
            except service.NotAllowed:
                abort(400)
            db.session.commit()
            return redirect(tool_url("space.home"))
        data, offers, values, errors = parse_profile(
            request.form, program, can_mentor=can_mentor, mentor_ids={pid for pid, _ in mentor_choices}
        )
        if data is not None:
            try:
                if offers and data.capacity is not None:
                    service.opt_in(db.session(), program, participant, data.capacity)
                elif can_mentor and participant.mentor_source == "opt_in":
                    service.withdraw(db.session(), program, participant)
                service.save_profile(db.session(), program, participant, data)
            except service.ProgramError:
                db.session.rollback()
                errors = {"form": _("Your profile could not be saved. Check the fields and try again.")}
            else:
                db.session.commit()
                return redirect(tool_url("program.profile", saved=1))
        status = 400
    else:
        values = profile_values(participant, default_time_zone=g.person.timezone)
        errors = {}
    db.session.commit()
    zones = service.time_zones()
    return render_template(
        "program/profile.html",
        program=program,
        participant=participant,
        values=values,
        errors=errors,
        saved=request.args.get("saved") == "1" and status == 200,
        can_mentor=can_mentor,
        mentor_choices=mentor_choices,
        languages=_language_options(),
        days=_day_options(),
        slot_rows=SLOT_ROWS,
        max_preferences=service.MAX_PREFERENCES if mentor_choices else 0,
        time_zones=zones,
        time_zone_groups=_time_zone_groups(zones),
        detect_zone=not values.get("time_zone"),
        suggested=suggested,
    ), status


def _suggested(program: Program, participant: Participant, mentor_choices: list[tuple[int, str]]) -> list[dict]:
    """In mentee-choice mode, a mentee's best mentors with places left, with the reasons, to rank from."""
    if program.matching_mode != "mentee_choice" or not mentor_choices or participant.role != "mentee":
        return []
    from ..mentoring.matching.reasons import ReasonPart, render

    names = dict(mentor_choices)
    return [
        {
            "id": s.mentor_id,
            "name": names.get(s.mentor_id, "?"),
            "score": s.score,
            "reason": render([ReasonPart(code, params) for code, params in s.parts], lambda text: _(text)),
            "places_left": s.places_left,
        }
        for s in service.suggestions_for(db.session(), program, participant)
        if s.mentor_id in names
    ]
