"""Who sees which evaluation responses, and the aggregates that protect respondents.

* coordinator: every response and result of the course's checkpoints;
* respondent: their own answers (drafts and submitted);
* mentor, about them (``mentees_about_mentor``): per-item aggregates (mean, distribution) from the due
  date on, over the responses submitted by then, when at least ``MIN_AGGREGATE`` different mentees
  submitted (frozen at the due date, so that a late answer cannot be read off the difference between two
  aggregates); individual responses only after the coordinator releases the checkpoint;
* mentee, about them (``mentors_about_mentee``): the mentor's evaluation, only after release;
* anyone else (other pair, other course or platform): nothing, "not found".

Aggregates cover scale and choice items only: free-text answers could identify who wrote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import EvaluationCheckpoint, EvaluationInstrumentVersion, EvaluationResponse, utcnow
from .checkpoints import ABOUT_MENTEE, ABOUT_MENTOR
from .errors import NotFound
from .instruments import is_scorable

MIN_AGGREGATE = 3


@dataclass(frozen=True)
class ItemSummary:
    item: dict[str, Any]
    answered: int
    mean: float | None  # mean scale point (Likert) or mean points (choice with points)
    distribution: list[tuple[str, int]]  # (point or option label, count), every point/option listed


def summarize(items: Sequence[dict[str, Any]], responses: Sequence[EvaluationResponse]) -> list[ItemSummary]:
    """Per scale/choice item: how many answered, the mean and the distribution (text items left out)."""
    summaries = []
    for item in items:
        if item["type"] not in ("likert", "choice"):
            continue
        raw = [r.answers.get(item["id"]) for r in responses]
        values = [int(v) for v in raw if v is not None]
        if item["type"] == "likert":
            points = int(item["points"])
            counts = [(str(p), sum(1 for v in values if v == p)) for p in range(1, points + 1)]
            mean = sum(values) / len(values) if values else None
        else:
            options = item.get("options") or []
            counts = [(o["label"], sum(1 for v in values if v == i)) for i, o in enumerate(options)]
            mean = None
            if is_scorable(item) and values:
                mean = sum(float(options[v].get("points") or 0) for v in values if 0 <= v < len(options)) / len(values)
        summaries.append(ItemSummary(item, len(values), mean, counts))
    return summaries


@dataclass(frozen=True)
class AboutMe:
    """What the subject of a checkpoint's evaluations may see about themselves."""

    checkpoint: EvaluationCheckpoint
    submitted: int
    released: bool
    closed: bool  # the due date has passed
    on_time: int  # responses submitted by the due date (what the aggregate covers)
    aggregate: list[ItemSummary] | None  # None: not closed yet, or fewer than MIN_AGGREGATE mentees
    individual: list[EvaluationResponse]  # empty unless released


def about_me(
    session: Session, checkpoint: EvaluationCheckpoint, person_id: int, *, now: datetime | None = None
) -> AboutMe:
    """The evaluations about ``person_id`` at this checkpoint, as far as they may see them."""
    if checkpoint.audience not in (ABOUT_MENTOR, ABOUT_MENTEE):
        raise NotFound()
    responses = list(
        session.execute(
            select(EvaluationResponse)
            .where(
                EvaluationResponse.checkpoint_id == checkpoint.id,
                EvaluationResponse.subject_person_id == person_id,
                EvaluationResponse.status == "submitted",
            )
            .order_by(EvaluationResponse.id)
        ).scalars()
    )
    released = checkpoint.released
    closed = checkpoint.due_at <= (now or utcnow())
    # Frozen at the due date: a late answer never changes what the mentor already saw (the difference
    # between two aggregates would be that one answer).
    on_time = [r for r in responses if r.submitted_at is not None and r.submitted_at <= checkpoint.due_at]
    aggregate = None
    enough = len({r.respondent_person_id for r in on_time}) >= MIN_AGGREGATE
    if checkpoint.audience == ABOUT_MENTOR and closed and enough:
        aggregate = _summaries(session, on_time)
    return AboutMe(checkpoint, len(responses), released, closed, len(on_time), aggregate, responses if released else [])


def _summaries(session: Session, responses: Sequence[EvaluationResponse]) -> list[ItemSummary]:
    by_version: dict[int, list[EvaluationResponse]] = {}
    for r in responses:
        by_version.setdefault(r.instrument_version_id, []).append(r)
    newest = max(by_version)
    version = session.get(EvaluationInstrumentVersion, newest)
    assert version is not None
    # A checkpoint's responses share one version (it moves to a new version only while unanswered).
    return summarize(version.items, responses)


def may_read_response(response: EvaluationResponse, viewer_person_id: int, *, is_coordinator: bool) -> bool:
    """The table above, for one response (the caller loaded it inside the viewer's course)."""
    if is_coordinator or response.respondent_person_id == viewer_person_id:
        return True
    return (
        response.subject_person_id == viewer_person_id
        and response.status == "submitted"
        and response.checkpoint.released
    )


def subject_checkpoints(session: Session, course_id: int, person_id: int) -> list[EvaluationCheckpoint]:
    """Checkpoints of the course with at least one submitted response about ``person_id``."""
    return list(
        session.execute(
            select(EvaluationCheckpoint)
            .where(
                EvaluationCheckpoint.course_id == course_id,
                EvaluationCheckpoint.id.in_(
                    select(EvaluationResponse.checkpoint_id).where(
                        EvaluationResponse.subject_person_id == person_id,
                        EvaluationResponse.status == "submitted",
                    )
                ),
            )
            .order_by(EvaluationCheckpoint.due_at)
        ).scalars()
    )
