"""Evaluation reminders through the notification outbox (``lti_tool.notifications.notify``).

A checkpoint's reminder goes out once, ``reminder_hours_before`` its due date (0: never), to everyone
assigned who has not submitted yet: the notifications tick calls :func:`queue_evaluation_reminders`, which
is safe to run often and from several processes (each mail's idempotency key names the checkpoint, the
subject and the due date, so a moved due date earns a new reminder and a second tick queues nothing).
Coordinators can also remind the people still missing at once (:func:`remind_now`, once per day).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import EvaluationCheckpoint, EvaluationResponse, utcnow
from .checkpoints import assignments
from .errors import N_

KIND = "evaluation_reminder"
SUBJECT = N_("Evaluation due %(due)s: %(title)s")
BODY = N_("Please fill in “%(title)s”%(about)s by %(due)s. Your answers are saved as a draft until you submit.")
ACTION = N_("Open Mentoring Space from your course: “Your evaluations” is on the home page.")


def _queue(session: Session, checkpoint: EvaluationCheckpoint, key_suffix: str) -> int:
    from ...notifications import notify  # the notifications package is Flask-free

    done = {
        (r, s)
        for r, s in session.execute(
            select(EvaluationResponse.respondent_person_id, EvaluationResponse.subject_person_id).where(
                EvaluationResponse.checkpoint_id == checkpoint.id, EvaluationResponse.status == "submitted"
            )
        )
    }
    queued = 0
    for a in assignments(session, checkpoint):
        if (a.respondent_person_id, a.subject_person_id) in done:
            continue
        row = notify(
            session,
            course_id=checkpoint.course_id,
            person_id=a.respondent_person_id,
            kind=KIND,
            key=f"checkpoint-{checkpoint.id}-{a.subject_person_id or 0}-{key_suffix}",
            subject=SUBJECT,
            # The "about" part is pre-rendered English; the placeholders around it are translated at delivery.
            body=BODY,
            params={
                "due": checkpoint.due_at,
                "title": checkpoint.title,
                "about": f" ({a.subject_name})" if a.subject_name else "",
            },
            action=ACTION,
        )
        queued += row is not None
    return queued


def queue_evaluation_reminders(session: Session, now: datetime | None = None) -> int:
    """Queue the reminders of every checkpoint whose reminder time has come; flushes, the caller commits."""
    now = now or utcnow()
    candidates = session.execute(
        select(EvaluationCheckpoint).where(
            EvaluationCheckpoint.reminders_sent_at.is_(None),
            EvaluationCheckpoint.reminder_hours_before > 0,
            EvaluationCheckpoint.opens_at <= now,
            EvaluationCheckpoint.due_at > now,
            EvaluationCheckpoint.archived_at.is_(None),
        )
    ).scalars()
    queued = 0
    for checkpoint in list(candidates):
        if checkpoint.due_at - timedelta(hours=checkpoint.reminder_hours_before) > now:
            continue
        queued += _queue(session, checkpoint, checkpoint.due_at.isoformat())
        checkpoint.reminders_sent_at = now
    session.flush()
    return queued


def remind_now(session: Session, checkpoint: EvaluationCheckpoint, now: datetime | None = None) -> int:
    """Remind everyone still missing at this checkpoint now (at most once a day per person); flushes.
    An archived checkpoint takes no answers: nobody is reminded of it (0)."""
    if checkpoint.archived_at is not None:
        return 0
    now = now or utcnow()
    queued = _queue(session, checkpoint, f"now-{now.date().isoformat()}")
    session.flush()
    return queued
