"""Recording results: the result and its outbox row in the caller's transaction, and resending.

AGS 2.0 §3.4.7: "the platform MUST NOT update a result if the last timestamp on record is later than the
incoming score update". Each result version therefore carries a timestamp with microseconds that is
strictly later than the previous version's, and that timestamp travels with the outbox row: a delivery
retried after a newer one was sent can never overwrite it, and a retried delivery of the same version is
ignored by the platform as a duplicate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Course, GradeOutbox, GradeResult, LineItem, OutboxStatus, Person, utcnow
from ..models.queries import get_or_create
from .errors import InvalidScore, NotInCourse

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
UNDELIVERED = (OutboxStatus.PENDING.value, OutboxStatus.FAILED.value)
ONE_MICROSECOND = timedelta(microseconds=1)
# ``session.info`` key: ids of the courses whose results this session recorded (see views/grades.py).
RECORDED_COURSES = "grades.recorded_courses"


def score_timestamp(moment: datetime) -> str:
    """ISO 8601 with microseconds and a ``+00:00`` offset (pylti1p3's ``set_timestamp`` drops both)."""
    if moment.tzinfo is None:
        raise ValueError("score timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _check_score(score_given: float | None, score_maximum: float, activity: str, grading: str) -> None:
    if activity not in ACTIVITY_PROGRESS:
        raise InvalidScore(f"Activity progress must be one of {', '.join(ACTIVITY_PROGRESS)}, not {activity!r}.")
    if grading not in GRADING_PROGRESS:
        raise InvalidScore(f"Grading progress must be one of {', '.join(GRADING_PROGRESS)}, not {grading!r}.")
    if isinstance(score_maximum, bool) or not math.isfinite(score_maximum) or score_maximum <= 0:
        raise InvalidScore(f"The maximum score must be a number above 0, not {score_maximum!r}.")
    if score_given is None:
        if grading == "FullyGraded":
            raise InvalidScore("A fully graded result needs a score.")
        return
    if isinstance(score_given, bool) or not math.isfinite(score_given):
        raise InvalidScore(f"The score must be a number, not {score_given!r}.")
    if score_given < 0:
        raise InvalidScore(f"The score {score_given:g} is negative; scores go from 0 to {score_maximum:g}.")
    if score_given > score_maximum:
        raise InvalidScore(f"The score {score_given:g} is above the maximum of {score_maximum:g}.")


def score_payload(result: GradeResult, user_id: str) -> dict[str, Any]:
    """The AGS score (§3.4) for a result version, as the worker will post it."""
    body: dict[str, Any] = {
        "userId": user_id,
        "activityProgress": result.activity_progress,
        "gradingProgress": result.grading_progress,
        "timestamp": score_timestamp(result.timestamp),
    }
    if result.score_given is not None:
        body["scoreGiven"] = result.score_given
        body["scoreMaximum"] = result.score_maximum
    if result.comment:
        body["comment"] = result.comment
    return body


def record_result(
    session: Session,
    *,
    line_item: LineItem,
    person: Person,
    score_given: float | None,
    score_maximum: float | None = None,
    activity_progress: str = "Completed",
    grading_progress: str = "FullyGraded",
    comment: str | None = None,
    at: datetime | None = None,
    is_override: bool = False,
) -> GradeResult:
    """Record a person's latest result on a line item and queue its delivery. Flushes; the caller commits.

    The result and its outbox row are written in the caller's transaction, so either both exist or
    neither. Older undelivered outbox rows of the same person and line item are abandoned: only the latest
    result is sent. A score below 0 or above the maximum raises :class:`InvalidScore` and writes nothing.
    ``is_override``: a coordinator typed the score (see ``GradeResult.is_override``).
    """
    maximum = float(score_maximum if score_maximum is not None else line_item.score_maximum)
    given = None if score_given is None else float(score_given)
    _check_score(given, maximum, activity_progress, grading_progress)
    course = line_item.course if line_item.course is not None else session.get(Course, line_item.course_id)
    if course is None or person.platform_id != course.platform_id:
        raise NotInCourse("This person is not on the platform of the line item's course.")

    now = at or utcnow()
    result = get_or_create(
        session,
        lambda: session.execute(
            select(GradeResult)
            .where(GradeResult.line_item_id == line_item.id, GradeResult.person_id == person.id)
            .with_for_update()
        ).scalar_one_or_none(),
        lambda: GradeResult(
            line_item_id=line_item.id,
            person_id=person.id,
            activity_progress=activity_progress,
            grading_progress=grading_progress,
            timestamp=now,
            version=0,
            is_override=is_override,
        ),
    )
    if result.version:
        # Strictly later than the previous version, even within one microsecond or with a clock step back.
        now = max(now, result.timestamp + ONE_MICROSECOND)
    result.score_given = given
    result.score_maximum = maximum if given is not None else None
    result.activity_progress = activity_progress
    result.grading_progress = grading_progress
    result.comment = comment or None
    result.is_override = is_override
    result.timestamp = now
    result.version = (result.version or 0) + 1
    session.flush()

    session.execute(
        update(GradeOutbox)
        .where(
            GradeOutbox.line_item_id == line_item.id,
            GradeOutbox.person_id == person.id,
            GradeOutbox.status.in_(UNDELIVERED),
        )
        .values(status=OutboxStatus.ABANDONED.value, leased_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    session.add(
        GradeOutbox(
            result_id=result.id,
            line_item_id=line_item.id,
            person_id=person.id,
            platform_id=course.platform_id,
            result_version=result.version,
            payload=score_payload(result, person.sub),
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=utcnow(),
        )
    )
    session.flush()
    # Tell the web layer this request queued a score (it starts delivery once the request has committed).
    session.info.setdefault(RECORDED_COURSES, set()).add(course.id)
    return result


@dataclass(frozen=True)
class ResultEntry:
    """One person's new result, for :func:`record_results`."""

    person_id: int
    sub: str
    score_given: float | None
    score_maximum: float
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    comment: str | None = None


def record_results(
    session: Session,
    line_item: LineItem,
    entries: list[ResultEntry],
    *,
    at: datetime | None = None,
    keep_overrides: bool = False,
) -> int:
    """:func:`record_result` for many people of one line item in a fixed number of statements. Flushes.

    Same guarantees: every entry is checked before anything is written (one bad score writes nothing),
    each result version's timestamp is strictly later than the previous one, older undelivered outbox rows
    are abandoned and each new version gets its outbox row, all in the caller's transaction. Used by
    recomputations over a whole course (participation, regrading), where one statement per person would
    dominate. The results recorded here are computed ones (``is_override`` False). With ``keep_overrides``,
    an entry whose person has a coordinator's score (read under the row lock) is left out, so a
    recomputation never replaces a score a coordinator gave a moment ago. Returns how many were recorded.
    """
    if not entries:
        return 0
    for e in entries:
        _check_score(e.score_given, float(e.score_maximum), e.activity_progress, e.grading_progress)
    if len({e.person_id for e in entries}) != len(entries):
        raise InvalidScore("A person appears twice in one batch of results.")
    course = line_item.course if line_item.course is not None else session.get(Course, line_item.course_id)
    if course is None:
        raise NotInCourse()
    now = at or utcnow()
    ids = [e.person_id for e in entries]
    existing = {
        r.person_id: r
        for r in session.execute(
            select(GradeResult)
            .where(GradeResult.line_item_id == line_item.id, GradeResult.person_id.in_(ids))
            .with_for_update()
        ).scalars()
    }
    if keep_overrides:
        entries = [e for e in entries if not (e.person_id in existing and existing[e.person_id].is_override)]
        ids = [e.person_id for e in entries]
        if not entries:
            return 0
    fresh = [e for e in entries if e.person_id not in existing]
    if fresh:
        try:
            with session.begin_nested():
                session.execute(
                    insert(GradeResult),
                    [
                        {
                            "line_item_id": line_item.id,
                            "person_id": e.person_id,
                            "score_given": e.score_given,
                            "score_maximum": float(e.score_maximum) if e.score_given is not None else None,
                            "activity_progress": e.activity_progress,
                            "grading_progress": e.grading_progress,
                            "comment": e.comment or None,
                            "timestamp": now,
                            "version": 1,
                            "updated_at": now,
                            "is_override": False,
                        }
                        for e in fresh
                    ],
                )
        except IntegrityError:
            # Someone recorded one of these people meanwhile: go one by one (each re-reads its row).
            by_id = {p.id: p for p in session.execute(select(Person).where(Person.id.in_(ids))).scalars()}
            recorded = 0
            for e in entries:
                if (
                    keep_overrides
                    and session.execute(
                        select(GradeResult.id)
                        .where(
                            GradeResult.line_item_id == line_item.id,
                            GradeResult.person_id == e.person_id,
                            GradeResult.is_override.is_(True),
                        )
                        .with_for_update()
                    ).first()
                ):
                    continue
                recorded += 1
                record_result(
                    session,
                    line_item=line_item,
                    person=by_id[e.person_id],
                    score_given=e.score_given,
                    score_maximum=e.score_maximum,
                    activity_progress=e.activity_progress,
                    grading_progress=e.grading_progress,
                    comment=e.comment,
                    at=at,
                )
            return recorded
    for e in entries:
        result = existing.get(e.person_id)
        if result is None:
            continue
        result.score_given = e.score_given
        result.score_maximum = float(e.score_maximum) if e.score_given is not None else None
        result.activity_progress = e.activity_progress
        result.grading_progress = e.grading_progress
        result.comment = e.comment or None
        result.is_override = False
        result.timestamp = max(now, result.timestamp + ONE_MICROSECOND)
        result.version = (result.version or 0) + 1
    session.flush()
    session.execute(
        update(GradeOutbox)
        .where(
            GradeOutbox.line_item_id == line_item.id,
            GradeOutbox.person_id.in_(ids),
            GradeOutbox.status.in_(UNDELIVERED),
        )
        .values(status=OutboxStatus.ABANDONED.value, leased_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    results = {
        r.person_id: r
        for r in session.execute(
            select(GradeResult).where(GradeResult.line_item_id == line_item.id, GradeResult.person_id.in_(ids))
        ).scalars()
    }
    queued = utcnow()
    session.execute(
        insert(GradeOutbox),
        [
            {
                "result_id": results[e.person_id].id,
                "line_item_id": line_item.id,
                "person_id": e.person_id,
                "platform_id": course.platform_id,
                "result_version": results[e.person_id].version,
                "payload": score_payload(results[e.person_id], e.sub),
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": queued,
                "created_at": queued,
            }
            for e in entries
        ],
    )
    session.flush()
    session.info.setdefault(RECORDED_COURSES, set()).add(course.id)
    return len(entries)


def _latest_rows(
    session: Session, course_id: int, result_ids: Iterable[int] | None = None, line_item_id: int | None = None
) -> list[GradeOutbox]:
    latest = (
        select(GradeOutbox.result_id, GradeOutbox.id.label("id"))
        .join(LineItem, LineItem.id == GradeOutbox.line_item_id)
        .where(LineItem.course_id == course_id)
        .order_by(GradeOutbox.result_id, GradeOutbox.id.desc())
    )
    if line_item_id is not None:
        latest = latest.where(GradeOutbox.line_item_id == line_item_id)
    if result_ids is not None:
        latest = latest.where(GradeOutbox.result_id.in_(list(result_ids)))
    seen: dict[int, int] = {}
    for result_id, row_id in session.execute(latest):
        seen.setdefault(result_id, row_id)
    if not seen:
        return []
    return list(session.execute(select(GradeOutbox).where(GradeOutbox.id.in_(list(seen.values())))).scalars())


def latest_deliveries(session: Session, course_id: int, line_item_id: int | None = None) -> dict[int, GradeOutbox]:
    """The latest outbox row of every result in a course (or one of its line items), by result id: its
    sync state."""
    return {row.result_id: row for row in _latest_rows(session, course_id, line_item_id=line_item_id)}


def _requeue(rows: Iterable[GradeOutbox]) -> int:
    count = 0
    for row in rows:
        if row.status != OutboxStatus.FAILED.value:
            continue
        row.status = OutboxStatus.PENDING.value
        row.attempts = 0
        row.next_attempt_at = utcnow()
        row.leased_by = None
        row.lease_until = None
        count += 1
    return count


def resend(session: Session, course_id: int, result_id: int) -> bool:
    """Queue a failed result again (the coordinator's "Resend"). False when it was not failed."""
    result = session.get(GradeResult, result_id)
    if result is None or result.line_item.course_id != course_id:
        raise NotInCourse()
    changed = _requeue(_latest_rows(session, course_id, [result_id]))
    session.flush()
    return changed > 0


def resend_failed(session: Session, course_id: int) -> int:
    """Queue every failed result of a course again; returns how many."""
    changed = _requeue(_latest_rows(session, course_id))
    session.flush()
    return changed


def requeue_line_item(session: Session, line_item: LineItem) -> int:
    """Queue every person's latest result on a line item again (after the platform recreated it).

    Undelivered older rows are abandoned; rows in flight finish on their own (same timestamp: the
    platform keeps one). Returns how many rows were queued. Flushes; the caller commits.
    """
    course = session.get(Course, line_item.course_id)
    if course is None:
        return 0
    session.execute(
        update(GradeOutbox)
        .where(GradeOutbox.line_item_id == line_item.id, GradeOutbox.status.in_(UNDELIVERED))
        .values(status=OutboxStatus.ABANDONED.value, leased_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(GradeResult, Person.sub)
        .join(Person, Person.id == GradeResult.person_id)
        .where(GradeResult.line_item_id == line_item.id)
    ).all()
    for result, sub in rows:
        session.add(
            GradeOutbox(
                result_id=result.id,
                line_item_id=line_item.id,
                person_id=result.person_id,
                platform_id=course.platform_id,
                result_version=result.version,
                payload=score_payload(result, sub),
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=utcnow(),
            )
        )
    session.flush()
    return len(rows)
