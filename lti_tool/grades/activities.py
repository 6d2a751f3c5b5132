"""Gradable activities: results from evaluations and engagement, recorded into the grade outbox.

Each activity has a scoring rule (:class:`~lti_tool.models.activities.ScoringRule`); every result goes
through :func:`lti_tool.grades.results.record_result`, so it is written with its outbox row in the
caller's transaction and delivered by the worker.

Hooks other areas call:

* :func:`evaluation_submitted` — inside the transaction that stores a submitted evaluation response;
  grades the activities tied to that response's checkpoint (completion, instrument score, or
  ``PendingManual`` for a coordinator-graded reflection).
* :func:`activity_for_link` — at launch, for a placement created by deep linking whose launch carries the
  AGS ``lineitem`` claim: the activity of that resource link, created on its first launch.

Participation (:func:`participation_scores`) is computed from engagement in the pair spaces with the
coordinator's weights and a target per component; :func:`recompute_participation` records the changed
results and runs in a job (``grades.participation``), never inside a request. The comment sent with a
participation score is written in the student's language (:func:`participation_comment`).

Computed results and coordinators' scores: a score a coordinator types (:func:`grade_manual`) is marked
``is_override``. When an activity's rule, maximum or checkpoint changes, :func:`regrade_evaluation`
(job ``grades.regrade``) recomputes every computed result with the new settings and records the ones that
change, so the LMS gets them through the outbox; coordinators' scores are kept as they are, and so are
results of people the new rule no longer grades (nothing is taken out of the gradebook).
"""

from __future__ import annotations

import gettext as _gettext
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..mentoring.goals import goal_updates_by_person
from ..mentoring.meetings import meeting_counts
from ..mentoring.spaces import course_spaces
from ..models import (
    Course,
    EvaluationCheckpoint,
    EvaluationInstrumentVersion,
    EvaluationResponse,
    GradeResult,
    LineItem,
    Membership,
    Person,
    Post,
    ResourceLink,
    Thread,
    utcnow,
)
from ..models.activities import (
    DEFAULT_TARGETS,
    DEFAULT_WEIGHTS,
    PARTICIPATION_COMPONENTS,
    ActivityKind,
    ActivitySource,
    GradableActivity,
    ScoringRule,
)
from ..models.queries import get_or_create
from .errors import GradeError, InvalidScore, NotInCourse
from .lineitems import delete_on_platform, ensure_line_item, line_item_for_link, update_on_platform
from .results import ResultEntry, record_result, record_results
from .services import GradeServices

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a message for extraction; the view translates it."""
    return message


class ActivityError(GradeError):
    """An activity cannot be created, changed or graded as asked; the message says why."""

    code = "activity_invalid"
    message = N_("The activity could not be saved.")


# Deep-link catalogue kinds (``custom.mentoring_kind``) that are graded, and the activity each becomes.
LINK_KINDS: dict[str, tuple[ActivityKind, ScoringRule]] = {
    "participation": (ActivityKind.PARTICIPATION, ScoringRule.PARTICIPATION),
    "evaluation-midterm": (ActivityKind.EVALUATION, ScoringRule.COMPLETION),
    "reflection-final": (ActivityKind.EVALUATION, ScoringRule.MANUAL),
}
RULES_FOR_KIND: dict[str, tuple[str, ...]] = {
    ActivityKind.EVALUATION.value: (
        ScoringRule.COMPLETION.value,
        ScoringRule.INSTRUMENT_SCORE.value,
        ScoringRule.MANUAL.value,
    ),
    ActivityKind.PARTICIPATION.value: (ScoringRule.PARTICIPATION.value,),
}
TAG = "mentoring-space"
MAX_SCORE_MAXIMUM = 10_000.0
MAX_WEIGHT = 100.0
MAX_TARGET = 10_000.0
EVALUATION_RULES = RULES_FOR_KIND[ActivityKind.EVALUATION.value]


# --- creating and finding activities -------------------------------------------------------------------------


def activity_for_link(session: Session, resource_link: ResourceLink | None) -> GradableActivity | None:
    """The activity a deep-linked graded placement stands for, created on its first launch. Flushes.

    Only placements whose kind is a graded catalogue item and whose launch carried the AGS ``lineitem``
    claim have one: that claim is the activity's own gradebook column, so its results go there.
    """
    if resource_link is None or resource_link.kind not in LINK_KINDS or not resource_link.lineitem_url:
        return None
    kind, rule = LINK_KINDS[resource_link.kind]
    item = line_item_for_link(session, resource_link, label=resource_link.title)
    if item is None:  # pragma: no cover - guarded by lineitem_url above
        return None
    activity = get_or_create(
        session,
        lambda: session.execute(
            select(GradableActivity).where(
                GradableActivity.course_id == resource_link.course_id,
                GradableActivity.resource_link_id == resource_link.id,
            )
        ).scalar_one_or_none(),
        lambda: GradableActivity(
            course_id=resource_link.course_id,
            title=(resource_link.title or item.label or "Mentoring Space")[:400],
            kind=kind.value,
            rule=rule.value,
            source=ActivitySource.DEEP_LINK.value,
            line_item_id=item.id,
            resource_link_id=resource_link.id,
            score_maximum=float(item.score_maximum),
            weights=dict(DEFAULT_WEIGHTS) if kind is ActivityKind.PARTICIPATION else None,
            targets=dict(DEFAULT_TARGETS) if kind is ActivityKind.PARTICIPATION else None,
        ),
    )
    if activity.line_item_id != item.id:
        activity.line_item_id = item.id
    session.flush()
    return activity


def sync_link_activities(session: Session, course_id: int) -> int:
    """Create the activities of graded placements launched before activities existed. Returns how many."""
    known = select(GradableActivity.resource_link_id).where(
        GradableActivity.course_id == course_id, GradableActivity.resource_link_id.is_not(None)
    )
    links = session.execute(
        select(ResourceLink).where(
            ResourceLink.course_id == course_id,
            ResourceLink.kind.in_(list(LINK_KINDS)),
            ResourceLink.lineitem_url.is_not(None),
            ResourceLink.id.not_in(known),
        )
    ).scalars()
    created = 0
    for link in list(links):
        if activity_for_link(session, link) is not None:
            created += 1
    return created


@dataclass
class ActivityData:
    """What a coordinator sets on an activity (already parsed; checked by :func:`check_activity_data`)."""

    title: str
    kind: str
    rule: str
    score_maximum: float
    checkpoint_id: int | None = None
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    targets: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TARGETS))


def check_activity_data(data: ActivityData) -> dict[str, str]:
    """Problems per field (English, marked for translation); empty when the data can be saved."""
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = N_("Give the activity a title.")
    elif len(data.title) > 400:
        errors["title"] = N_("Keep the title under 400 characters.")
    if data.kind not in RULES_FOR_KIND:
        errors["kind"] = N_("Choose evaluation or participation.")
    elif data.rule not in RULES_FOR_KIND[data.kind]:
        errors["rule"] = N_("This scoring rule does not fit this kind of activity.")
    if not math.isfinite(data.score_maximum) or not 0 < data.score_maximum <= MAX_SCORE_MAXIMUM:
        errors["score_maximum"] = N_("The maximum score must be a number above 0 and at most 10000.")
    if data.kind == ActivityKind.PARTICIPATION.value:
        for name in PARTICIPATION_COMPONENTS:
            weight = data.weights.get(name, 0.0)
            target = data.targets.get(name, 0.0)
            if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
                errors["weight_" + name] = N_("A weight is a number from 0 to 100.")
            elif weight > 0 and (not math.isfinite(target) or not 0 < target <= MAX_TARGET):
                errors["target_" + name] = N_("A target is a number above 0 and at most 10000.")
        if "weight_posts" not in errors and not any(data.weights.get(n, 0) > 0 for n in PARTICIPATION_COMPONENTS):
            errors["weight_posts"] = N_("Give at least one component a weight above 0.")
    return errors


def check_checkpoint(
    session: Session, course_id: int, data: ActivityData, current: int | None = None
) -> dict[str, str]:
    """Problems with the chosen checkpoint: it must be the course's, not archived (unless it is the one the
    activity already grades, ``current``), and an instrument score of mentees' evaluations of their mentor
    is not a grade for anyone (its score would be a mentee's rating)."""
    if data.kind != ActivityKind.EVALUATION.value or data.checkpoint_id is None:
        return {}
    checkpoint = session.get(EvaluationCheckpoint, data.checkpoint_id)
    if checkpoint is None or checkpoint.course_id != course_id:
        return {"checkpoint_id": N_("Choose one of this course's checkpoints.")}
    if checkpoint.archived_at is not None and checkpoint.id != current:
        return {"checkpoint_id": N_("This checkpoint is archived: restore it on the Evaluations page to grade it.")}
    if data.rule == ScoringRule.INSTRUMENT_SCORE.value and checkpoint.audience in NOT_A_GRADE:
        return {
            "rule": N_(
                "A mentee's rating of their mentor is not a grade: grade this checkpoint by completion or by hand."
            )
        }
    return {}


def _apply(activity: GradableActivity, data: ActivityData) -> None:
    activity.title = data.title.strip()[:400]
    activity.kind = data.kind
    activity.rule = data.rule
    activity.score_maximum = float(data.score_maximum)
    if data.kind == ActivityKind.EVALUATION.value:
        activity.checkpoint_id = data.checkpoint_id
        activity.weights = None
        activity.targets = None
    else:
        activity.checkpoint_id = None
        activity.weights = {n: float(data.weights.get(n, 0.0)) for n in PARTICIPATION_COMPONENTS}
        activity.targets = {n: float(data.targets.get(n, 0.0) or 0.0) for n in PARTICIPATION_COMPONENTS}


def _invalid(errors: dict[str, str]) -> ActivityError:
    err = ActivityError(next(iter(errors.values())))
    err.fields = errors  # type: ignore[attr-defined]
    return err


def create_activity(session: Session, services: GradeServices, course: Course, data: ActivityData) -> GradableActivity:
    """Create an activity and its gradebook column through AGS (found first, never duplicated). Flushes.

    The column is found or created with ``resourceId = mentoring-activity-<key>`` and the tool's tag, so a
    second instance or a restored database finds it again instead of adding a column. In Moodle, columns a
    tool creates this way are separate manual grade items, not attached to an activity in the course page.
    Raises :class:`ActivityError` for invalid data, and the line item errors
    (:class:`~lti_tool.grades.errors.LineItemUnavailable`, ``PlatformUnavailable``) when the LMS cannot
    make the column; nothing is written then.
    """
    errors = check_activity_data(data) or check_checkpoint(session, course.id, data)
    if errors:
        raise _invalid(errors)
    key = uuid.uuid4().hex[:16]
    item = ensure_line_item(
        session,
        services,
        course,
        label=data.title.strip()[:400],
        score_maximum=float(data.score_maximum),
        resource_id=f"mentoring-activity-{key}",
        tag=TAG,
    )
    activity = GradableActivity(course_id=course.id, source=ActivitySource.TOOL.value, line_item_id=item.id)
    _apply(activity, data)
    session.add(activity)
    session.flush()
    grade_earlier_submissions(session, activity)
    return activity


@dataclass(frozen=True)
class ActivityUpdate:
    """What saving an activity calls for: regrading its recorded evaluation results (``regrade``) or
    recomputing its participation scores (``recompute``), each in a job, when its scoring changed."""

    activity: GradableActivity
    regrade: bool = False
    recompute: bool = False


def _scoring(activity: GradableActivity) -> tuple[object, ...]:
    """The settings a result is computed from (a change to any of them calls for a regrade)."""
    if activity.kind == ActivityKind.PARTICIPATION.value:
        return (activity.kind, float(activity.score_maximum), activity.weights, activity.targets)
    return (activity.kind, activity.rule, float(activity.score_maximum), activity.checkpoint_id)


def has_results(session: Session, activity: GradableActivity) -> bool:
    if activity.line_item_id is None:
        return False
    found = session.execute(select(GradeResult.id).where(GradeResult.line_item_id == activity.line_item_id).limit(1))
    return found.first() is not None


def update_activity(
    session: Session, activity: GradableActivity, data: ActivityData, services: GradeServices | None = None
) -> ActivityUpdate:
    """Change an activity's title, rule, maximum, checkpoint or weights. Flushes; the caller commits.

    The kind of a deep-linked activity is fixed by its placement. A new title or maximum is also given to
    the gradebook column on the platform (with ``services``); if the platform refuses, nothing changes and
    the error says why. When the scoring changed and the column already holds results, the returned
    :class:`ActivityUpdate` asks for a regrade (evaluation: :func:`regrade_evaluation`) or a recompute
    (participation), which the caller runs as a job; otherwise the responses already submitted at the
    checkpoint are graded here (:func:`grade_earlier_submissions`).
    """
    if activity.source == ActivitySource.DEEP_LINK.value and data.kind != activity.kind:
        raise _invalid({"kind": N_("This activity was placed in the LMS as this kind; it cannot change.")})
    errors = check_activity_data(data) or check_checkpoint(session, activity.course_id, data, activity.checkpoint_id)
    if errors:
        raise _invalid(errors)
    item = activity.line_item
    if services is not None and item is not None:
        update_on_platform(
            session, services, activity.course, item, label=data.title.strip(), score_maximum=data.score_maximum
        )
    before = _scoring(activity)
    _apply(activity, data)
    session.flush()
    changed = _scoring(activity) != before and has_results(session, activity)
    if changed and activity.kind == ActivityKind.EVALUATION.value:
        return ActivityUpdate(activity, regrade=True)
    grade_earlier_submissions(session, activity)
    return ActivityUpdate(activity, recompute=changed and activity.kind == ActivityKind.PARTICIPATION.value)


def grade_earlier_submissions(session: Session, activity: GradableActivity) -> int:
    """Grade the responses already submitted at the activity's checkpoint by people who have no result on
    its column yet (the checkpoint was chosen after they answered). Results already there, computed or
    given by a coordinator, are left alone. In a fixed number of statements; returns how many were graded.
    """
    item = activity.line_item
    checkpoint = _graded_checkpoint(session, activity)
    if checkpoint is None or item is None:
        return 0
    entries = [
        _computed_entry(activity, person_id, sub, fraction, None)
        for person_id, sub, fraction in _submissions_by_graded_person(session, activity, checkpoint, item.id)
    ]
    return record_results(session, item, entries)


def _graded_checkpoint(session: Session, activity: GradableActivity) -> EvaluationCheckpoint | None:
    """The checkpoint whose submissions the activity grades, if its rule can grade them."""
    if activity.kind != ActivityKind.EVALUATION.value or activity.checkpoint_id is None:
        return None
    checkpoint = session.get(EvaluationCheckpoint, activity.checkpoint_id)
    if checkpoint is None or checkpoint.course_id != activity.course_id:
        return None
    if activity.rule == ScoringRule.INSTRUMENT_SCORE.value and checkpoint.audience in NOT_A_GRADE:
        return None
    return checkpoint


def _submissions_by_graded_person(
    session: Session, activity: GradableActivity, checkpoint: EvaluationCheckpoint, without_result_on: int | None
) -> list[tuple[int, str, float | None]]:
    """(person graded, their sub, mean score fraction) for everyone the rule grades at the checkpoint: the
    respondents, or the people evaluated for an instrument score of mentors' evaluations of mentees. With
    ``without_result_on`` (a line item id), only people who have no result on that column."""
    graded = (
        EvaluationResponse.subject_person_id
        if graded_by_subject(checkpoint.audience, activity.rule)
        else EvaluationResponse.respondent_person_id
    )
    query = (
        select(graded, Person.sub, func.avg(EvaluationResponse.score_fraction))
        .join(Person, Person.id == graded)
        .where(EvaluationResponse.checkpoint_id == checkpoint.id, EvaluationResponse.status == "submitted")
        .group_by(graded, Person.sub)
        .order_by(graded)
    )
    if without_result_on is not None:
        query = query.where(
            graded.not_in(select(GradeResult.person_id).where(GradeResult.line_item_id == without_result_on))
        )
    return [
        (int(pid), str(sub), float(fraction) if fraction is not None else None)
        for pid, sub, fraction in session.execute(query).all()
    ]


def _computed_entry(
    activity: GradableActivity, person_id: int, sub: str, fraction: float | None, existing: GradeResult | None
) -> ResultEntry:
    """The result the activity's rule gives a submission: full marks (completion), the scaled instrument
    score (waiting for a coordinator when there is none, or when it is above 100 %), or waiting for the
    coordinator (manual; a score already there that fits the maximum is kept for them to see)."""
    maximum = float(activity.score_maximum)
    score: float | None = None
    if activity.rule == ScoringRule.COMPLETION.value:
        score = maximum
    elif activity.rule == ScoringRule.INSTRUMENT_SCORE.value and fraction is not None:
        try:
            score = scaled_score(fraction, maximum)
        except InvalidScore:
            score = None
    elif activity.rule == ScoringRule.MANUAL.value:
        kept = existing.score_given if existing is not None else None
        pending = kept if kept is not None and kept <= maximum else None
        return ResultEntry(person_id, sub, pending, maximum, "Submitted", "PendingManual")
    if score is None:
        return ResultEntry(person_id, sub, None, maximum, "Submitted", "PendingManual")
    return ResultEntry(person_id, sub, score, maximum)


def _same(result: GradeResult, entry: ResultEntry) -> bool:
    """Whether a recorded result already says what ``entry`` would (then nothing is sent again)."""
    if (result.score_given is None) != (entry.score_given is None):
        return False
    if entry.score_given is not None and (
        not math.isclose(float(result.score_given or 0), entry.score_given, abs_tol=1e-9)
        or not math.isclose(float(result.score_maximum or 0), entry.score_maximum, abs_tol=1e-9)
    ):
        return False
    return (
        result.activity_progress == entry.activity_progress
        and result.grading_progress == entry.grading_progress
        and (result.comment or None) == (entry.comment or None)
    )


@dataclass
class RegradeReport:
    """What a regrade did: results recorded anew (sent to the LMS), already right, coordinators' scores
    kept, and computed results of people the settings no longer grade (kept, never deleted)."""

    considered: int = 0
    regraded: int = 0
    unchanged: int = 0
    overrides: int = 0
    left: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "considered": self.considered,
            "regraded": self.regraded,
            "unchanged": self.unchanged,
            "overrides": self.overrides,
            "left": self.left,
        }


def regrade_evaluation(
    session: Session,
    activity: GradableActivity,
    *,
    chunk: int = 500,
    commit: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RegradeReport:
    """Regrade every computed result of an evaluation activity with its current rule, maximum and checkpoint.

    For each person the rule grades at the checkpoint, the result is computed as a new submission would
    be (:func:`_computed_entry`) and recorded only if it differs from the one on the column, with its outbox
    row, so the LMS receives exactly the changed scores; running it again records nothing (idempotent).
    Results a coordinator gave (``is_override``) are kept, even one given while this runs (the rows are
    re-read under lock when recording). A computed result of someone the settings no longer grade (another
    checkpoint, or a rule that grades the person evaluated instead of the one who answered) is left as it
    is: nothing is taken out of the gradebook. Recorded in chunks of ``chunk`` people; ``commit`` after
    each (a job commits there), ``progress(done, total)`` says how far it got.
    """
    if activity.kind != ActivityKind.EVALUATION.value:
        raise ActivityError(N_("Only evaluation activities are regraded from their responses."))
    item = activity.line_item
    if item is None:
        raise ActivityError(N_("This activity has no gradebook column yet."))
    checkpoint = _graded_checkpoint(session, activity)
    rows = _submissions_by_graded_person(session, activity, checkpoint, None) if checkpoint is not None else []
    graded = {pid: (sub, fraction) for pid, sub, fraction in rows}
    existing_ids = list(
        session.execute(select(GradeResult.person_id).where(GradeResult.line_item_id == item.id)).scalars()
    )
    people = sorted(set(graded) | set(existing_ids))
    report = RegradeReport(considered=len(people))
    for start in range(0, len(people), chunk):
        part = people[start : start + chunk]
        existing = {
            r.person_id: r
            for r in session.execute(
                select(GradeResult).where(GradeResult.line_item_id == item.id, GradeResult.person_id.in_(part))
            ).scalars()
        }
        entries = []
        for person_id in part:
            old = existing.get(person_id)
            if old is not None and old.is_override:
                report.overrides += 1
                continue
            if person_id not in graded:
                report.left += 1
                continue
            sub, fraction = graded[person_id]
            entry = _computed_entry(activity, person_id, sub, fraction, old)
            if old is not None and _same(old, entry):
                report.unchanged += 1
                continue
            entries.append(entry)
        recorded = record_results(session, item, entries, keep_overrides=True)
        report.regraded += recorded
        report.overrides += len(entries) - recorded  # overridden by a coordinator meanwhile
        session.flush()
        if commit is not None:
            commit()
        if progress is not None:
            progress(min(start + chunk, len(people)), len(people))
    return report


def delete_activity(session: Session, services: GradeServices, activity: GradableActivity) -> None:
    """Remove an activity the tool created and its empty gradebook column (on the platform too). Flushes.

    Refused (:class:`ActivityError`) when anyone has a result on it: deleting would take grades out of
    the gradebook. A deep-linked activity is removed from the LMS, where the instructor placed it.
    """
    if activity.source != ActivitySource.TOOL.value:
        raise ActivityError(N_("This activity was placed from the LMS: remove it there."))
    item = activity.line_item
    if item is not None:
        has_results = session.execute(select(GradeResult.id).where(GradeResult.line_item_id == item.id).limit(1))
        if has_results.first() is not None:
            raise ActivityError(
                N_("Students already have results in this activity's column; it is kept so no grade is lost.")
            )
        delete_on_platform(session, services, activity.course, item)
    session.delete(activity)
    session.flush()


def load_activity(session: Session, course_id: int, activity_id: int) -> GradableActivity:
    """The activity if it belongs to the course; :class:`NotInCourse` (404) otherwise."""
    activity = session.get(GradableActivity, activity_id)
    if activity is None or activity.course_id != course_id:
        raise NotInCourse("This activity does not belong to this course.")
    return activity


def course_activities(session: Session, course_id: int) -> list[GradableActivity]:
    return list(
        session.execute(
            select(GradableActivity).where(GradableActivity.course_id == course_id).order_by(GradableActivity.id)
        ).scalars()
    )


@dataclass(frozen=True)
class ActivityCounts:
    results: int = 0
    pending: int = 0  # waiting for a coordinator's grade (PendingManual)


def activity_counts(session: Session, activities: list[GradableActivity]) -> dict[int, ActivityCounts]:
    """Per activity id, how many people have a result and how many wait for a grade (one query)."""
    by_item = {a.line_item_id: a.id for a in activities if a.line_item_id is not None}
    if not by_item:
        return {}
    rows = session.execute(
        select(
            GradeResult.line_item_id,
            func.count(GradeResult.id),
            func.sum(case((GradeResult.grading_progress == "PendingManual", 1), else_=0)),
        )
        .where(GradeResult.line_item_id.in_(list(by_item)))
        .group_by(GradeResult.line_item_id)
    ).all()
    return {by_item[item]: ActivityCounts(int(n), int(pending or 0)) for item, n, pending in rows}


# --- evaluation results ---------------------------------------------------------------------------------------


def _respondent(session: Session, response: EvaluationResponse) -> Person | None:
    return session.get(Person, response.respondent_person_id)


# Audiences whose instrument score grades the person evaluated (the subject), not the one who answered.
SUBJECT_GRADED = ("mentors_about_mentee",)
# Audiences whose instrument score is not a grade for anyone: a mentee's rating of their mentor.
NOT_A_GRADE = ("mentees_about_mentor",)


def graded_by_subject(audience: str | None, rule: str) -> bool:
    """Whether an instrument-score grade goes to the person evaluated: a mentor's evaluation of a mentee's
    engagement and progress grades the mentee. Completion and manual grades always go to the respondent."""
    return rule == ScoringRule.INSTRUMENT_SCORE.value and audience in SUBJECT_GRADED


def respondent_fraction(
    session: Session, checkpoint_id: int, person_id: int, *, as_subject: bool = False
) -> float | None:
    """The mean score fraction of the submitted responses at a checkpoint given by a person (a mentor
    evaluating three mentees answers three times), or about them (``as_subject``: every mentor's evaluation
    of this mentee); None when none of them is scored."""
    who = (
        EvaluationResponse.subject_person_id == person_id
        if as_subject
        else EvaluationResponse.respondent_person_id == person_id
    )
    fractions = [
        f
        for f in session.execute(
            select(EvaluationResponse.score_fraction).where(
                EvaluationResponse.checkpoint_id == checkpoint_id,
                who,
                EvaluationResponse.status == "submitted",
            )
        ).scalars()
        if f is not None
    ]
    if not fractions:
        return None
    return sum(fractions) / len(fractions)


@dataclass(frozen=True)
class Graded:
    activity_id: int
    result: GradeResult


def evaluation_submitted(session: Session, response: EvaluationResponse) -> list[Graded]:
    """Grade the activities tied to a submitted response's checkpoint. Flushes; the caller commits.

    Called inside the transaction that stores the response, so the response and its results (with their
    outbox rows) are committed together. Per rule: ``completion`` → full marks; ``instrument_score`` →
    the score fraction × the activity's maximum, the fraction being the mean over the respondent's
    submitted responses at the checkpoint (a mentor answers once per mentee; a fraction above 1 raises
    :class:`InvalidScore` with a clear message and nothing is recorded); ``manual`` → no score yet,
    ``Submitted`` / ``PendingManual`` until the coordinator grades it. Activities without a line item
    (the column is not known yet) are skipped.
    """
    checkpoint_id = response.checkpoint_id
    person = _respondent(session, response)
    if person is None:
        return []
    session.flush()  # the response's own row first, so the score fraction of every response is read
    activities = session.execute(
        select(GradableActivity)
        .join(EvaluationCheckpoint, EvaluationCheckpoint.id == GradableActivity.checkpoint_id)
        .where(
            EvaluationCheckpoint.course_id == GradableActivity.course_id,
            GradableActivity.checkpoint_id == checkpoint_id,
            GradableActivity.kind == ActivityKind.EVALUATION.value,
            GradableActivity.line_item_id.is_not(None),
        )
    ).scalars()
    graded = []
    for activity in list(activities):
        result = _grade_submission(session, activity, person, response)
        if result is not None:
            graded.append(Graded(activity.id, result))
    return graded


def _grade_submission(
    session: Session, activity: GradableActivity, person: Person, response: EvaluationResponse
) -> GradeResult | None:
    item = activity.line_item
    if item is None:
        return None
    maximum = float(activity.score_maximum)
    if activity.rule in (ScoringRule.COMPLETION.value, ScoringRule.INSTRUMENT_SCORE.value):
        graded: Person | None = person
        if graded_by_subject(response.checkpoint.audience if response.checkpoint else None, activity.rule):
            graded = session.get(Person, response.subject_person_id) if response.subject_person_id else None
        if graded is not None:
            kept = _override(session, item, graded.id)
            if kept is not None:
                return kept  # a coordinator's score stands; a later submission does not replace it
    if activity.rule == ScoringRule.COMPLETION.value:
        return record_result(session, line_item=item, person=person, score_given=maximum, score_maximum=maximum)
    if activity.rule == ScoringRule.INSTRUMENT_SCORE.value:
        audience = response.checkpoint.audience if response.checkpoint is not None else None
        if audience in NOT_A_GRADE:
            return None
        if graded_by_subject(audience, activity.rule):
            subject = session.get(Person, response.subject_person_id) if response.subject_person_id else None
            if subject is None:
                return None
            person = subject
        fraction = respondent_fraction(
            session, response.checkpoint_id, person.id, as_subject=graded_by_subject(audience, activity.rule)
        )
        if fraction is None and response.score_fraction is not None:
            fraction = float(response.score_fraction)
        if fraction is None:
            # An instrument without scored items: the submission counts, the grade waits for a coordinator.
            return _pending_manual(session, item, person, maximum)
        try:
            score = scaled_score(fraction, maximum)
        except InvalidScore as err:
            # Never lose the submission over a bad score: it waits for the coordinator, who sees why.
            log.warning("activity %s: %s; %s waits for a coordinator's grade", activity.id, err.message, person.id)
            return _pending_manual(session, item, person, maximum)
        return record_result(session, line_item=item, person=person, score_given=score, score_maximum=maximum)
    if activity.rule == ScoringRule.MANUAL.value:
        existing = session.execute(
            select(GradeResult).where(GradeResult.line_item_id == item.id, GradeResult.person_id == person.id)
        ).scalar_one_or_none()
        if existing is not None and existing.grading_progress == "FullyGraded":
            # Already graded: a resubmission waits for the coordinator again, the old score is kept.
            return record_result(
                session,
                line_item=item,
                person=person,
                score_given=existing.score_given,
                score_maximum=existing.score_maximum or maximum,
                activity_progress="Submitted",
                grading_progress="PendingManual",
                comment=existing.comment,
                is_override=existing.is_override,
            )
        return _pending_manual(session, item, person, maximum)
    return None


def _override(session: Session, item: LineItem, person_id: int) -> GradeResult | None:
    """The person's result on the column if a coordinator gave it, else None."""
    return session.execute(
        select(GradeResult).where(
            GradeResult.line_item_id == item.id,
            GradeResult.person_id == person_id,
            GradeResult.is_override.is_(True),
        )
    ).scalar_one_or_none()


def _pending_manual(session: Session, item: LineItem, person: Person, maximum: float) -> GradeResult:
    return record_result(
        session,
        line_item=item,
        person=person,
        score_given=None,
        score_maximum=maximum,
        activity_progress="Submitted",
        grading_progress="PendingManual",
    )


def scaled_score(fraction: float, maximum: float) -> float:
    """``fraction × maximum`` rounded to 4 decimals; a fraction outside 0..1 is a clear error."""
    if not math.isfinite(fraction) or fraction < 0:
        raise InvalidScore(f"The instrument score {fraction!r} is not a fraction from 0 to 1.")
    if fraction > 1 + 1e-9:
        raise InvalidScore(
            f"The instrument score is {fraction * 100:g}% of its maximum, above 100%: "
            f"it cannot be scaled to {maximum:g} points. Check the instrument's scored items."
        )
    return round(min(fraction, 1.0) * maximum, 4)


# --- manual grading ----------------------------------------------------------------------------------------


def parse_score(raw: str, maximum: float) -> float:
    """A coordinator's score as typed ("7", "7.5", "7,5"), from 0 to the maximum; :class:`InvalidScore`."""
    text = (raw or "").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise InvalidScore(N_("Enter the score as a number.")) from None
    if not math.isfinite(value):
        raise InvalidScore(N_("Enter the score as a number."))
    if value < 0 or value > maximum:
        raise InvalidScore(N_("The score must be from 0 to the activity's maximum."))
    return value


def grade_manual(
    session: Session, activity: GradableActivity, person_id: int, score: float, comment: str | None = None
) -> GradeResult:
    """Record the coordinator's score for a submission: ``Completed`` / ``FullyGraded``. Flushes.

    The rule ``manual`` waits for it; for the other evaluation rules it overrides the computed score (or
    gives one where the instrument score could not be used). Either way the result is marked
    ``is_override``: a regrade or a later submission leaves it as the coordinator set it.

    Only a person with a submission (a result on this activity's column) can be graded; a score outside
    0..maximum raises :class:`InvalidScore` and writes nothing.
    """
    if activity.kind != ActivityKind.EVALUATION.value or activity.line_item is None:
        raise ActivityError(N_("Only evaluation activities are graded by hand."))
    result = session.execute(
        select(GradeResult).where(GradeResult.line_item_id == activity.line_item_id, GradeResult.person_id == person_id)
    ).scalar_one_or_none()
    person = session.get(Person, person_id)
    if result is None or person is None:
        raise NotInCourse("This person has not submitted this activity.")
    maximum = float(activity.score_maximum)
    if not 0 <= score <= maximum:
        raise InvalidScore(N_("The score must be from 0 to the activity's maximum."))
    return record_result(
        session,
        line_item=activity.line_item,
        person=person,
        score_given=score,
        score_maximum=maximum,
        activity_progress="Completed",
        grading_progress="FullyGraded",
        comment=(comment or "").strip()[:2000] or None,
        is_override=True,
    )


@dataclass(frozen=True)
class Submission:
    person: Person
    result: GradeResult

    @property
    def pending(self) -> bool:
        return self.result.grading_progress == "PendingManual"


def submissions(session: Session, activity: GradableActivity) -> list[Submission]:
    """Everyone with a result on a manual activity's column, pending first, then by name."""
    if activity.line_item_id is None:
        return []
    rows = session.execute(
        select(GradeResult, Person)
        .join(Person, Person.id == GradeResult.person_id)
        .where(GradeResult.line_item_id == activity.line_item_id)
    ).all()
    found = [Submission(person, result) for result, person in rows]
    found.sort(key=lambda s: (not s.pending, (s.person.family_name or "").lower(), s.person.display_name.lower()))
    return found


# --- participation ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipationScore:
    person_id: int
    counts: dict[str, int]
    fraction: float  # 0..1 of the maximum

    def score(self, maximum: float) -> float:
        return round(min(self.fraction, 1.0) * maximum, 2)


EngagementCounter = Callable[[Session, int, list[int]], dict[int, int]]


def pair_posts(session: Session, course_id: int, person_ids: list[int]) -> dict[int, int]:
    """Messages each person posted in the course's pair (and group) threads; deleted and hidden ones not
    counted. Forum posts are not mentoring engagement and do not count."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(Post.author_id, func.count(Post.id))
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Thread.course_id == course_id,
            Thread.space_kind.in_(("pair", "group")),
            Post.author_id.in_(person_ids),
            Post.deleted_at.is_(None),
            Post.hidden_at.is_(None),
        )
        .group_by(Post.author_id)
    ).all()
    return {int(author): int(count) for author, count in rows if author is not None}


def meetings_held(session: Session, course_id: int, person_ids: list[int]) -> dict[int, int]:
    """Meetings held (recorded outcome "held") in each person's pair and group spaces, ended ones included."""
    if not person_ids:
        return {}
    wanted = set(person_ids)
    counts = meeting_counts(session, course_id)
    held: dict[int, int] = {}
    for space in course_spaces(session, course_id, active_only=False):
        n = counts.get((space.kind, space.id))
        if n is None or not n.held:
            continue
        for pid in space.person_ids & wanted:
            held[pid] = held.get(pid, 0) + n.held
    return held


def goals_updated(session: Session, course_id: int, person_ids: list[int]) -> dict[int, int]:
    """Goal updates each person made in the course (created, edited, status, milestones, comments)."""
    wanted = set(person_ids)
    return {pid: n for pid, n in goal_updates_by_person(session, course_id).items() if pid in wanted}


COUNTERS: dict[str, EngagementCounter] = {"posts": pair_posts, "meetings": meetings_held, "goals": goals_updated}


def graded_people(session: Session, course_id: int) -> list[int]:
    """Ids of the course's active participants (mentors and mentees), who get a participation grade."""
    return list(
        session.execute(
            select(Membership.person_id)
            .where(
                Membership.course_id == course_id,
                Membership.program_role == "participant",
                Membership.is_active.is_(True),
            )
            .order_by(Membership.person_id)
        ).scalars()
    )


def participation_fraction(
    counts: Mapping[str, int], weights: Mapping[str, float], targets: Mapping[str, float]
) -> float:
    """Σ weight × min(1, count / target) / Σ weight over the components with a weight above 0."""
    total = sum(max(0.0, float(weights.get(n, 0.0))) for n in PARTICIPATION_COMPONENTS)
    if total <= 0:
        return 0.0
    earned = 0.0
    for name in PARTICIPATION_COMPONENTS:
        weight = max(0.0, float(weights.get(name, 0.0)))
        target = float(targets.get(name, 0.0) or 0.0)
        if weight <= 0 or target <= 0:
            continue
        earned += weight * min(1.0, counts.get(name, 0) / target)
    return min(1.0, earned / total)


def participation_scores(
    session: Session,
    course_id: int,
    weights: Mapping[str, float] | None = None,
    targets: Mapping[str, float] | None = None,
    person_ids: Iterable[int] | None = None,
) -> dict[int, ParticipationScore]:
    """Each participant's engagement counts and participation fraction (one query per component)."""
    weights = weights if weights is not None else DEFAULT_WEIGHTS
    targets = targets if targets is not None else DEFAULT_TARGETS
    people = list(person_ids) if person_ids is not None else graded_people(session, course_id)
    per_component = {name: COUNTERS[name](session, course_id, people) for name in PARTICIPATION_COMPONENTS}
    scores = {}
    for person_id in people:
        counts = {name: per_component[name].get(person_id, 0) for name in PARTICIPATION_COMPONENTS}
        scores[person_id] = ParticipationScore(person_id, counts, participation_fraction(counts, weights, targets))
    return scores


@dataclass
class RecomputeReport:
    people: int = 0
    changed: int = 0


class Translator(Protocol):
    """What the participation comment needs of a catalogue (``gettext.NullTranslations``, Babel's
    ``Translations``)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


# A language code ("es") → the catalogue of that language; the web layer passes Flask-Babel's.
TranslationsFor = Callable[[str], Translator]
ENGLISH: Translator = _gettext.NullTranslations()


def _english(_language: str) -> Translator:
    return ENGLISH


def supported_language(locale: str | None, languages: Sequence[str]) -> str | None:
    """The tool's language for an LTI locale (``es-MX`` or ``pt_BR`` → ``es``, ``pt``), or None."""
    wanted = (locale or "").replace("_", "-").split("-")[0].lower()
    return wanted if wanted and wanted in languages else None


def course_language(session: Session, course_id: int, languages: Sequence[str], default: str) -> str:
    """The course's language as its LMS shows it: the locale of the coordinator who launched last, when the
    tool has it; else ``default``. (LTI carries no course language; a student without a locale of their
    own gets the language their coordinators use.)"""
    for locale in session.execute(
        select(Person.locale)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.course_id == course_id,
            Membership.program_role == "coordinator",
            Person.locale.is_not(None),
        )
        .order_by(Person.last_launch_at.desc(), Person.id)
        .limit(5)
    ).scalars():
        found = supported_language(locale, languages)
        if found is not None:
            return found
    return default


def participation_comment(counts: Mapping[str, int], t: Translator = ENGLISH) -> str:
    """The comment sent to the LMS with a participation score, in the language of ``t``."""
    posts, meetings, goals = (int(counts.get(name, 0)) for name in ("posts", "meetings", "goals"))
    parts = {
        "messages": t.ngettext("%(num)d message", "%(num)d messages", posts) % {"num": posts},
        "meetings": t.ngettext("%(num)d meeting held", "%(num)d meetings held", meetings) % {"num": meetings},
        "goals": t.ngettext("%(num)d goal update", "%(num)d goal updates", goals) % {"num": goals},
    }
    return t.gettext("Mentoring participation: %(messages)s, %(meetings)s, %(goals)s.") % parts


def recompute_participation(
    session: Session,
    activity: GradableActivity,
    *,
    chunk: int = 500,
    commit: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    translations: TranslationsFor | None = None,
    languages: Sequence[str] = ("en",),
    default_language: str = "en",
) -> RecomputeReport:
    """Compute every participant's participation score and record the ones that changed.

    Results are recorded (with their outbox rows) in chunks of ``chunk`` people; ``commit`` is called
    after each chunk (a job commits there), ``progress(done, total)`` reports how far it got. A score and
    comment equal to the ones recorded are not recorded again, so a recompute sends only what changed.
    The comment is written in each student's language: the locale of their last launch when the tool
    speaks it (one of ``languages``), else the course's (:func:`course_language`), with the catalogue
    ``translations(language)`` gives (English without it).
    """
    if activity.rule != ScoringRule.PARTICIPATION.value:
        raise ActivityError(N_("Only participation activities are computed from engagement."))
    item = activity.line_item
    if item is None:
        raise ActivityError(N_("This activity has no gradebook column yet."))
    catalogue = translations or _english
    people = graded_people(session, activity.course_id)
    report = RecomputeReport(people=len(people))
    maximum = float(activity.score_maximum)
    weights = activity.weights or DEFAULT_WEIGHTS
    targets = activity.targets or DEFAULT_TARGETS
    fallback: str | None = None
    for start in range(0, len(people), chunk):
        part = people[start : start + chunk]
        scores = participation_scores(session, activity.course_id, weights, targets, part)
        existing = {
            r.person_id: r
            for r in session.execute(
                select(GradeResult).where(GradeResult.line_item_id == item.id, GradeResult.person_id.in_(part))
            ).scalars()
        }
        who = {
            pid: (sub, locale)
            for pid, sub, locale in session.execute(
                select(Person.id, Person.sub, Person.locale).where(Person.id.in_(part))
            ).all()
        }
        changed = []
        for person_id in part:
            score = scores[person_id].score(maximum)
            sub, locale = who[person_id]
            language = supported_language(locale, languages)
            if language is None:
                if fallback is None:
                    fallback = course_language(session, activity.course_id, languages, default_language)
                language = fallback
            comment = participation_comment(scores[person_id].counts, catalogue(language))
            old = existing.get(person_id)
            if (
                old is not None
                and old.score_given == score
                and old.score_maximum == maximum
                and old.grading_progress == "FullyGraded"
                and old.comment == comment
            ):
                continue
            changed.append(
                ResultEntry(
                    person_id=person_id,
                    sub=sub,
                    score_given=score,
                    score_maximum=maximum,
                    activity_progress="InProgress",
                    grading_progress="FullyGraded",
                    comment=comment,
                )
            )
        report.changed += record_results(session, item, changed)
        activity.last_computed_at = utcnow()
        session.flush()
        if commit is not None:
            commit()
        if progress is not None:
            progress(min(start + chunk, len(people)), len(people))
    if not people:
        activity.last_computed_at = utcnow()
        session.flush()
    return report


# --- evaluation checkpoints and responses (the evaluations domain) --------------------------------------------


def checkpoint_choices(
    session: Session, course_id: int, *, keep: int | None = None, include_archived: bool = False
) -> list[tuple[int, str]]:
    """The course's evaluation checkpoints as (id, title) for a coordinator to tie an activity to: archived
    ones left out, except ``keep`` (the one an activity already grades) or all with ``include_archived``
    (to name them)."""
    query = (
        select(EvaluationCheckpoint.id, EvaluationCheckpoint.title)
        .where(EvaluationCheckpoint.course_id == course_id)
        .order_by(EvaluationCheckpoint.due_at, EvaluationCheckpoint.id)
    )
    if not include_archived:
        query = query.where((EvaluationCheckpoint.archived_at.is_(None)) | (EvaluationCheckpoint.id == (keep or 0)))
    return [(int(cid), str(title)) for cid, title in session.execute(query).all()]


def archived_checkpoint_ids(session: Session, course_id: int) -> set[int]:
    """Ids of the course's archived checkpoints (pages mark them)."""
    return set(
        session.execute(
            select(EvaluationCheckpoint.id).where(
                EvaluationCheckpoint.course_id == course_id, EvaluationCheckpoint.archived_at.is_not(None)
            )
        ).scalars()
    )


TEXT_ITEMS = ("short_text", "long_text")


def response_texts(session: Session, activity: GradableActivity) -> dict[int, list[tuple[str, str]]]:
    """Per graded person, the (question, answer) pairs of the text items of the submitted responses to the
    activity's checkpoint (theirs, or about them when the activity grades the person evaluated): what a
    coordinator reads to grade a reflection (read through the evaluations domain, the checkpoint loaded
    within the activity's course)."""
    from ..mentoring.evaluations import responses as evaluation_responses
    from ..mentoring.evaluations.checkpoints import get_checkpoint
    from ..mentoring.evaluations.errors import NotFound

    if activity.checkpoint_id is None:
        return {}
    try:
        checkpoint = get_checkpoint(session, activity.course_id, activity.checkpoint_id)
    except NotFound:
        return {}
    by_subject = graded_by_subject(checkpoint.audience, activity.rule)

    def graded_person(response: EvaluationResponse) -> int:
        # Shown beside the person the activity grades: the one evaluated, or the one who answered.
        if by_subject and response.subject_person_id is not None:
            return response.subject_person_id
        return response.respondent_person_id

    texts: dict[int, list[tuple[str, str]]] = {}
    versions: dict[int, EvaluationInstrumentVersion] = {}
    for response in evaluation_responses.responses_for_checkpoint(session, checkpoint.id):
        version = versions.get(response.instrument_version_id)
        if version is None:
            version = evaluation_responses.version_for(session, checkpoint, response)
            versions[response.instrument_version_id] = version
        for shown in evaluation_responses.answers_for_display(version, response.answers or {}):
            item = shown["item"]
            if item.get("type") in TEXT_ITEMS and shown["text"]:
                texts.setdefault(graded_person(response), []).append((str(item.get("prompt") or ""), shown["text"]))
    return texts
