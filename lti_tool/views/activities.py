"""Coordinators' gradable activities: list, create, edit, grade reflections, recompute participation.

Thin views over :mod:`lti_tool.grades.activities`. Every view is coordinator-only; an activity of another
course is a 404. Creating an activity in the tool creates its gradebook column through AGS (in Moodle
such columns are separate manual grade items); activities placed by deep linking appear here after their
first launch. Participation is recomputed by a job (``grades.participation``), never in the request.
"""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, g, redirect, render_template, request
from flask_babel import gettext as _

from ..extensions import db
from ..grades import GradeError
from ..grades.activities import (
    RULES_FOR_KIND,
    ActivityData,
    activity_counts,
    archived_checkpoint_ids,
    check_activity_data,
    checkpoint_choices,
    course_activities,
    create_activity,
    delete_activity,
    grade_manual,
    load_activity,
    parse_score,
    submissions,
    sync_link_activities,
    update_activity,
)
from ..grades.results import latest_deliveries
from ..grades.services import from_app
from ..grades.tasks import REGRADE_KIND, activity_job, participation_job, request_participation, request_regrade
from ..jobs.status import message as job_message
from ..models import Job
from ..models.activities import (
    DEFAULT_TARGETS,
    DEFAULT_WEIGHTS,
    PARTICIPATION_COMPONENTS,
    ActivityKind,
    ActivitySource,
    GradableActivity,
    ScoringRule,
)
from .access import require_tool_session, tool_url

bp = Blueprint("activities", __name__, url_prefix="/activities")

Values = dict[str, object]


def _rule_labels() -> dict[str, str]:
    return {
        ScoringRule.COMPLETION.value: _("Completion: full marks when submitted"),
        ScoringRule.INSTRUMENT_SCORE.value: _("Instrument score, scaled to the maximum"),
        ScoringRule.MANUAL.value: _("Graded by a coordinator (pending until graded)"),
        ScoringRule.PARTICIPATION.value: _("Participation computed from engagement"),
    }


def _component_labels() -> dict[str, str]:
    return {
        "posts": _("Messages posted in pair threads"),
        "meetings": _("Meetings held"),
        "goals": _("Goals updated"),
    }


def _load(activity_id: int) -> GradableActivity:
    """The activity ``activity_id`` of ``g.course``; 404 when it belongs to another course or none."""
    try:
        return load_activity(db.session(), g.course.id, activity_id)
    except GradeError:
        abort(404)


def _fmt(number: float | None) -> str:
    if number is None:
        return ""
    return f"{number:g}"


def _values_of(activity: GradableActivity | None) -> Values:
    if activity is None:
        return {
            "title": "",
            "kind": ActivityKind.EVALUATION.value,
            "rule": ScoringRule.COMPLETION.value,
            "score_maximum": "100",
            "checkpoint_id": "",
            **{f"weight_{n}": _fmt(DEFAULT_WEIGHTS[n]) for n in PARTICIPATION_COMPONENTS},
            **{f"target_{n}": _fmt(DEFAULT_TARGETS[n]) for n in PARTICIPATION_COMPONENTS},
        }
    weights = activity.weights or DEFAULT_WEIGHTS
    targets = activity.targets or DEFAULT_TARGETS
    return {
        "title": activity.title,
        "kind": activity.kind,
        "rule": activity.rule,
        "score_maximum": _fmt(activity.score_maximum),
        "checkpoint_id": str(activity.checkpoint_id or ""),
        **{f"weight_{n}": _fmt(weights.get(n, 0.0)) for n in PARTICIPATION_COMPONENTS},
        **{f"target_{n}": _fmt(targets.get(n, 0.0)) for n in PARTICIPATION_COMPONENTS},
    }


def _number(raw: object) -> float:
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        return math.nan
    return value


def _parse(form, kind_fixed: str | None, current: int | None = None) -> tuple[ActivityData, Values, dict[str, str]]:
    """The activity the form describes, what the user sent (kept on a refused form), and field errors.
    ``current``: the checkpoint the activity already grades (offered even when archived)."""
    values: Values = {name: form.get(name, "") for name in _values_of(None)}
    kind = kind_fixed or str(values["kind"])
    values["kind"] = kind
    errors: dict[str, str] = {}
    checkpoint_id: int | None = None
    raw_checkpoint = str(values["checkpoint_id"]).strip()
    if kind == ActivityKind.EVALUATION.value and raw_checkpoint:
        allowed = {cid for cid, _label in checkpoint_choices(db.session(), g.course.id, keep=current)}
        try:
            checkpoint_id = int(raw_checkpoint)
        except ValueError:
            checkpoint_id = None
        if checkpoint_id not in allowed:
            errors["checkpoint_id"] = _("Choose one of this course's checkpoints.")
            checkpoint_id = None
    data = ActivityData(
        title=str(values["title"]),
        kind=kind,
        rule=str(values["rule"]) if kind == ActivityKind.EVALUATION.value else ScoringRule.PARTICIPATION.value,
        score_maximum=_number(values["score_maximum"]),
        checkpoint_id=checkpoint_id,
        weights={n: _number(values[f"weight_{n}"] or 0) for n in PARTICIPATION_COMPONENTS},
        targets={n: _number(values[f"target_{n}"] or 0) for n in PARTICIPATION_COMPONENTS},
    )
    for name, message in check_activity_data(data).items():
        errors.setdefault(name, _(message))
    return data, values, errors


def _render_form(activity: GradableActivity | None, values: Values, errors: dict[str, str], status: int = 200):
    return (
        render_template(
            "activities/form.html",
            activity=activity,
            values=values,
            errors=errors,
            rule_labels=_rule_labels(),
            component_labels=_component_labels(),
            components=PARTICIPATION_COMPONENTS,
            evaluation_rules=RULES_FOR_KIND[ActivityKind.EVALUATION.value],
            checkpoints=checkpoint_choices(
                db.session(), g.course.id, keep=activity.checkpoint_id if activity is not None else None
            ),
            archived_checkpoints=archived_checkpoint_ids(db.session(), g.course.id),
            deep_linked=activity is not None and activity.source == ActivitySource.DEEP_LINK.value,
        ),
        status,
    )


@bp.get("/")
@require_tool_session("coordinator")
def index():
    """The course's gradable activities with their rule, gradebook column and checkpoint."""
    if sync_link_activities(db.session(), g.course.id):
        db.session.commit()
    notice = {
        "created": _("Activity created; its gradebook column is ready in the LMS."),
        "saved": _("Activity saved."),
        "deleted": _("Activity removed, with its empty column in the LMS."),
    }.get(request.args.get("notice", ""))
    activities = course_activities(db.session(), g.course.id)
    return render_template(
        "activities/index.html",
        activities=activities,
        counts=activity_counts(db.session(), activities),
        rule_labels=_rule_labels(),
        checkpoints=dict(checkpoint_choices(db.session(), g.course.id, include_archived=True)),
        archived_checkpoints=archived_checkpoint_ids(db.session(), g.course.id),
        notice=notice,
    )


@bp.route("/new", methods=["GET", "POST"])
@require_tool_session("coordinator")
def create():
    """Create an activity; its gradebook column is found or created in the LMS through AGS."""
    if request.method == "GET":
        return _render_form(None, _values_of(None), {})
    data, values, errors = _parse(request.form, None)
    if errors:
        return _render_form(None, values, errors, 400)
    try:
        activity = create_activity(db.session(), from_app(current_app), g.course, data)
    except GradeError as err:
        db.session.rollback()
        fields = getattr(err, "fields", None)
        if fields:
            return _render_form(None, values, {k: _(v) for k, v in fields.items()}, 400)
        return _render_form(None, values, {"form": _(err.message)}, err.status if err.status < 500 else 502)
    db.session.commit()
    return redirect(tool_url("activities.show", activity_id=activity.id, notice="created"), code=303)


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@require_tool_session("coordinator")
def edit(activity_id: int):
    """Change an activity's title, rule, maximum, checkpoint or participation weights and targets."""
    activity = _load(activity_id)
    if request.method == "GET":
        return _render_form(activity, _values_of(activity), {})
    fixed = activity.kind if activity.source == ActivitySource.DEEP_LINK.value else None
    data, values, errors = _parse(request.form, fixed, activity.checkpoint_id)
    if errors:
        return _render_form(activity, values, errors, 400)
    try:
        outcome = update_activity(db.session(), activity, data, from_app(current_app))
    except GradeError as err:
        db.session.rollback()
        fields = getattr(err, "fields", None)
        if fields:
            return _render_form(activity, values, {k: _(v) for k, v in fields.items()}, 400)
        return _render_form(activity, values, {"form": _(err.message)}, err.status if err.status < 500 else 502)
    db.session.commit()
    if outcome.regrade or outcome.recompute:
        # The results already recorded follow the new settings in a job; the page shows its progress.
        start = request_regrade if outcome.regrade else request_participation
        job = start(g.course, activity.id, created_by=g.person.id)
        notice, anchor = ("regrade", "#regrade") if outcome.regrade else ("recompute-settings", "#recompute")
        return redirect(
            tool_url("activities.show", activity_id=activity.id, notice=notice, job=job.id) + anchor, code=303
        )
    return redirect(tool_url("activities.show", activity_id=activity.id, notice="saved"), code=303)


def _render_show(
    activity: GradableActivity, *, status: int = 200, grade_errors=None, grade_values=None, problem: str | None = None
):
    notice = {
        "created": _("Activity created; its gradebook column is ready in the LMS."),
        "saved": _("Activity saved."),
        "graded": _("Score saved; it is being sent to the LMS."),
        "recompute": _("Participation is being computed; the scores are sent to the LMS when it is done."),
        "recompute-settings": _(
            "Activity saved. Participation is being recomputed with the new settings; the changed scores are "
            "sent to the LMS when it is done."
        ),
        "regrade": _(
            "Activity saved. The results already recorded are being regraded with the new settings; scores "
            "given by a coordinator are kept. The changed scores are sent to the LMS."
        ),
    }.get(request.args.get("notice", ""))
    job: Job | None = None
    if activity.rule == ScoringRule.PARTICIPATION.value:
        job = participation_job(db.session(), g.course.id, request.args.get("job", type=int), activity.id)
    elif activity.kind == ActivityKind.EVALUATION.value:
        job = activity_job(db.session(), g.course.id, REGRADE_KIND, request.args.get("job", type=int), activity.id)
    return (
        render_template(
            "activities/show.html",
            activity=activity,
            rule_labels=_rule_labels(),
            component_labels=_component_labels(),
            components=PARTICIPATION_COMPONENTS,
            checkpoints=dict(checkpoint_choices(db.session(), g.course.id, include_archived=True)),
            archived_checkpoints=archived_checkpoint_ids(db.session(), g.course.id),
            submissions=submissions(db.session(), activity),
            deliveries=latest_deliveries(db.session(), g.course.id, activity.line_item_id),
            texts=_response_texts(activity),
            notice=notice,
            job=job,
            job_text=job_message(job) if job is not None else None,
            grade_errors=grade_errors or {},
            grade_values=grade_values or {},
            problem=problem,
        ),
        status,
    )


def _response_texts(activity: GradableActivity) -> dict[int, list[tuple[str, str]]]:
    from ..grades.activities import response_texts

    if activity.kind != ActivityKind.EVALUATION.value:
        return {}
    return response_texts(db.session(), activity)


@bp.get("/<int:activity_id>")
@require_tool_session("coordinator")
def show(activity_id: int):
    """One activity: its settings, its results; reflections to grade; participation recompute."""
    return _render_show(_load(activity_id))


@bp.post("/<int:activity_id>/grade/<int:person_id>")
@require_tool_session("coordinator")
def grade(activity_id: int, person_id: int):
    """Grade one submission (0..maximum): a reflection waiting for it, or an override of a computed score.
    A refused score keeps what was typed."""
    activity = _load(activity_id)
    if activity.kind != ActivityKind.EVALUATION.value:
        abort(404)
    raw = request.form.get("score", "")
    comment = request.form.get("comment", "")
    try:
        score = parse_score(raw, float(activity.score_maximum))
        grade_manual(db.session(), activity, person_id, score, comment)
    except GradeError as err:
        db.session.rollback()
        if err.status == 404:
            abort(404)
        message = _(err.message)
        if "maximum" in err.message:
            message = _("Enter a score from 0 to %(max)s.", max=_fmt(activity.score_maximum))
        return _render_show(
            activity,
            status=400,
            grade_errors={person_id: message},
            grade_values={person_id: {"score": raw, "comment": comment}},
        )
    db.session.commit()  # the grades blueprint starts delivery after the request (results were recorded)
    return redirect(tool_url("activities.show", activity_id=activity.id, notice="graded") + "#submissions", code=303)


@bp.post("/<int:activity_id>/recompute")
@require_tool_session("coordinator")
def recompute(activity_id: int):
    """Start recomputing a participation activity in a job and show its progress."""
    activity = _load(activity_id)
    if activity.rule != ScoringRule.PARTICIPATION.value:
        abort(404)
    job = request_participation(g.course, activity.id, created_by=g.person.id)
    return redirect(
        tool_url("activities.show", activity_id=activity.id, notice="recompute", job=job.id) + "#recompute",
        code=303,
    )


@bp.post("/<int:activity_id>/delete")
@require_tool_session("coordinator")
def delete(activity_id: int):
    """Remove an activity the tool created, with its empty gradebook column; refused once anyone has a result."""
    activity = _load(activity_id)
    try:
        delete_activity(db.session(), from_app(current_app), activity)
    except GradeError as err:
        db.session.rollback()
        return _render_show(_load(activity_id), status=409 if err.status < 500 else 502, problem=_(err.message))
    db.session.commit()
    return redirect(tool_url("activities.index", notice="deleted"), code=303)
