"""Nudges: when a pair has been silent for the course's ``silence_days``, both members hear about it once.

The silence period starts at the latest post by one of the space's members (or at its start, before any):
a coordinator's post in the space does not end a silence. The idempotency
key names the space and that instant, so each silence period gives at most one nudge per member, however
often the tick runs; a new post starts a new period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..mentoring import spaces
from ..models import Mentorship, Thread
from ..models.mentorships import MentoringGroup
from .outbox import KIND_NUDGE, course_settings, queue


def _last_activity(session: Session, course_id: int) -> dict[tuple[str, int], datetime]:
    try:
        from ..mentoring.discussions.pairs import last_activity_by_space
    except ImportError:  # pragma: no cover - before pair threads existed
        rows = session.execute(
            select(Thread.space_kind, Thread.space_id, func.max(Thread.last_member_post_at))
            .where(
                Thread.course_id == course_id,
                Thread.space_id.is_not(None),
                Thread.last_member_post_at.is_not(None),
            )
            .group_by(Thread.space_kind, Thread.space_id)
        ).all()
        return {(kind, int(sid)): at for kind, sid, at in rows if at is not None and sid is not None}
    return last_activity_by_space(session, course_id)


def queue_nudges(session: Session, now: datetime) -> int:
    """Queue a nudge to each member of every pair silent for its course's ``silence_days``. Commits per course."""
    course_ids = sorted(
        set(
            session.execute(
                select(Mentorship.course_id).where(Mentorship.ended_at.is_(None)).group_by(Mentorship.course_id)
            ).scalars()
        )
        | set(
            session.execute(
                select(MentoringGroup.course_id)
                .where(MentoringGroup.ended_at.is_(None))
                .group_by(MentoringGroup.course_id)
            ).scalars()
        )
    )

    queued = 0
    for course_id in course_ids:
        days = course_settings(session, course_id).silence_days
        if days <= 0:
            continue
        activity = _last_activity(session, course_id)
        for space in spaces.course_spaces(session, course_id, active_only=True):
            last = activity.get((space.kind, space.id)) or space.started_at
            if now - last < timedelta(days=days):
                continue
            silent_days = (now - last).days
            for member in space.members:
                others = [m.name for m in space.members if m.person_id != member.person_id]
                row = queue(
                    session,
                    course_id=course_id,
                    person_id=member.person_id,
                    kind=KIND_NUDGE,
                    key=f"{space.key}:{last.isoformat()}",
                    context={
                        "space": space.key,
                        "kind": space.kind,
                        "partners": others,
                        "days": silent_days,
                        "role": member.role,
                        "last": last.isoformat(),
                    },
                )
                queued += row is not None
        session.commit()
    return queued
