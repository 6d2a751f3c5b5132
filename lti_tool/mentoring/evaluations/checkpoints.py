"""Checkpoints: scheduling an instrument for an audience, who is expected to answer, and completion.

Audiences (``CHECKPOINT_AUDIENCES``) and the assignments they produce, one per (respondent, subject):

* ``mentees_about_mentor``: each active pair's mentee about their mentor;
* ``mentors_about_mentee``: each active pair's mentor about that mentee (one response per mentee);
* ``self_assessment``, ``reflection``, ``survey``: every program participant, about nobody (subject NULL).

Pairs come from ``lti_tool.mentoring.spaces`` (active pairs now). A response already given stays counted
even when its pair has ended since.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ...models import (
    EvaluationCheckpoint,
    EvaluationInstrument,
    EvaluationInstrumentVersion,
    EvaluationResponse,
    Membership,
    Participant,
    Person,
    Program,
    utcnow,
)
from ...models.evaluations import CHECKPOINT_AUDIENCES
from .. import spaces
from .errors import N_, InvalidCheckpoint, NotFound
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
_CHECKPOINTS = (
    select(EvaluationCheckpoint)
    .where(EvaluationCheckpoint.course_id == bindparam("course_id"))
    .order_by(EvaluationCheckpoint.due_at, EvaluationCheckpoint.id)
)


def checkpoints(session: Session, course_id: int) -> list[EvaluationCheckpoint]:
    return list(session.execute(_CHECKPOINTS, {"course_id": course_id}).scalars())


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
    """Whether the checkpoint's reminder should go out now (once, before the due date)."""
    now = now or utcnow()
    if checkpoint.reminder_hours_before <= 0 or checkpoint.reminders_sent_at is not None:
        return False
    return checkpoint.due_at - timedelta(hours=checkpoint.reminder_hours_before) <= now < checkpoint.due_at and (
        checkpoint.opens_at <= now
    )
