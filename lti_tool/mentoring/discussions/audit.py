"""The moderation log: one row per coordinator action (who, what, on which record, when, why)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...models import ModerationLog, utcnow
from .access import Viewer


def record(session: Session, viewer: Viewer, action: str, target_kind: str, target_id: int, reason: str = "") -> None:
    """Add a log row in the caller's transaction (it is committed, or rolled back, with the action)."""
    session.add(
        ModerationLog(
            course_id=viewer.course_id,
            actor_id=viewer.person_id,
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            reason=reason,
            created_at=utcnow(),
        )
    )
