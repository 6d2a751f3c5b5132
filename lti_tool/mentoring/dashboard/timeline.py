"""One pair's story in time order, for the coordinator: pairing, posts, switch requests (and more as it lands).

What a coordinator reads follows :mod:`lti_tool.mentoring.spaces`: with ``SpaceAccess.may_read`` (a
moderated program) a post event carries its thread's title and the post's sanitised HTML; without it
(unmoderated) only the metadata — who posted, when, in which of the pair's threads (numbered, not named).
Deleted and hidden posts never show their text here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Participant, Person, Post, SwitchRequest, Thread
from ...models.discussions import SPACE_PAIR
from ..spaces import SpaceAccess
from .metrics import display_name

POST_LIMIT = 1000


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # approved, ended, post, switch_requested, switch_approved, switch_declined
    actor: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    content_html: str | None = None  # sanitised HTML, only when the viewer may read private content


@dataclass(frozen=True)
class Timeline:
    events: list[Event]
    may_read: bool
    posts_shown: int
    posts_total: int


def pair_timeline(session: Session, access: SpaceAccess, *, post_limit: int = POST_LIMIT) -> Timeline:
    """The pair's events, oldest first (the latest ``post_limit`` posts; a fixed number of queries)."""
    space = access.space
    names = {m.person_id: m.name for m in space.members}
    events: list[Event] = [Event(space.started_at, "approved")]
    if space.ended_at is not None:
        events.append(Event(space.ended_at, "ended"))

    thread_rows = session.execute(
        select(Thread.id, Thread.title, Thread.post_count)
        .where(Thread.course_id == space.course_id, Thread.space_kind == SPACE_PAIR, Thread.space_id == space.id)
        .order_by(Thread.id)
    ).all()
    numbers = {tid: i for i, (tid, _title, _count) in enumerate(thread_rows, start=1)}
    titles = {tid: title for tid, title, _count in thread_rows}
    total = sum(int(count or 0) for _tid, _title, count in thread_rows)
    post_rows: list[Any] = []
    if numbers:
        columns: list[Any] = [Post.id, Post.thread_id, Post.author_id, Post.created_at, Post.deleted_at, Post.hidden_at]
        if access.may_read:
            columns.append(Post.body_html)
        post_rows = list(
            session.execute(
                select(*columns)
                .where(Post.thread_id.in_(list(numbers)))
                .order_by(Post.created_at.desc(), Post.id.desc())
                .limit(post_limit)
            ).all()
        )
    others = {row.author_id for row in post_rows if row.author_id is not None and row.author_id not in names}
    if others:
        for pid, name, given, family, sub in session.execute(
            select(Person.id, Person.name, Person.given_name, Person.family_name, Person.sub).where(
                Person.id.in_(others)
            )
        ).all():
            names[pid] = display_name(name, given, family, sub)
    for row in post_rows:
        params: dict[str, object] = {"thread": numbers[row.thread_id]}
        content = None
        state = "deleted" if row.deleted_at else "hidden" if row.hidden_at else ""
        if access.may_read:
            params["title"] = titles[row.thread_id]
            if not state:
                content = row.body_html
        if state:
            params["state"] = state
        events.append(Event(row.created_at, "post", names.get(row.author_id), params, content))

    requester = {m.participant_id: m.name for m in space.members}
    for created, decided, status, by in session.execute(
        select(SwitchRequest.created_at, SwitchRequest.decided_at, SwitchRequest.status, Participant.id)
        .join(Participant, Participant.id == SwitchRequest.requested_by)
        .where(SwitchRequest.mentorship_id == space.id)
    ).all():
        events.append(Event(created, "switch_requested", requester.get(by)))
        if decided is not None and status in ("approved", "declined"):
            events.append(Event(decided, f"switch_{status}"))

    order = {"approved": 0, "switch_requested": 1, "post": 2, "switch_approved": 3, "switch_declined": 3, "ended": 4}
    events.sort(key=lambda e: (e.at, order.get(e.kind, 2)))
    return Timeline(events=events, may_read=access.may_read, posts_shown=len(post_rows), posts_total=total)
