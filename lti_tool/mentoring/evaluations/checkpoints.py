"""Checkpoints: scheduling an instrument for an audience, who is expected to answer, and completion.

Audiences (``CHECKPOINT_AUDIENCES``) and the assignments they produce, one per (respondent, subject):

* ``mentees_about_mentor``: each active pair's mentee about their mentor;
* ``mentors_about_mentee``: each active pair's mentor about that mentee (one response per mentee);
* ``self_assessment``, ``reflection``, ``survey``: every program participant, about nobody (subject NULL).

Pairs come from ``lti_tool.mentoring.spaces`` (active pairs now). A response already given stays counted
even when its pair has ended since.

Retiring a checkpoint (``dependents``, ``archive_checkpoint``, ``delete_checkpoint``): a checkpoint is
deleted only when nothing depends on it (no response, not even a draft, and no graded activity pointing at
it). Otherwise it is archived: it leaves the participants' lists, takes no answers and sends no reminders,
while its responses, the activity that grades it and every score already in the LMS gradebook stay as
they are. An archived checkpoint can be restored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ...models import (
    EvaluationCheckpoint,
    EvaluationInstrument,
    EvaluationInstrumentVersion,
    EvaluationResponse,
    GradableActivity,
    GradeResult,
    LineItem,
    Membership,
    Participant,
    Person,
    Program,
    utcnow,
)
from ...models.evaluations import CHECKPOINT_AUDIENCES
from .. import spaces
from .errors import N_, CheckpointInUse, InvalidCheckpoint, NotFound
from .instruments import Message, get_instrument, latest_version

ABOUT_MENTOR = "mentees_about_mentor"
ABOUT_MENTEE = "mentors_about_mentee"
PAIR_AUDIENCES = (ABOUT_MENTOR, ABOUT_MENTEE)
MAX_REMINDER_HOURS = 24 * 30


@dataclass(frozen=True)
class Assignment:
    """One expected response: who answers, about whom (``None`` for self, reflection, survey)."""

    respondent_person_id: int
    subject_person_id: int | None
    respondent_name: str
    subject_name: str | None


# Built once (the home page's evaluations card runs it on every visit); :course_id is bound per call.
_ALL_CHECKPOINTS = (
    select(EvaluationCheckpoint)
    .where(EvaluationCheckpoint.course_id == bindparam("course_id"))
    .order_by(EvaluationCheckpoint.due_at, EvaluationCheckpoint.id)
)
_CHECKPOINTS = _ALL_CHECKPOINTS.where(EvaluationCheckpoint.archived_at.is_(None))
_ARCHIVED_CHECKPOINTS = _ALL_CHECKPOINTS.where(EvaluationCheckpoint.archived_at.is_not(None))


def checkpoints(session: Session, course_id: int) -> list[EvaluationCheckpoint]:
    """The course's checkpoints in use (archived ones left out), by due date."""
    return list(session.execute(_CHECKPOINTS, {"course_id": course_id}).scalars())


def archived_checkpoints(session: Session, course_id: int) -> list[EvaluationCheckpoint]:
    return list(session.execute(_ARCHIVED_CHECKPOINTS, {"course_id": course_id}).scalars())


def get_checkpoint(session: Session, course_id: int, checkpoint_id: int) -> EvaluationCheckpoint:
    found = session.execute(
        select(EvaluationCheckpoint).where(
            EvaluationCheckpoint.id == checkpoint_id, EvaluationCheckpoint.course_id == course_id
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def check_schedule(
    title: str, audience: str, opens_at: datetime | None, due_at: datetime | None, reminder_hours: int | None
) -> dict[str, Message]:
    errors: dict[str, Message] = {}
    if not title.strip():
        errors["title"] = (N_("Give the checkpoint a title, for example “Mid-course”."), {})
    elif len(title) > 200:
        errors["title"] = (N_("Keep the title under %(n)s characters."), {"n": 201})
    if audience not in CHECKPOINT_AUDIENCES:
        errors["audience"] = (N_("Choose who answers."), {})
    if opens_at is None:
        errors["opens_at"] = (N_("Enter a date and time, for example 2026-03-01 09:00."), {})
    if due_at is None:
        errors["due_at"] = (N_("Enter a date and time, for example 2026-03-15 17:00."), {})
    if opens_at and due_at and due_at <= opens_at:
        errors["due_at"] = (N_("The due date must come after the opening date."), {})
    if reminder_hours is None or not 0 <= reminder_hours <= MAX_REMINDER_HOURS:
        errors["reminder_hours_before"] = (
            N_("Enter a whole number of hours from 0 to %(n)s (0: no reminder)."),
            {"n": MAX_REMINDER_HOURS},
        )
    return errors


def create_checkpoint(
    session: Session,
    course_id: int,
    *,
    instrument_id: int,
    title: str,
    audience: str,
    opens_at: datetime | None,
    due_at: datetime | None,
    reminder_hours_before: int | None = 48,
    created_by: int | None = None,
) -> EvaluationCheckpoint:
    """Schedule the instrument's latest version (``opens_at``/``due_at`` aware datetimes, stored UTC)."""
    errors = check_schedule(title, audience, opens_at, due_at, reminder_hours_before)
    try:
        instrument = get_instrument(session, course_id, instrument_id)
    except NotFound:
        errors["instrument_id"] = (N_("Choose one of this course's instruments."), {})
    else:
        if instrument.archived:
            errors["instrument_id"] = (N_("This instrument is archived: restore it before scheduling it."), {})
    if errors:
        raise InvalidCheckpoint(errors)
    assert opens_at is not None and due_at is not None and reminder_hours_before is not None
    checkpoint = EvaluationCheckpoint(
        course_id=course_id,
        instrument_version_id=latest_version(session, instrument.id).id,
        title=title.strip(),
        audience=audience,
        opens_at=opens_at,
        due_at=due_at,
        reminder_hours_before=reminder_hours_before,
        created_by=created_by,
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def update_schedule(
    session: Session,
    checkpoint: EvaluationCheckpoint,
    *,
    title: str,
    opens_at: datetime | None,
    due_at: datetime | None,
    reminder_hours_before: int | None,
) -> EvaluationCheckpoint:
    """Change title and dates (audience and instrument stay: responses were given for them)."""
    errors = check_schedule(title, checkpoint.audience, opens_at, due_at, reminder_hours_before)
    if errors:
        raise InvalidCheckpoint(errors)
    assert opens_at is not None and due_at is not None and reminder_hours_before is not None
    if due_at != checkpoint.due_at or reminder_hours_before != checkpoint.reminder_hours_before:
        checkpoint.reminders_sent_at = None  # a new due date earns a new reminder
    checkpoint.title, checkpoint.opens_at, checkpoint.due_at = title.strip(), opens_at, due_at
    checkpoint.reminder_hours_before = reminder_hours_before
    session.flush()
    return checkpoint


def set_released(session: Session, checkpoint: EvaluationCheckpoint, released: bool) -> None:
    checkpoint.released = released
    checkpoint.released_at = utcnow() if released else None
    session.flush()


@dataclass(frozen=True)
class DependentActivity:
    """A graded activity that grades a checkpoint, with its gradebook column and how many results it holds."""

    id: int
    title: str
    column: str | None
    results: int


@dataclass(frozen=True)
class Dependents:
    """What would be lost if a checkpoint were deleted."""

    drafts: int
    submitted: int
    activities: list[DependentActivity]

    @property
    def responses(self) -> int:
        return self.drafts + self.submitted

    @property
    def results(self) -> int:
        return sum(a.results for a in self.activities)

    @property
    def deletable(self) -> bool:
        return self.responses == 0 and not self.activities


def dependents(session: Session, checkpoint: EvaluationCheckpoint) -> Dependents:
    """The checkpoint's responses (drafts and submitted) and the graded activities pointing at it."""
    statuses = dict(
        session.execute(
            select(EvaluationResponse.status, func.count(EvaluationResponse.id))
            .where(EvaluationResponse.checkpoint_id == checkpoint.id)
            .group_by(EvaluationResponse.status)
        ).all()
    )
    results = (
        select(func.count(GradeResult.id))
        .where(GradeResult.line_item_id == GradableActivity.line_item_id)
        .correlate(GradableActivity)
        .scalar_subquery()
    )
    activities = [
        DependentActivity(int(aid), str(title), label, int(count or 0))
        for aid, title, label, count in session.execute(
            select(GradableActivity.id, GradableActivity.title, LineItem.label, results)
            .outerjoin(LineItem, LineItem.id == GradableActivity.line_item_id)
            .where(
                GradableActivity.checkpoint_id == checkpoint.id,
                GradableActivity.course_id == checkpoint.course_id,
            )
            .order_by(GradableActivity.id)
        ).all()
    ]
    return Dependents(int(statuses.get("draft", 0)), int(statuses.get("submitted", 0)), activities)


def archive_checkpoint(session: Session, checkpoint: EvaluationCheckpoint) -> Dependents:
    """Retire a checkpoint, keeping everything: participants no longer see or answer it, no reminder goes
    out, its responses stay, and an activity grading it keeps its gradebook column with every score already
    sent (nothing is deleted in the LMS). Flushes; returns what was kept."""
    if checkpoint.archived_at is None:
        checkpoint.archived_at = utcnow()
    session.flush()
    return dependents(session, checkpoint)


def restore_checkpoint(session: Session, checkpoint: EvaluationCheckpoint) -> None:
    """Bring an archived checkpoint back: listed, answerable (if open) and reminded again. Flushes."""
    checkpoint.archived_at = None
    session.flush()


def delete_checkpoint(session: Session, checkpoint: EvaluationCheckpoint) -> None:
    """Delete a checkpoint nothing depends on; :class:`CheckpointInUse` otherwise (archive it instead).

    The checkpoint's row is locked first (PostgreSQL), so a response being saved at this moment either
    commits first and is seen here (the deletion is refused), or waits and then finds no checkpoint: a
    response is never deleted with it. Flushes; the caller commits.
    """
    session.execute(
        select(EvaluationCheckpoint.id).where(EvaluationCheckpoint.id == checkpoint.id).with_for_update()
    ).first()
    if not dependents(session, checkpoint).deletable:
        raise CheckpointInUse()
    session.delete(checkpoint)
    session.flush()


def instrument_of(session: Session, checkpoint: EvaluationCheckpoint) -> EvaluationInstrument:
    version = session.get(EvaluationInstrumentVersion, checkpoint.instrument_version_id)
    assert version is not None
    return version.instrument


def _participants(session: Session, course_id: int, person_id: int | None = None) -> list[tuple[int, str]]:
    query = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(Participant, Participant.membership_id == Membership.id)
        .join(Program, Program.id == Participant.program_id)
        .where(Program.course_id == course_id, Membership.course_id == course_id, Membership.is_active.is_(True))
    )
    if person_id is not None:
        query = query.where(Person.id == person_id)
    return [(p.id, p.display_name) for p in session.execute(query.order_by(Person.id)).scalars()]


def assignments(
    session: Session,
    checkpoint: EvaluationCheckpoint,
    *,
    pair_spaces: list[spaces.Space] | None = None,
    respondent: int | None = None,
) -> list[Assignment]:
    """Everyone expected to answer the checkpoint, and about whom (only ``respondent``'s when given)."""
    if checkpoint.audience in PAIR_AUDIENCES:
        found: list[Assignment] = []
        if pair_spaces is None:
            pair_spaces = (
                spaces.course_spaces(session, checkpoint.course_id)
                if respondent is None
                else spaces.spaces_of(session, checkpoint.course_id, respondent, active_only=True)
            )
        for space in pair_spaces:
            for mentor in space.mentors():
                for mentee in space.mentees():
                    if checkpoint.audience == ABOUT_MENTOR:
                        found.append(Assignment(mentee.person_id, mentor.person_id, mentee.name, mentor.name))
                    else:
                        found.append(Assignment(mentor.person_id, mentee.person_id, mentor.name, mentee.name))
        return [a for a in found if respondent is None or a.respondent_person_id == respondent]
    people = _participants(session, checkpoint.course_id, respondent)
    return [Assignment(pid, None, name, None) for pid, name in people]


def is_open(checkpoint: EvaluationCheckpoint, now: datetime | None = None) -> bool:
    return checkpoint.opens_at <= (now or utcnow())


def is_overdue(checkpoint: EvaluationCheckpoint, now: datetime | None = None) -> bool:
    return checkpoint.due_at < (now or utcnow())


@dataclass(frozen=True)
class Completion:
    checkpoint_id: int
    title: str
    audience: str
    due_at: datetime
    expected: int
    submitted: int
    drafts: int

    @property
    def fraction(self) -> float:
        return self.submitted / self.expected if self.expected else 0.0


def completion_by_checkpoint(session: Session, course_id: int) -> list[Completion]:
    """Expected and submitted responses for each checkpoint of the course, by due date.

    ``expected`` counts the audience's assignments now (active pairs, current participants) plus any
    submitted response from someone no longer assigned (an ended pair's answer still counts).
    For the dashboard (C3) and grading (C2); one query per checkpoint for the responses.
    """
    result = []
    pair_spaces = spaces.course_spaces(session, course_id)
    people: list[Assignment] | None = None
    for checkpoint in checkpoints(session, course_id):
        if checkpoint.audience in PAIR_AUDIENCES:
            found = assignments(session, checkpoint, pair_spaces=pair_spaces)
            expected = {(a.respondent_person_id, a.subject_person_id) for a in found}
        else:
            if people is None:
                people = assignments(session, checkpoint)
            expected = {(a.respondent_person_id, a.subject_person_id) for a in people}
        statuses: Counter[str] = Counter()
        submitted_keys: set[tuple[int, int | None]] = set()
        for respondent, subject, status in session.execute(
            select(
                EvaluationResponse.respondent_person_id,
                EvaluationResponse.subject_person_id,
                EvaluationResponse.status,
            ).where(EvaluationResponse.checkpoint_id == checkpoint.id)
        ):
            statuses[status] += 1
            if status == "submitted":
                submitted_keys.add((respondent, subject))
        result.append(
            Completion(
                checkpoint.id,
                checkpoint.title,
                checkpoint.audience,
                checkpoint.due_at,
                len(expected | submitted_keys),
                statuses["submitted"],
                statuses["draft"],
            )
        )
    return result


def reminder_due(checkpoint: EvaluationCheckpoint, now: datetime | None = None) -> bool:
    """Whether the checkpoint's reminder should go out now (once, before the due date, never once archived)."""
    now = now or utcnow()
    if (
        checkpoint.reminder_hours_before <= 0
        or checkpoint.reminders_sent_at is not None
        or checkpoint.archived_at is not None
    ):
        return False
    return checkpoint.due_at - timedelta(hours=checkpoint.reminder_hours_before) <= now < checkpoint.due_at and (
        checkpoint.opens_at <= now
    )
