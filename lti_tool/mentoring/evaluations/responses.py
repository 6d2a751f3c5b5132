"""Answering a checkpoint: drafts, final submission with required items, scoring, and reading responses.

A person may answer a checkpoint only for an assignment they have (``checkpoints.assignments``) or one
they already started (a pair that ended since keeps its draft or answer). Saving a draft keeps every
valid answer even when others are refused; a final submission needs every required item and is never
changed afterwards. The grade hook of ``lti_tool.grades.activities`` runs in the same transaction as the
submission, so a result and its grade outbox row commit together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import EvaluationCheckpoint, EvaluationInstrumentVersion, EvaluationResponse, utcnow
from .checkpoints import Assignment, assignments, is_open
from .errors import AlreadySubmitted, Archived, NotFound, NotOpen
from .instruments import Message, check_answers, score_fraction


@dataclass
class SaveOutcome:
    response: EvaluationResponse
    errors: dict[str, Message] = field(default_factory=dict)

    @property
    def submitted(self) -> bool:
        return self.response.status == "submitted"


def find_response(
    session: Session, checkpoint_id: int, respondent_person_id: int, subject_person_id: int | None
) -> EvaluationResponse | None:
    query = select(EvaluationResponse).where(
        EvaluationResponse.checkpoint_id == checkpoint_id,
        EvaluationResponse.respondent_person_id == respondent_person_id,
    )
    if subject_person_id is None:
        query = query.where(EvaluationResponse.subject_person_id.is_(None))
    else:
        query = query.where(EvaluationResponse.subject_person_id == subject_person_id)
    return session.execute(query.order_by(EvaluationResponse.id).limit(1)).scalar_one_or_none()


def assignment_for(
    session: Session, checkpoint: EvaluationCheckpoint, person_id: int, subject_person_id: int | None
) -> Assignment:
    """The viewer's assignment at this checkpoint about ``subject_person_id``, or ``NotFound``."""
    for a in assignments(session, checkpoint, respondent=person_id):
        if a.subject_person_id == subject_person_id:
            return a
    existing = find_response(session, checkpoint.id, person_id, subject_person_id)
    if existing is not None:
        return Assignment(person_id, subject_person_id, "", None)
    raise NotFound()


def version_for(
    session: Session, checkpoint: EvaluationCheckpoint, response: EvaluationResponse | None
) -> EvaluationInstrumentVersion:
    """The version a response answers: its own once started, else the checkpoint's current one."""
    version_id = response.instrument_version_id if response is not None else checkpoint.instrument_version_id
    version = session.get(EvaluationInstrumentVersion, version_id)
    assert version is not None
    return version


def save(
    session: Session,
    checkpoint: EvaluationCheckpoint,
    person_id: int,
    subject_person_id: int | None,
    raw: Mapping[str, str],
    *,
    final: bool,
) -> SaveOutcome:
    """Save the viewer's answers as a draft, or submit them (``final``).

    Refused answers come back in ``errors`` (one per item id); every valid answer is saved as a draft
    either way, so nothing typed is lost. Raises ``NotFound`` (no such assignment), ``Archived`` (the
    coordinator retired the checkpoint), ``NotOpen`` and ``AlreadySubmitted``.
    """
    assignment_for(session, checkpoint, person_id, subject_person_id)
    if checkpoint.archived_at is not None:
        raise Archived()
    if not is_open(checkpoint):
        raise NotOpen()
    response = find_response(session, checkpoint.id, person_id, subject_person_id)
    if response is not None and response.status == "submitted":
        raise AlreadySubmitted()
    version = version_for(session, checkpoint, response)
    answers, errors = check_answers(version.items, raw, final=final)
    if response is None:
        response = _new_response(session, checkpoint, version, person_id, subject_person_id)
        if response.status == "submitted":
            raise AlreadySubmitted()
    if errors:
        # Keep what was valid, and whatever earlier answer a refused value would have replaced.
        merged = dict(response.answers or {})
        merged.update(answers)
        response.answers = merged
    else:
        response.answers = answers
    response.score_fraction = score_fraction(version.items, response.answers)
    if final and not errors:
        response.status = "submitted"
        response.submitted_at = utcnow()
    session.flush()
    if response.status == "submitted":
        _grade_hook(session, response)
    return SaveOutcome(response, errors)


def _new_response(
    session: Session,
    checkpoint: EvaluationCheckpoint,
    version: EvaluationInstrumentVersion,
    person_id: int,
    subject_person_id: int | None,
) -> EvaluationResponse:
    """A new draft row, or the one a concurrent request (a double click) created a moment ago."""
    response = EvaluationResponse(
        checkpoint_id=checkpoint.id,
        instrument_version_id=version.id,
        respondent_person_id=person_id,
        subject_person_id=subject_person_id,
        status="draft",
        answers={},
    )
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError:
        existing = find_response(session, checkpoint.id, person_id, subject_person_id)
        if existing is None:
            raise
        return existing
    return response


def _grade_hook(session: Session, response: EvaluationResponse) -> None:
    """Hand the submitted response to the gradable activities, in the same transaction."""
    from ...grades import activities  # imported here: the grades side imports this package too

    activities.evaluation_submitted(session, response)


def responses_for_checkpoint(
    session: Session, checkpoint_id: int, *, submitted_only: bool = True
) -> list[EvaluationResponse]:
    """The checkpoint's responses (submitted ones by default), oldest first.

    Not scoped by course: callers pass a checkpoint id they loaded inside their course (the grade
    activities and the dashboard do), or use ``checkpoints.get_checkpoint`` first.
    """
    query = select(EvaluationResponse).where(EvaluationResponse.checkpoint_id == checkpoint_id)
    if submitted_only:
        query = query.where(EvaluationResponse.status == "submitted")
    return list(session.execute(query.order_by(EvaluationResponse.id)).scalars())


def responses_of(session: Session, course_id: int, person_id: int) -> list[EvaluationResponse]:
    """Everything a person answered in the course (drafts included)."""
    return list(
        session.execute(
            select(EvaluationResponse)
            .join(EvaluationCheckpoint, EvaluationCheckpoint.id == EvaluationResponse.checkpoint_id)
            .where(EvaluationCheckpoint.course_id == course_id, EvaluationResponse.respondent_person_id == person_id)
            .order_by(EvaluationResponse.id)
        ).scalars()
    )


def get_response(session: Session, course_id: int, response_id: int) -> EvaluationResponse:
    found = session.execute(
        select(EvaluationResponse)
        .join(EvaluationCheckpoint, EvaluationCheckpoint.id == EvaluationResponse.checkpoint_id)
        .where(EvaluationResponse.id == response_id, EvaluationCheckpoint.course_id == course_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def answers_for_display(version: EvaluationInstrumentVersion, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each item with the answer in words (scale point with its anchors, option label, text)."""
    shown = []
    for item in version.items:
        value = answers.get(item["id"])
        text: str | None = None
        if value is not None:
            if item["type"] == "likert":
                text = f"{value} / {item['points']}"
            elif item["type"] == "choice":
                options = item.get("options") or []
                text = options[int(value)]["label"] if 0 <= int(value) < len(options) else None
            else:
                text = str(value)
        shown.append({"item": item, "value": value, "text": text})
    return shown
