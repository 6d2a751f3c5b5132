"""Evaluations: instruments (built-in templates, copies, versions), checkpoints, responses, visibility.

Modules: ``templates`` (built-in wording), ``instruments`` (items, scoring, versioned editing),
``checkpoints`` (scheduling, who answers, completion), ``responses`` (drafts, submission, reading),
``visibility`` (who sees what, aggregates). Functions for other parts of the tool:

* ``responses_for_checkpoint(session, checkpoint_id)``: the checkpoint's submitted responses
  (``EvaluationResponse`` rows with ``score_fraction``, ``respondent_person_id``, ``subject_person_id``).
* ``completion_by_checkpoint(session, course_id)``: per checkpoint, expected vs submitted counts.
* ``my_evaluations(session, course_id, person_id)``: what one person has to answer (for "Your evaluations").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ...models import EvaluationCheckpoint, EvaluationResponse, Person, utcnow
from .. import spaces
from . import checkpoints as _checkpoints
from .checkpoints import Assignment, Completion, assignments, completion_by_checkpoint
from .responses import responses_for_checkpoint

__all__ = ["Completion", "Task", "completion_by_checkpoint", "my_evaluations", "responses_for_checkpoint"]


@dataclass(frozen=True)
class Task:
    checkpoint: EvaluationCheckpoint
    subject_person_id: int | None
    subject_name: str | None
    status: str  # "upcoming", "open", "draft", "submitted"
    overdue: bool
    response_id: int | None

    @property
    def opens_at(self) -> datetime:
        return self.checkpoint.opens_at

    @property
    def due_at(self) -> datetime:
        return self.checkpoint.due_at


# Built once (the home page's evaluations card runs it on every visit); values are bound per call.
_MY_RESPONSES = (
    select(EvaluationResponse)
    .join(EvaluationCheckpoint, EvaluationCheckpoint.id == EvaluationResponse.checkpoint_id)
    .where(
        EvaluationCheckpoint.course_id == bindparam("course_id"),
        EvaluationResponse.respondent_person_id == bindparam("person_id"),
    )
)


def my_evaluations(session: Session, course_id: int, person_id: int) -> list[Task]:
    """The person's evaluations in the course, due soonest first: upcoming, open, started, done."""
    scheduled = _checkpoints.checkpoints(session, course_id)
    if not scheduled:  # most pages of most courses: nothing scheduled, nothing else to read
        return []
    now = utcnow()
    mine = {
        (r.checkpoint_id, r.subject_person_id): r
        for r in session.execute(_MY_RESPONSES, {"course_id": course_id, "person_id": person_id}).scalars()
    }
    pair_spaces = spaces.spaces_of(session, course_id, person_id, active_only=True)
    everyone: list[Assignment] | None = None  # the person's own "everyone" assignment, looked up once
    tasks = []
    for checkpoint in scheduled:
        if checkpoint.audience in _checkpoints.PAIR_AUDIENCES:
            mine_now = assignments(session, checkpoint, pair_spaces=pair_spaces, respondent=person_id)
        else:
            if everyone is None:
                everyone = assignments(session, checkpoint, respondent=person_id)
            mine_now = everyone
        keys: dict[int | None, str | None] = {a.subject_person_id: a.subject_name for a in mine_now}
        for (cp_id, subject), _r in mine.items():
            if cp_id == checkpoint.id and subject not in keys:  # a pair that has ended since
                person = session.get(Person, subject) if subject is not None else None
                keys[subject] = person.display_name if person is not None else None
        for subject, name in keys.items():
            response = mine.get((checkpoint.id, subject))
            status = response.status if response else ("open" if checkpoint.opens_at <= now else "upcoming")
            tasks.append(
                Task(
                    checkpoint,
                    subject,
                    name,
                    status,
                    status != "submitted" and checkpoint.due_at < now,
                    response.id if response else None,
                )
            )
    return tasks
