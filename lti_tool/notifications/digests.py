"""New-message digests: unread posts in a person's pair threads and followed forum threads since the last one.

*Followed* forum threads are those the person started or posted in (their read marker says they took
part). A digest is due once per period in the person's own time zone: daily after ``digest_hour``
local time (one per local date), weekly after ``digest_hour`` once seven days have passed (one per ISO
week). Nothing unread, no mail. The period is in the idempotency key, so two ticks queue one digest.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..mentoring import spaces
from ..models import Membership, Post, Thread, ThreadReadMarker
from ..models.notifications import DIGEST_DAILY, DIGEST_WEEKLY
from .outbox import KIND_DIGEST, Preference, mark_digest_sent, preference, queue, wants
from .recipients import zone_of

MAX_THREADS_IN_DIGEST = 20


def period_key(pref: Preference, now: datetime, zone: ZoneInfo, digest_hour: int) -> str | None:
    """The digest period due now for this person, or None when none is due yet."""
    local = now.astimezone(zone)
    if local.hour < digest_hour:
        return None
    if pref.digest_frequency == DIGEST_DAILY:
        return local.date().isoformat()
    if pref.digest_frequency == DIGEST_WEEKLY:
        if pref.last_digest_at is not None and now - pref.last_digest_at < timedelta(days=6, hours=12):
            return None
        year, week, _day = local.isocalendar()
        return f"{year}-W{week:02d}"
    return None


def unread_since(session: Session, course_id: int, person_id: int, since: datetime, pair_ids: list[int]) -> list[dict]:
    """Per thread: title, kind, count of posts by others after ``since`` that the person has not read."""
    marker = (
        select(ThreadReadMarker.thread_id, ThreadReadMarker.last_read_post_id, ThreadReadMarker.participated)
        .where(ThreadReadMarker.person_id == person_id)
        .subquery()
    )
    followed_forum = and_(
        Thread.space_kind == "forum", or_(Thread.author_id == person_id, marker.c.participated.is_(True))
    )
    own_pairs = and_(Thread.space_kind == spaces.PAIR, Thread.space_id.in_(pair_ids or [-1]))
    rows = session.execute(
        select(Thread.id, Thread.title, Thread.space_kind, func.count(Post.id), func.max(Post.created_at))
        .join(Post, Post.thread_id == Thread.id)
        .outerjoin(marker, marker.c.thread_id == Thread.id)
        .where(
            Thread.course_id == course_id,
            Thread.last_post_at > since,
            or_(followed_forum, own_pairs),
            Post.created_at > since,
            Post.id > func.coalesce(marker.c.last_read_post_id, 0),
            or_(Post.author_id.is_(None), Post.author_id != person_id),
            Post.deleted_at.is_(None),
            Post.hidden_at.is_(None),
        )
        .group_by(Thread.id, Thread.title, Thread.space_kind)
        .order_by(func.max(Post.created_at).desc())
    ).all()
    return [
        {"thread_id": tid, "title": title, "kind": kind, "count": int(n), "last": last.isoformat()}
        for tid, title, kind, n, last in rows
    ]


def queue_digests(session: Session, now: datetime, *, digest_hour: int = 8) -> int:
    """Queue every digest due at ``now`` (idempotent per person, course and period). Commits per course."""
    horizon = now - timedelta(days=8)
    course_ids = (
        session.execute(select(Thread.course_id).where(Thread.last_post_at > horizon).group_by(Thread.course_id))
        .scalars()
        .all()
    )
    queued = 0
    for course_id in course_ids:
        members = (
            session.execute(
                select(Membership.person_id).where(Membership.course_id == course_id, Membership.is_active.is_(True))
            )
            .scalars()
            .all()
        )
        pairs_of: dict[int, list[int]] = defaultdict(list)
        for space in spaces.course_spaces(session, course_id, active_only=False):
            if space.kind == spaces.PAIR:
                for person_id in space.person_ids:
                    pairs_of[person_id].append(space.id)
        for person_id in members:
            pref = preference(session, person_id, course_id)
            if not wants(pref, KIND_DIGEST):
                continue
            zone = zone_of(session, person_id, course_id)
            period = period_key(pref, now, zone, digest_hour)
            if period is None:
                continue
            length = timedelta(days=7 if pref.digest_frequency == DIGEST_WEEKLY else 1)
            since = max(pref.last_digest_at or now - length, now - timedelta(days=8))
            threads = unread_since(session, course_id, person_id, since, pairs_of.get(person_id, []))
            if not threads:
                continue
            row = queue(
                session,
                course_id=course_id,
                person_id=person_id,
                kind=KIND_DIGEST,
                key=f"{course_id}:{period}",
                context={
                    "threads": threads[:MAX_THREADS_IN_DIGEST],
                    "more": max(0, len(threads) - MAX_THREADS_IN_DIGEST),
                    "total": sum(t["count"] for t in threads),
                    "since": since.isoformat(),
                    "frequency": pref.digest_frequency,
                },
            )
            if row is not None:
                mark_digest_sent(session, person_id, course_id, now)
                queued += 1
        session.commit()
    return queued
