"""Evaluations: coordinators build instruments and schedule checkpoints; participants answer and see results.

Every loader is scoped by ``g.course``; an object of another course, or one the viewer may not see, is
404 (coordinator-only pages are 403 for participants, by ``require_tool_session("coordinator")``).
Who sees which response is decided in ``lti_tool.mentoring.evaluations.visibility``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from ..database import commit_if_written
from ..extensions import db
from ..mentoring import evaluations as ev
from ..mentoring.evaluations import checkpoints as cps
from ..mentoring.evaluations import instruments as ins
from ..mentoring.evaluations import reminders
from ..mentoring.evaluations import responses as rsp
from ..mentoring.evaluations import visibility as vis
from ..mentoring.evaluations.errors import (
    AlreadySubmitted,
    Archived,
    CheckpointInUse,
    InvalidCheckpoint,
    InvalidInstrument,
    NotFound,
    NotOpen,
)
from ..mentoring.evaluations.templates import TEMPLATES
from ..models import EvaluationCheckpoint, EvaluationInstrumentVersion, EvaluationResponse, Person
from .access import require_tool_session, tool_url
from .templating import viewer_time_zone_name

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")

NEW_ITEM_ROWS = 2


def _audiences() -> dict[str, str]:
    return {
        "mentees_about_mentor": _("Mentees evaluate their mentor"),
        "mentors_about_mentee": _("Mentors evaluate each of their mentees"),
        "self_assessment": _("Everyone: self-assessment"),
        "reflection": _("Everyone: reflection"),
        "survey": _("Everyone: program survey"),
    }


def _item_types() -> dict[str, str]:
    return {
        "likert": _("Scale (Likert)"),
        "choice": _("Multiple choice (one answer)"),
        "short_text": _("Short text"),
        "long_text": _("Long text"),
    }


def _translate(errors: dict[str, ins.Message]) -> dict[str, str]:
    return {key: _(text, **params) for key, (text, params) in errors.items()}


def _is_coordinator() -> bool:
    return bool(g.membership.program_role == "coordinator")


@bp.app_context_processor
def _evaluation_helpers() -> dict[str, object]:
    """``my_evaluation_tasks()`` for the home page's "Your evaluations" card."""

    def my_evaluation_tasks() -> list[ev.Task]:
        if g.get("membership") is None or g.membership.program_role != "participant":
            return []
        return ev.my_evaluations(db.session(), g.course.id, g.person.id)

    return {"my_evaluation_tasks": my_evaluation_tasks, "evaluation_audiences": _audiences}


# ------------------------------------------------------------------------------------------ overview


@bp.route("/")
@require_tool_session()
def index():
    """Coordinators: templates, instruments, checkpoints with completion. Others: their evaluations."""
    session = db.session()
    if _is_coordinator():
        completion = {c.checkpoint_id: c for c in ev.completion_by_checkpoint(session, g.course.id)}
        everything = ins.instruments(session, g.course.id, include_archived=True)
        instruments = [(i, ins.latest_version(session, i.id)) for i in everything if not i.archived]
        archived = [(i, ins.latest_version(session, i.id)) for i in everything if i.archived]
        page = render_template(
            "evaluations/index_coordinator.html",
            templates=TEMPLATES,
            instruments=instruments,
            archived_instruments=archived,
            checkpoints=cps.checkpoints(session, g.course.id),
            archived_checkpoints=cps.archived_checkpoints(session, g.course.id),
            completion=completion,
            audiences=_audiences(),
            done=request.args.get("done", ""),
        )
        commit_if_written(session)
        return page
    tasks = ev.my_evaluations(session, g.course.id, g.person.id)
    about = [vis.about_me(session, c, g.person.id) for c in vis.subject_checkpoints(session, g.course.id, g.person.id)]
    page = render_template(
        "evaluations/index_participant.html",
        tasks=tasks,
        about=about,
        audiences=_audiences(),
        done=request.args.get("done", ""),
    )
    commit_if_written(session)
    return page


# --------------------------------------------------------------------------------------- instruments


@bp.route("/templates/<key>/copy", methods=["POST"])
@require_tool_session("coordinator")
def copy_template(key: str) -> BaseResponse:
    try:
        instrument = ins.copy_template(db.session(), g.course.id, key, created_by=g.person.id, gettext=_)
    except NotFound:
        abort(404)
    db.session.commit()
    return redirect(tool_url("evaluations.edit_instrument", instrument_id=instrument.id, done="copied"))


def _instrument_or_404(instrument_id: int):
    try:
        return ins.get_instrument(db.session(), g.course.id, instrument_id)
    except NotFound:
        abort(404)


def _item_values(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for index, item in enumerate(items):
        anchors = item.get("anchors") or {}
        rows.append(
            {
                "index": index,
                "id": item.get("id", ""),
                "type": item.get("type", "likert"),
                "prompt": item.get("prompt", ""),
                "help": item.get("help", ""),
                "required": bool(item.get("required")),
                "points": str(item.get("points", 5)),
                "low": anchors.get("low", ""),
                "high": anchors.get("high", ""),
                "options": ins.format_options(item.get("options") or []),
                "position": str(index + 1),
            }
        )
    for extra in range(NEW_ITEM_ROWS):
        index = len(items) + extra
        rows.append(
            {
                "index": index,
                "id": "",
                "type": "likert",
                "prompt": "",
                "help": "",
                "required": False,
                "points": "5",
                "low": "",
                "high": "",
                "options": "",
                "position": str(index + 1),
                "new": True,
            }
        )
    return rows


def _item_id(raw: str) -> str:
    """A posted item id if it is a plain identifier (ids become HTML ids and JSON keys), else a new one."""
    raw = raw.strip()
    return raw if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,39}", raw) else ""


def _parse_instrument(form: MultiDict) -> tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Title, description, items, the rows as typed (for re-rendering) and form-level errors."""
    title = form.get("title", "").strip()
    description = form.get("description", "").strip()
    errors: dict[str, str] = {}
    try:
        count = min(int(form.get("item_count", "0")), ins.MAX_ITEMS + NEW_ITEM_ROWS)
    except ValueError:
        count = 0
    rows: list[dict[str, Any]] = []
    for index in range(count):
        key = f"item-{index}"
        row = {
            "index": index,
            "id": _item_id(form.get(f"{key}-id", "")),
            "type": form.get(f"{key}-type", "likert"),
            "prompt": form.get(f"{key}-prompt", "").strip(),
            "help": form.get(f"{key}-help", "").strip(),
            "required": form.get(f"{key}-required") == "1",
            "points": form.get(f"{key}-points", "5").strip(),
            "low": form.get(f"{key}-low", "").strip(),
            "high": form.get(f"{key}-high", "").strip(),
            "options": form.get(f"{key}-options", ""),
            "position": form.get(f"{key}-position", str(index + 1)).strip(),
            "remove": form.get(f"{key}-remove") == "1",
            "new": not form.get(f"{key}-id"),
        }
        rows.append(row)
    kept = [r for r in rows if not r["remove"] and (r["prompt"] or not r["new"])]

    def position(row: dict[str, Any]) -> tuple[float, int]:
        try:
            return (float(row["position"]), row["index"])
        except ValueError:
            return (float(row["index"] + 1), row["index"])

    items: list[dict[str, Any]] = []
    for row in sorted(kept, key=position):
        item: dict[str, Any] = {
            "id": row["id"],
            "type": row["type"],
            "prompt": row["prompt"],
            "help": row["help"],
            "required": row["required"],
        }
        if row["type"] == "likert":
            try:
                item["points"] = int(row["points"])
            except ValueError:
                item["points"] = -1
            item["anchors"] = {"low": row["low"], "high": row["high"]}
        elif row["type"] == "choice":
            options = ins.parse_options(row["options"])
            if options is None:
                errors[f"item-{row['index']}-options"] = _(
                    "Write points as a number after “=”, for example “Often = 3”."
                )
                options = []
            item["options"] = options
        item["_row"] = row["index"]
        items.append(item)
    for item in items:
        if not item["id"]:
            item["id"] = ins.new_item_id([i for i in items if i["id"]])
    return title, description, items, rows, errors


def _save_errors(items: list[dict[str, Any]], errors: dict[str, ins.Message]) -> dict[str, str]:
    """Item errors are keyed by position in ``items``; point them at the form row they came from."""
    translated = {}
    for key, message in _translate(errors).items():
        parts = key.split("-", 2)
        if parts[0] == "item" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(items):
            key = f"item-{items[int(parts[1])]['_row']}-{parts[2]}"
        translated[key] = message
    return translated


def _clean(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k != "_row"} for item in items]


def _render_editor(instrument, version, values: dict[str, Any], rows, errors, status: int = 200):
    responses = ins.response_count(db.session(), version.id) if version is not None else 0
    return render_template(
        "evaluations/instrument_form.html",
        instrument=instrument,
        version=version,
        values=values,
        rows=rows,
        errors=errors,
        item_types=_item_types(),
        answered=responses,
        done=request.args.get("done", ""),
    ), status


@bp.route("/instruments/new", methods=["GET", "POST"])
@require_tool_session("coordinator")
def new_instrument():
    if request.method == "POST":
        title, description, items, rows, errors = _parse_instrument(request.form)
        if not errors:
            try:
                instrument = ins.create_instrument(
                    db.session(), g.course.id, title, description, _clean(items), created_by=g.person.id
                )
            except InvalidInstrument as err:
                errors = _save_errors(items, err.errors)
            else:
                db.session.commit()
                return redirect(tool_url("evaluations.instrument", instrument_id=instrument.id, done="created"))
        db.session.rollback()
        return _render_editor(None, None, {"title": title, "description": description}, rows, errors, 400)
    return _render_editor(None, None, {"title": "", "description": ""}, _item_values([]), {})


@bp.route("/instruments/<int:instrument_id>")
@require_tool_session("coordinator")
def instrument(instrument_id: int):
    session = db.session()
    found = _instrument_or_404(instrument_id)
    versions = [(v, ins.response_count(session, v.id)) for v in found.versions]
    page = render_template(
        "evaluations/instrument.html",
        instrument=found,
        version=versions[-1][0],
        versions=versions,
        usage=ins.usage(session, found),
        item_types=_item_types(),
        done=request.args.get("done", ""),
        kept=request.args.get("kept", ""),
        moved=request.args.get("moved", ""),
        responses=request.args.get("responses", ""),
    )
    commit_if_written(session)
    return page


@bp.route("/instruments/<int:instrument_id>/edit", methods=["GET", "POST"])
@require_tool_session("coordinator")
def edit_instrument(instrument_id: int):
    session = db.session()
    found = _instrument_or_404(instrument_id)
    version = ins.latest_version(session, found.id)
    if request.method == "POST":
        title, description, items, rows, errors = _parse_instrument(request.form)
        if not errors:
            try:
                result = ins.save_instrument(session, found, title, description, _clean(items), saved_by=g.person.id)
            except InvalidInstrument as err:
                errors = _save_errors(items, err.errors)
            else:
                db.session.commit()
                if result.new_version:
                    return redirect(
                        tool_url(
                            "evaluations.instrument",
                            instrument_id=found.id,
                            done="versioned",
                            kept=result.kept_version_number,
                            responses=result.kept_responses,
                            moved=result.moved_checkpoints,
                        )
                    )
                return redirect(tool_url("evaluations.instrument", instrument_id=found.id, done="saved"))
        db.session.rollback()
        return _render_editor(found, version, {"title": title, "description": description}, rows, errors, 400)
    values = {"title": version.title, "description": version.description}
    page = _render_editor(found, version, values, _item_values(version.items), {})
    commit_if_written(session)
    return page


@bp.route("/instruments/<int:instrument_id>/copy", methods=["POST"])
@require_tool_session("coordinator")
def copy_instrument(instrument_id: int) -> BaseResponse:
    session = db.session()
    found = _instrument_or_404(instrument_id)
    title = _("Copy of %(title)s", title=ins.latest_version(session, found.id).title)[: ins.MAX_TITLE]
    copy = ins.copy_instrument(session, g.course.id, found, title=title, created_by=g.person.id)
    session.commit()
    return redirect(tool_url("evaluations.edit_instrument", instrument_id=copy.id, done="copied"))


@bp.route("/instruments/<int:instrument_id>/archive", methods=["POST"])
@require_tool_session("coordinator")
def archive_instrument(instrument_id: int) -> BaseResponse:
    """Retire an instrument: out of the checkpoint pickers, with its versions, checkpoints and responses kept."""
    found = _instrument_or_404(instrument_id)
    ins.archive_instrument(db.session(), found)
    db.session.commit()
    return redirect(tool_url("evaluations.instrument", instrument_id=found.id, done="instrument-archived"))


@bp.route("/instruments/<int:instrument_id>/restore", methods=["POST"])
@require_tool_session("coordinator")
def restore_instrument(instrument_id: int) -> BaseResponse:
    found = _instrument_or_404(instrument_id)
    ins.restore_instrument(db.session(), found)
    db.session.commit()
    return redirect(tool_url("evaluations.instrument", instrument_id=found.id, done="instrument-restored"))


# ---------------------------------------------------------------------------------------- checkpoints


def _parse_local(raw: str) -> datetime | None:
    """A date and time typed in the viewer's zone (``2026-03-01T09:00`` or ``2026-03-01 09:00``), as UTC."""
    raw = raw.strip().replace(" ", "T")
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            naive = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=ZoneInfo(viewer_time_zone_name())).astimezone(UTC)
    return None


def _local_value(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(viewer_time_zone_name())).strftime("%Y-%m-%dT%H:%M")


def _hours(raw: str) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        return None


def _checkpoint_or_404(checkpoint_id: int) -> EvaluationCheckpoint:
    try:
        return cps.get_checkpoint(db.session(), g.course.id, checkpoint_id)
    except NotFound:
        abort(404)


def _render_checkpoint_form(checkpoint, values, errors, status=200):
    session = db.session()
    # Archived instruments are not offered for new checkpoints (restoring one brings it back here).
    options = [(i.id, ins.latest_version(session, i.id).title) for i in ins.instruments(session, g.course.id)]
    return render_template(
        "evaluations/checkpoint_form.html",
        checkpoint=checkpoint,
        values=values,
        errors=errors,
        instruments=options,
        audiences=_audiences(),
        zone=viewer_time_zone_name(),
    ), status


@bp.route("/checkpoints/new", methods=["GET", "POST"])
@require_tool_session("coordinator")
def new_checkpoint():
    if request.method == "POST":
        form = request.form
        values = {k: form.get(k, "") for k in ("title", "instrument_id", "audience", "opens_at", "due_at")}
        values["reminder_hours_before"] = form.get("reminder_hours_before", "48")
        try:
            instrument_id = int(values["instrument_id"])
        except ValueError:
            instrument_id = 0
        try:
            checkpoint = cps.create_checkpoint(
                db.session(),
                g.course.id,
                instrument_id=instrument_id,
                title=values["title"],
                audience=values["audience"],
                opens_at=_parse_local(values["opens_at"]),
                due_at=_parse_local(values["due_at"]),
                reminder_hours_before=_hours(values["reminder_hours_before"]),
                created_by=g.person.id,
            )
        except InvalidCheckpoint as err:
            db.session.rollback()
            return _render_checkpoint_form(None, values, _translate(err.errors), 400)
        db.session.commit()
        return redirect(tool_url("evaluations.checkpoint", checkpoint_id=checkpoint.id, done="created"))
    values = {
        "title": "",
        "instrument_id": request.args.get("instrument", ""),
        "audience": "",
        "opens_at": "",
        "due_at": "",
        "reminder_hours_before": "48",
    }
    return _render_checkpoint_form(None, values, {})


@bp.route("/checkpoints/<int:checkpoint_id>/edit", methods=["GET", "POST"])
@require_tool_session("coordinator")
def edit_checkpoint(checkpoint_id: int):
    checkpoint = _checkpoint_or_404(checkpoint_id)
    if request.method == "POST":
        form = request.form
        values = {k: form.get(k, "") for k in ("title", "opens_at", "due_at", "reminder_hours_before")}
        try:
            cps.update_schedule(
                db.session(),
                checkpoint,
                title=values["title"],
                opens_at=_parse_local(values["opens_at"]),
                due_at=_parse_local(values["due_at"]),
                reminder_hours_before=_hours(values["reminder_hours_before"]),
            )
        except InvalidCheckpoint as err:
            db.session.rollback()
            return _render_checkpoint_form(checkpoint, values, _translate(err.errors), 400)
        db.session.commit()
        return redirect(tool_url("evaluations.checkpoint", checkpoint_id=checkpoint.id, done="saved"))
    values = {
        "title": checkpoint.title,
        "opens_at": _local_value(checkpoint.opens_at),
        "due_at": _local_value(checkpoint.due_at),
        "reminder_hours_before": str(checkpoint.reminder_hours_before),
    }
    return _render_checkpoint_form(checkpoint, values, {})


def _names(person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = db.session.execute(db.select(Person).where(Person.id.in_(person_ids))).scalars()
    return {p.id: p.display_name for p in rows}


def _render_checkpoint(found: EvaluationCheckpoint, *, problem: str | None = None, status: int = 200):
    session = db.session()
    version = session.get(EvaluationInstrumentVersion, found.instrument_version_id)
    all_responses = rsp.responses_for_checkpoint(session, found.id, submitted_only=False)
    by_key = {(r.respondent_person_id, r.subject_person_id): r for r in all_responses}
    expected = cps.assignments(session, found)
    expected_keys = {(a.respondent_person_id, a.subject_person_id) for a in expected}
    submitted = [r for r in all_responses if r.status == "submitted"]
    names = _names(
        {r.respondent_person_id for r in all_responses}
        | {r.subject_person_id for r in all_responses if r.subject_person_id}
    )
    rows = [
        {
            "respondent": a.respondent_name,
            "subject": a.subject_name,
            "response": by_key.get((a.respondent_person_id, a.subject_person_id)),
        }
        for a in expected
    ]
    rows += [
        {
            "respondent": names.get(r.respondent_person_id, "?"),
            "subject": names.get(r.subject_person_id or 0),
            "response": r,
        }
        for r in all_responses
        if (r.respondent_person_id, r.subject_person_id) not in expected_keys
    ]
    scores = [r.score_fraction for r in submitted if r.score_fraction is not None]
    written = [
        (item, [r.answers[item["id"]] for r in submitted if r.answers.get(item["id"])])
        for item in (version.items if version else [])
        if item["type"] in ("short_text", "long_text")
    ]
    page = render_template(
        "evaluations/checkpoint.html",
        checkpoint=found,
        version=version,
        rows=rows,
        summaries=vis.summarize(version.items if version else [], submitted),
        written=[(item, texts) for item, texts in written if texts],
        submitted=len(submitted),
        mean_score=(sum(scores) / len(scores)) if scores else None,
        audiences=_audiences(),
        done=request.args.get("done", ""),
        queued=request.args.get("queued", "0"),
        min_aggregate=vis.MIN_AGGREGATE,
        dependents=cps.dependents(session, found),
        problem=problem,
    )
    commit_if_written(session)
    return page, status


@bp.route("/checkpoints/<int:checkpoint_id>")
@require_tool_session("coordinator")
def checkpoint(checkpoint_id: int):
    """Results of one checkpoint: who answered, per-item summaries, each response; archiving or deleting it."""
    return _render_checkpoint(_checkpoint_or_404(checkpoint_id))


@bp.route("/checkpoints/<int:checkpoint_id>/archive", methods=["POST"])
@require_tool_session("coordinator")
def archive_checkpoint(checkpoint_id: int) -> BaseResponse:
    """Retire a checkpoint, keeping its responses and the grades of any activity that grades it."""
    found = _checkpoint_or_404(checkpoint_id)
    cps.archive_checkpoint(db.session(), found)
    db.session.commit()
    return redirect(tool_url("evaluations.checkpoint", checkpoint_id=found.id, done="checkpoint-archived"))


@bp.route("/checkpoints/<int:checkpoint_id>/restore", methods=["POST"])
@require_tool_session("coordinator")
def restore_checkpoint(checkpoint_id: int) -> BaseResponse:
    found = _checkpoint_or_404(checkpoint_id)
    cps.restore_checkpoint(db.session(), found)
    db.session.commit()
    return redirect(tool_url("evaluations.checkpoint", checkpoint_id=found.id, done="checkpoint-restored"))


@bp.route("/checkpoints/<int:checkpoint_id>/delete", methods=["POST"])
@require_tool_session("coordinator")
def delete_checkpoint(checkpoint_id: int):
    """Delete a checkpoint nothing depends on; otherwise refused (409) with the reason, nothing deleted."""
    found = _checkpoint_or_404(checkpoint_id)
    try:
        cps.delete_checkpoint(db.session(), found)
    except CheckpointInUse:
        db.session.rollback()
        found = _checkpoint_or_404(checkpoint_id)
        return _render_checkpoint(
            found,
            problem=_(
                "This checkpoint was not deleted: it has responses or a graded activity uses it (see below). "
                "Archive it instead; nothing is lost."
            ),
            status=409,
        )
    db.session.commit()
    return redirect(tool_url("evaluations.index", done="checkpoint-deleted"))


@bp.route("/checkpoints/<int:checkpoint_id>/release", methods=["POST"])
@require_tool_session("coordinator")
def release(checkpoint_id: int) -> BaseResponse:
    found = _checkpoint_or_404(checkpoint_id)
    released = request.form.get("released") == "1"
    cps.set_released(db.session(), found, released)
    db.session.commit()
    return redirect(
        tool_url("evaluations.checkpoint", checkpoint_id=found.id, done="released" if released else "withdrawn")
    )


@bp.route("/checkpoints/<int:checkpoint_id>/remind", methods=["POST"])
@require_tool_session("coordinator")
def remind(checkpoint_id: int) -> BaseResponse:
    """Queue a reminder now for everyone who has not submitted (once a day per person)."""
    found = _checkpoint_or_404(checkpoint_id)
    queued = reminders.remind_now(db.session(), found)
    db.session.commit()
    return redirect(tool_url("evaluations.checkpoint", checkpoint_id=found.id, done="reminded", queued=queued))


# ------------------------------------------------------------------------------------------ answering


def _subject_name(subject: int | None) -> str | None:
    return _names({subject}).get(subject) if subject else None


def _render_answer(found, subject, response, version, values, errors, status=200):
    return render_template(
        "evaluations/answer.html",
        checkpoint=found,
        subject=subject,
        subject_name=_subject_name(subject),
        response=response,
        version=version,
        values=values,
        errors=errors,
        open=cps.is_open(found) and found.archived_at is None,
        overdue=cps.is_overdue(found),
        audiences=_audiences(),
        shown=rsp.answers_for_display(version, response.answers) if response is not None else [],
        done=request.args.get("done", ""),
    ), status


@bp.route("/checkpoints/<int:checkpoint_id>/answer", methods=["GET", "POST"], defaults={"about": None})
@bp.route("/checkpoints/<int:checkpoint_id>/answer/<int:about>", methods=["GET", "POST"])
@require_tool_session()
def answer(checkpoint_id: int, about: int | None):
    """The answer form of one assignment: save a draft or submit (required items checked here)."""
    session = db.session()
    found = _checkpoint_or_404(checkpoint_id)
    try:
        rsp.assignment_for(session, found, g.person.id, about)
    except NotFound:
        abort(404)
    response = rsp.find_response(session, found.id, g.person.id, about)
    version = rsp.version_for(session, found, response)
    if request.method == "POST":
        final = request.form.get("action") == "submit"
        values = {k: v for k, v in request.form.items() if k.startswith("answer-")}
        try:
            outcome = rsp.save(session, found, g.person.id, about, request.form, final=final)
        except Archived:
            db.session.rollback()
            message = _(
                "The coordinator archived this evaluation; it no longer takes answers. Nothing you saved was lost."
            )
            return _render_answer(found, about, response, version, values, {"form": message}, 409)
        except NotOpen:
            db.session.rollback()
            return _render_answer(
                found, about, response, version, values, {"form": _("This evaluation is not open yet.")}, 409
            )
        except AlreadySubmitted:
            db.session.rollback()
            return _render_answer(
                found, about, response, version, values,
                {"form": _("You already submitted this evaluation; submitted answers cannot be changed.")}, 409,
            )  # fmt: skip
        db.session.commit()
        if outcome.errors:
            errors = {f"answer-{k}": v for k, v in _translate(outcome.errors).items()}
            if final:
                errors = {
                    "form": _("Your answers were saved as a draft. Answer the questions marked below to submit.")
                } | errors
            return _render_answer(found, about, outcome.response, version, values, errors, 400)
        target = "submitted" if final else "saved"
        if about is None:
            return redirect(tool_url("evaluations.answer", checkpoint_id=found.id, done=target))
        return redirect(tool_url("evaluations.answer", checkpoint_id=found.id, about=about, done=target))
    values = {f"answer-{k}": str(v) for k, v in (response.answers if response else {}).items()}
    page = _render_answer(found, about, response, version, values, {})
    commit_if_written(session)
    return page


# --------------------------------------------------------------------------------------- results


@bp.route("/checkpoints/<int:checkpoint_id>/about-me")
@require_tool_session()
def about_me(checkpoint_id: int):
    """What the evaluations about the viewer at this checkpoint show them (aggregate or released)."""
    session = db.session()
    found = _checkpoint_or_404(checkpoint_id)
    try:
        view = vis.about_me(session, found, g.person.id)
    except NotFound:
        abort(404)
    if view.submitted == 0:
        abort(404)
    shown = [(r, rsp.answers_for_display(r.instrument_version, r.answers)) for r in view.individual]
    names = _names({r.respondent_person_id for r in view.individual})
    page = render_template(
        "evaluations/about_me.html",
        checkpoint=found,
        view=view,
        shown=shown,
        names=names,
        audiences=_audiences(),
        min_aggregate=vis.MIN_AGGREGATE,
    )
    commit_if_written(session)
    return page


@bp.route("/responses/<int:response_id>")
@require_tool_session()
def response(response_id: int):
    """One response: the coordinator, the respondent, or its subject once the checkpoint is released."""
    session = db.session()
    try:
        found: EvaluationResponse = rsp.get_response(session, g.course.id, response_id)
    except NotFound:
        abort(404)
    if not vis.may_read_response(found, g.person.id, is_coordinator=_is_coordinator()):
        abort(404)
    version = session.get(EvaluationInstrumentVersion, found.instrument_version_id)
    assert version is not None
    names = _names({found.respondent_person_id} | ({found.subject_person_id} if found.subject_person_id else set()))
    page = render_template(
        "evaluations/response.html",
        response=found,
        checkpoint=found.checkpoint,
        version=version,
        shown=rsp.answers_for_display(version, found.answers),
        names=names,
        audiences=_audiences(),
        is_coordinator=_is_coordinator(),
    )
    commit_if_written(session)
    return page
