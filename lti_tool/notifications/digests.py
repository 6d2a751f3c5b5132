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

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from ..mentoring import spaces
from ..models import Membership, Post, Thread, ThreadReadMarker
from ..models.notifications import DIGEST_DAILY, DIGEST_WEEKLY, NotificationOutbox
from .outbox import KIND_DIGEST, Preference, course_preferences, full_key, mark_digests_sent, queue, wants
from .recipients import zones_of

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


def unread_since(
    session: Session, course_id: int, person_id: int, since: datetime, own_spaces: list[tuple[str, int]]
) -> list[dict]:
    """Per thread: title, kind, count of posts by others after ``since`` that the person has not read."""
    marker = (
        select(ThreadReadMarker.thread_id, ThreadReadMarker.last_read_post_id, ThreadReadMarker.participated)
        .where(ThreadReadMarker.person_id == person_id)
        .subquery()
    )
    followed_forum = and_(
        Thread.space_kind == "forum", or_(Thread.author_id == person_id, marker.c.participated.is_(True))
    )
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, space_id in own_spaces:
        by_kind[kind].append(space_id)
    own_pairs = or_(
        false(), *(and_(Thread.space_kind == kind, Thread.space_id.in_(ids)) for kind, ids in by_kind.items())
    )
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


def _candidates(
    session: Session, course_id: int, horizon: datetime, members_of: dict[tuple[str, int], set[int]]
) -> set[int]:
    """People who may have something unread: members of pairs with recent posts, and the authors and
    participants of forum threads with recent posts (everyone else has nothing for a digest)."""
    recent = (Thread.course_id == course_id) & (Thread.last_post_at > horizon)
    people: set[int] = set()
    for kind, space_id in session.execute(
        select(Thread.space_kind, Thread.space_id)
        .where(recent, Thread.space_id.is_not(None))
        .group_by(Thread.space_kind, Thread.space_id)
    ).all():
        people |= members_of.get((kind, int(space_id or 0)), set())
    forum = recent & (Thread.space_kind == "forum")
    people.update(
        pid
        for pid in session.execute(select(Thread.author_id).where(forum).group_by(Thread.author_id)).scalars()
        if pid
    )
    people.update(
        session.execute(
            select(ThreadReadMarker.person_id)
            .join(Thread, Thread.id == ThreadReadMarker.thread_id)
            .where(forum, ThreadReadMarker.participated.is_(True))
            .group_by(ThreadReadMarker.person_id)
        ).scalars()
    )
    return people


def _seen_everything(
    session: Session,
    course_id: int,
    horizon: datetime,
    candidates: set[int],
    spaces_of: dict[int, list[tuple[str, int]]],
) -> set[int]:
    """Candidates with nothing new in any of their recent threads: in each, they wrote the last post or
    their read marker is at the last post. Two queries for the course; spares an unread query per person."""
    rows = session.execute(
        select(
            Thread.id, Thread.space_kind, Thread.space_id, Thread.author_id, Thread.last_post_id, Thread.last_author_id
        ).where(Thread.course_id == course_id, Thread.last_post_at > horizon)
    ).all()
    markers: dict[tuple[int, int], tuple[int, bool]] = {
        (pid, tid): (last, took_part)
        for pid, tid, last, took_part in session.execute(
            select(
                ThreadReadMarker.person_id,
                ThreadReadMarker.thread_id,
                ThreadReadMarker.last_read_post_id,
                ThreadReadMarker.participated,
            ).where(ThreadReadMarker.thread_id.in_([r[0] for r in rows] or [-1]))
        ).all()
        if pid in candidates
    }
    seen = set()
    for person_id in candidates:
        own_spaces = set(spaces_of.get(person_id, ()))
        fresh = False
        for tid, kind, space_id, author, last_post, last_author in rows:
            marker = markers.get((person_id, tid))
            follows = (kind, space_id) in own_spaces or (
                kind == "forum" and (author == person_id or (marker is not None and marker[1]))
            )
            if not follows or last_author == person_id or (marker is not None and marker[0] >= (last_post or 0)):
                continue
            fresh = True
            break
        if not fresh:
            seen.add(person_id)
    return seen


def queue_digests(session: Session, now: datetime, *, digest_hour: int = 8) -> int:
    """Queue every digest due at ``now`` (idempotent per person, course and period). Commits per course.

    Per course: a handful of queries to find who may have something unread, their preferences, zones and
    the digests already queued; then one unread query per person whose digest is due and not yet queued.
    """
    horizon = now - timedelta(days=8)
    course_ids = (
        session.execute(select(Thread.course_id).where(Thread.last_post_at > horizon).group_by(Thread.course_id))
        .scalars()
        .all()
    )
    queued = 0
    for course_id in course_ids:
        spaces_of: dict[int, list[tuple[str, int]]] = defaultdict(list)
        members_of: dict[tuple[str, int], set[int]] = {}
        for space in spaces.course_spaces(session, course_id, active_only=False):
            members_of[(space.kind, space.id)] = set(space.person_ids)
            for person_id in space.person_ids:
                spaces_of[person_id].append((space.kind, space.id))
        active = set(
            session.execute(
                select(Membership.person_id).where(Membership.course_id == course_id, Membership.is_active.is_(True))
            ).scalars()
        )
        candidates = _candidates(session, course_id, horizon, members_of) & active
        if not candidates:
            continue
        prefs = course_preferences(session, course_id)
        zones = zones_of(session, course_id, candidates)
        done = set(
            session.execute(
                select(NotificationOutbox.idempotency_key).where(
                    NotificationOutbox.course_id == course_id,
                    NotificationOutbox.kind == KIND_DIGEST,
                    NotificationOutbox.created_at > horizon,
                )
            ).scalars()
        )
        sent_to: list[int] = []
        threads_seen = _seen_everything(session, course_id, horizon, candidates, spaces_of)
        for person_id in sorted(candidates - threads_seen):
            pref = prefs.get(person_id, Preference())
            if not wants(pref, KIND_DIGEST):
                continue
            period = period_key(pref, now, zones[person_id], digest_hour)
            key = f"{course_id}:{period}"
            if period is None or full_key(KIND_DIGEST, person_id, key) in done:
                continue
            length = timedelta(days=7 if pref.digest_frequency == DIGEST_WEEKLY else 1)
            since = max(pref.last_digest_at or now - length, horizon)
            threads = unread_since(session, course_id, person_id, since, spaces_of.get(person_id, []))
            if not threads:
                continue
            row = queue(
                session,
                course_id=course_id,
                person_id=person_id,
                kind=KIND_DIGEST,
                key=key,
                context={
                    "threads": threads[:MAX_THREADS_IN_DIGEST],
                    "more": max(0, len(threads) - MAX_THREADS_IN_DIGEST),
                    "total": sum(t["count"] for t in threads),
                    "since": since.isoformat(),
                    "frequency": pref.digest_frequency,
                },
                pref=pref,
                known_new=True,
            )
            if row is not None:
                sent_to.append(person_id)
        mark_digests_sent(session, course_id, sent_to, now)
        queued += len(sent_to)
        session.commit()
    return queued
