"""Threads of a private mentoring space (a pair now, a group when groups exist).

The same threads, posts, read markers, revisions and reports as the forums (:mod:`.forums`,
:mod:`.moderation`), stored with ``Thread.space_kind``/``space_id`` instead of a topic. Who may do what
is decided by :mod:`lti_tool.mentoring.spaces` (its ``SpaceAccess``); this module adds what threads need:

| viewer | list and read threads | start, reply, edit/delete own | report | hide post | lock thread |
| --- | --- | --- | --- | --- | --- |
| member, active pairing | yes | yes | yes | no | no |
| member, ended pairing | yes (history) | no | yes | no | no |
| coordinator, moderated program | yes | yes (as moderator) | no | yes | yes |
| coordinator, unmoderated program | no: counts and dates only (and reported posts) | no | no | reported only | no |
| anyone else | "not found" (``SpaceNotFound`` from ``spaces.access``) | | | | |

Every lookup is scoped by the space *and* its course, so a thread or post id of another space is
``NotFound`` even for someone who may enter both spaces. Callers commit.

Turn taking counts the members' posts only. A coordinator who writes in a space (moderation) adds unread
news for the members, shown as from a coordinator, but it is nobody's turn because of it: "waiting for
your reply", whose turn, the last activity and days silent of the coordinators' overview, nudges and the
typical reply time all follow the latest *member* post (``Thread.last_member_*``, written with the post).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ...models import Person, Post, PostReport, Thread, ThreadReadMarker, utcnow
from ..spaces import SpaceAccess
from . import forums, moderation
from .access import COORDINATOR, OBSERVER, PARTICIPANT, Viewer
from .errors import Forbidden, NotFound

MAX_THREADS_LISTED = 200


def viewer_for(access: SpaceAccess) -> Viewer:
    """The discussion ``Viewer`` of someone in a space: coordinators moderate, members of an ended
    pairing only read (``observer``), members of an active one write (``participant``)."""
    if access.is_coordinator:
        role = COORDINATOR
    elif access.may_write:
        role = PARTICIPANT
    else:
        role = OBSERVER
    return Viewer(person_id=access.viewer_person_id, course_id=access.space.course_id, role=role)


def may_moderate(access: SpaceAccess) -> bool:
    """Hide any post and lock threads: coordinators of a moderated program."""
    return access.is_coordinator and access.moderated


def may_report(access: SpaceAccess) -> bool:
    return access.is_member


def require_read(access: SpaceAccess) -> None:
    if not access.may_read:
        raise Forbidden()


def require_write(access: SpaceAccess) -> None:
    if not access.may_write:
        raise Forbidden()


# --- threads ---------------------------------------------------------------------------------------------


def _in_space(access: SpaceAccess):  # type: ignore[no-untyped-def]
    return and_(
        Thread.course_id == access.space.course_id,
        Thread.space_kind == access.space.kind,
        Thread.space_id == access.space.id,
    )


def space_threads(session: Session, access: SpaceAccess) -> list[forums.ThreadRow]:
    """The space's threads, latest activity first, with unread counts and "waiting for your reply"."""
    require_read(access)
    viewer = viewer_for(access)
    rows = session.execute(
        select(Thread, Person, ThreadReadMarker)
        .outerjoin(Person, Person.id == Thread.author_id)
        .outerjoin(
            ThreadReadMarker,
            and_(ThreadReadMarker.thread_id == Thread.id, ThreadReadMarker.person_id == viewer.person_id),
        )
        .where(_in_space(access))
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(MAX_THREADS_LISTED)
    ).all()
    unread = forums._unread_counts(session, viewer, [t.id for t, _, _ in rows])
    return [
        forums.ThreadRow(
            thread=t,
            author_name=p.display_name if p is not None else None,
            unread=unread.get(t.id, 0),
            # A pair is a conversation: when another member wrote last, a member owes a reply. A coordinator's
            # post is unread news, not a turn (it does not move ``last_member_author_id``).
            waiting=bool(access.is_member and t.last_member_author_id not in (None, viewer.person_id)),
            last_by_coordinator=t.last_post_id is not None and t.last_post_id != t.last_member_post_id,
        )
        for t, p, _m in rows
    ]


def get_thread(session: Session, access: SpaceAccess, thread_id: int) -> Thread:
    require_read(access)
    thread = session.execute(select(Thread).where(Thread.id == thread_id, _in_space(access))).scalar_one_or_none()
    if thread is None:
        raise NotFound()
    return thread


def start_thread(session: Session, access: SpaceAccess, *, title: str, body: str) -> Thread:
    """A new private thread with its first post."""
    require_write(access)
    viewer = viewer_for(access)
    title = forums.clean_title(title)
    body = forums.clean_text(body, "body", forums.MAX_POST_CHARS)
    now = utcnow()
    thread = Thread(
        course_id=access.space.course_id,
        space_kind=access.space.kind,
        space_id=access.space.id,
        title=title,
        author_id=viewer.person_id,
        created_at=now,
        post_count=0,
    )
    session.add(thread)
    session.flush()
    forums._add_post(session, viewer, thread, body, now, member=access.is_member)
    return thread


def reply(session: Session, access: SpaceAccess, thread: Thread, *, body: str) -> Post:
    """A reply; a member's is a turn of the conversation, a coordinator's is not (module doc)."""
    require_write(access)
    return forums.reply(session, viewer_for(access), thread, None, body=body, member=access.is_member)


def thread_posts(session: Session, access: SpaceAccess, thread: Thread, **page: object) -> forums.PostPage:
    require_read(access)
    return forums.thread_posts(session, viewer_for(access), thread, **page)  # type: ignore[arg-type]


# --- posts -----------------------------------------------------------------------------------------------


def _post_row(session: Session, access: SpaceAccess, post_id: int) -> tuple[Post, Thread]:
    row = session.execute(
        select(Post, Thread).join(Thread, Thread.id == Post.thread_id).where(Post.id == post_id, _in_space(access))
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def get_post(session: Session, access: SpaceAccess, post_id: int) -> tuple[Post, Thread]:
    """A post of one of the space's threads, for someone who may read the space."""
    require_read(access)
    return _post_row(session, access, post_id)


def has_report(session: Session, access: SpaceAccess, post_id: int) -> bool:
    return (
        session.execute(
            select(PostReport.id)
            .where(PostReport.post_id == post_id, PostReport.course_id == access.space.course_id)
            .limit(1)
        ).first()
        is not None
    )


def get_post_to_hide(session: Session, access: SpaceAccess, post_id: int) -> tuple[Post, Thread]:
    """Coordinators hide any post of a moderated space; in an unmoderated one only a reported post (the
    report is what lets them see it). Anyone else: ``Forbidden``."""
    if not access.is_coordinator:
        raise Forbidden()
    post, thread = _post_row(session, access, post_id)
    if not access.moderated and not has_report(session, access, post.id):
        raise Forbidden()
    return post, thread


def edit_post(session: Session, access: SpaceAccess, post: Post, thread: Thread, *, body: str) -> Post:
    require_write(access)
    return forums.edit_post(session, viewer_for(access), post, thread, None, body=body)


def delete_post(session: Session, access: SpaceAccess, post: Post, thread: Thread) -> Post:
    require_write(access)
    return forums.delete_post(session, viewer_for(access), post, thread, None)


def history(session: Session, access: SpaceAccess, post: Post) -> list[forums.RevisionView]:
    require_read(access)
    return forums.history(session, viewer_for(access), post)


def report(session: Session, access: SpaceAccess, post: Post, *, reason: str) -> PostReport:
    """A member reports a post of their space (also after the pairing ended): the coordinator then sees
    that post and the report, moderated program or not."""
    if not may_report(access):
        raise Forbidden()
    reporter = Viewer(person_id=access.viewer_person_id, course_id=access.space.course_id, role=PARTICIPANT)
    return moderation.report(session, reporter, post, reason=reason)


def set_hidden(session: Session, access: SpaceAccess, post: Post, *, hidden: bool, reason: str) -> None:
    get_post_to_hide(session, access, post.id)
    moderation.set_hidden(session, viewer_for(access), post, hidden=hidden, reason=reason)


def set_locked(session: Session, access: SpaceAccess, thread: Thread, *, locked: bool, reason: str) -> None:
    if not may_moderate(access):
        raise Forbidden()
    moderation.set_locked(session, viewer_for(access), thread, locked=locked, reason=reason)


def reported_posts(session: Session, access: SpaceAccess) -> list[moderation.ReportView]:
    """Open reports of the space's posts, for its coordinator (whatever the moderation setting)."""
    if not access.is_coordinator:
        return []
    return [
        row
        for row in moderation.open_reports(session, viewer_for(access))
        if row.thread.space_kind == access.space.kind and row.thread.space_id == access.space.id
    ]


# --- activity metadata (coordinators' overview, nudges, dashboards) --------------------------------------


@dataclass(frozen=True)
class SpaceActivity:
    threads: int
    posts: int  # every post, coordinators' included
    last_post_at: datetime | None  # the latest post, a coordinator's included
    # The latest post by one of the space's members and its author: "last activity", days silent and
    # "waiting for whom" follow these, without reading any text (a coordinator's post is not a turn).
    last_member_post_at: datetime | None = None
    last_member_author_id: int | None = None


def activity_by_space(
    session: Session, course_id: int, *, only: tuple[str, int] | None = None
) -> dict[tuple[str, int], SpaceActivity]:
    """Per private space of the course (or only the space ``only``): threads, posts, the latest post's time,
    and the latest member post's time and author (one query for the counts, one for the latest member
    authors). Metadata only: no titles, no text."""
    scope = [Thread.course_id == course_id, Thread.space_id.is_not(None)]
    if only is not None:
        scope = [Thread.course_id == course_id, Thread.space_kind == only[0], Thread.space_id == only[1]]
    counts = session.execute(
        select(
            Thread.space_kind,
            Thread.space_id,
            func.count(),
            func.sum(Thread.post_count),
            func.max(Thread.last_post_at),
            func.max(Thread.last_member_post_at),
        )
        .where(*scope)
        .group_by(Thread.space_kind, Thread.space_id)
    ).all()
    latest: dict[tuple[str, int], tuple[datetime, int | None]] = {}
    for kind, space_id, at, author in session.execute(
        select(Thread.space_kind, Thread.space_id, Thread.last_member_post_at, Thread.last_member_author_id).where(
            *scope, Thread.last_member_post_at.is_not(None)
        )
    ):
        key = (kind, int(space_id or 0))
        if at is not None and (key not in latest or latest[key][0] < at):
            latest[key] = (at, author)
    result: dict[tuple[str, int], SpaceActivity] = {}
    for kind, space_id, n, posts, last, last_member in counts:
        key = (kind, int(space_id or 0))
        result[key] = SpaceActivity(
            threads=n,
            posts=int(posts or 0),
            last_post_at=last,
            last_member_post_at=last_member,
            last_member_author_id=latest[key][1] if key in latest else None,
        )
    return result


def last_activity_by_space(session: Session, course_id: int) -> dict[tuple[str, int], datetime]:
    """When a member of each private space of the course last posted: ``{(kind, id): time (UTC)}``.
    Spaces where no member has posted are absent (their pairing's start is the caller's reference); a
    coordinator's post does not end a silence."""
    rows = session.execute(
        select(Thread.space_kind, Thread.space_id, func.max(Thread.last_member_post_at))
        .where(Thread.course_id == course_id, Thread.space_id.is_not(None), Thread.last_member_post_at.is_not(None))
        .group_by(Thread.space_kind, Thread.space_id)
    ).all()
    return {(kind, int(space_id or 0)): at for kind, space_id, at in rows if at is not None}


def unread_by_space(
    session: Session, course_id: int, person_id: int, keys: list[tuple[str, int]]
) -> dict[tuple[str, int], int]:
    """How many posts by others the person has not read in each of the spaces ``keys`` (``(kind, id)``;
    the caller passes the spaces the person is a member of). One grouped, indexed query."""
    if not keys:
        return {}
    in_spaces = or_(*(and_(Thread.space_kind == kind, Thread.space_id == space_id) for kind, space_id in keys))
    rows = session.execute(
        select(Thread.space_kind, Thread.space_id, func.count())
        .join(Post, Post.thread_id == Thread.id)
        .outerjoin(
            ThreadReadMarker,
            and_(ThreadReadMarker.thread_id == Thread.id, ThreadReadMarker.person_id == person_id),
        )
        .where(
            Thread.course_id == course_id,
            in_spaces,
            Post.id > func.coalesce(ThreadReadMarker.last_read_post_id, 0),
            or_(Post.author_id.is_(None), Post.author_id != person_id),
            Post.deleted_at.is_(None),
        )
        .group_by(Thread.space_kind, Thread.space_id)
    ).all()
    return {(kind, int(space_id or 0)): n for kind, space_id, n in rows}


def response_times_by_space(
    session: Session, course_id: int, members: dict[tuple[str, int], frozenset[int]], *, since: datetime
) -> dict[tuple[str, int], timedelta]:
    """The median time a member took to answer another member, per space, over posts written since
    ``since`` (a post by a different member than the one before it in the same thread is an answer;
    coordinators' posts are skipped). ``members`` maps each space to its members' person ids. Metadata
    only: one query over the posts' authors and times, no text."""
    if not members:
        return {}
    rows = session.execute(
        select(Thread.space_kind, Thread.space_id, Post.thread_id, Post.author_id, Post.created_at)
        .join(Post, Post.thread_id == Thread.id)
        .where(Thread.course_id == course_id, Thread.space_id.is_not(None), Post.created_at >= since)
        .order_by(Post.thread_id, Post.id)
    ).all()
    gaps: dict[tuple[str, int], list[timedelta]] = {}
    previous: tuple[int, int | None, datetime] | None = None  # (thread, author, time) of the last member post
    for kind, space_id, thread_id, author_id, created_at in rows:
        key = (kind, int(space_id or 0))
        if author_id not in members.get(key, frozenset()):
            continue
        if previous is not None and previous[0] == thread_id and previous[1] != author_id:
            gaps.setdefault(key, []).append(created_at - previous[2])
        previous = (thread_id, author_id, created_at)
    return {key: statistics.median_low(values) for key, values in gaps.items()}
