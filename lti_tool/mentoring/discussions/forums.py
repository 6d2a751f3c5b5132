"""Course-wide forums: topics, threads and posts, with read markers and keyset pagination.

Every function takes the ``Viewer`` and looks records up within ``viewer.course_id`` only, so an id from
another course raises ``NotFound`` exactly like an id that does not exist. Pages are keyset-paginated:
posts by id (``after``/``before`` a post id), threads by (last activity, id), so a thread of thousands of
posts or a topic of hundreds of threads costs the same few indexed queries on its first page as on any
other. Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, tuple_, update
from sqlalchemy.orm import Session, contains_eager

from ...models import ForumTopic, Person, Post, PostRevision, Thread, ThreadReadMarker, utcnow
from ...models.discussions import SPACE_FORUM
from ...models.queries import get_or_create
from .access import Viewer
from .audit import record
from .errors import Forbidden, InvalidInput, Locked, NotFound
from .markdown import render_markdown

MAX_POST_CHARS = 20_000
MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_CHARS = 2_000
POSTS_PER_PAGE = 50
THREADS_PER_PAGE = 25
MEMBER_COUNTERS = ("last_member_post_id", "last_member_post_at", "last_member_author_id")


# --- input -----------------------------------------------------------------------------------------------


def clean_text(value: str, field_name: str, limit: int, *, required: bool = True) -> str:
    """Normalised text (CRLF → LF, stripped) or ``InvalidInput`` when empty or longer than ``limit``."""
    text = (value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise InvalidInput(field_name, "empty")
    if len(text) > limit:
        raise InvalidInput(field_name, "too_long", limit)
    return text


def clean_title(value: str, field_name: str = "title") -> str:
    return " ".join(clean_text(value, field_name, MAX_TITLE_CHARS).split())


# --- topics ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSummary:
    topic: ForumTopic
    unread_threads: int


def list_topics(session: Session, viewer: Viewer) -> list[TopicSummary]:
    """The course's topics in the coordinator's order, each with how many threads have news for the viewer."""
    topics = session.execute(
        select(ForumTopic).where(ForumTopic.course_id == viewer.course_id).order_by(ForumTopic.position, ForumTopic.id)
    ).scalars()
    unread = dict(
        session.execute(  # type: ignore[arg-type]
            select(Thread.topic_id, func.count())
            .outerjoin(
                ThreadReadMarker,
                and_(ThreadReadMarker.thread_id == Thread.id, ThreadReadMarker.person_id == viewer.person_id),
            )
            .where(
                Thread.course_id == viewer.course_id,
                Thread.space_kind == SPACE_FORUM,
                Thread.last_post_id > func.coalesce(ThreadReadMarker.last_read_post_id, 0),
                or_(Thread.last_author_id.is_(None), Thread.last_author_id != viewer.person_id),
            )
            .group_by(Thread.topic_id)
        ).all()
    )
    return [TopicSummary(t, unread.get(t.id, 0)) for t in topics]


def get_topic(session: Session, viewer: Viewer, topic_id: int) -> ForumTopic:
    topic = session.execute(
        select(ForumTopic).where(ForumTopic.id == topic_id, ForumTopic.course_id == viewer.course_id)
    ).scalar_one_or_none()
    if topic is None:
        raise NotFound()
    return topic


def save_topic(
    session: Session,
    viewer: Viewer,
    *,
    title: str,
    description: str,
    position: int,
    locked: bool,
    topic: ForumTopic | None = None,
) -> ForumTopic:
    """Create a topic, or update ``topic``: coordinators only. Locking or unlocking it is logged."""
    if not viewer.is_coordinator:
        raise Forbidden()
    title = clean_title(title)
    description = clean_text(description, "description", MAX_DESCRIPTION_CHARS, required=False)
    was_locked = topic.is_locked if topic is not None else False
    if topic is None:
        topic = ForumTopic(course_id=viewer.course_id, created_by=viewer.person_id, created_at=utcnow())
        session.add(topic)
    topic.title, topic.description, topic.position, topic.is_locked = title, description, position, locked
    session.flush()
    if locked != was_locked:
        record(session, viewer, "lock_topic" if locked else "unlock_topic", "topic", topic.id)
    return topic


# --- threads in a topic ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadRow:
    thread: Thread
    author_name: str | None
    unread: int
    waiting: bool
    # A private space's thread whose latest post is not by one of the space's members (a coordinator's).
    last_by_coordinator: bool = False


@dataclass(frozen=True)
class ThreadListPage:
    rows: list[ThreadRow]
    older: int | None  # the thread id to continue after, when there are older threads
    is_first: bool


def topic_threads(
    session: Session, viewer: Viewer, topic: ForumTopic, *, older_than: int | None = None, size: int = THREADS_PER_PAGE
) -> ThreadListPage:
    """One page of a topic's threads, latest activity first, with unread counts and "waiting" flags."""
    query = (
        select(Thread, Person, ThreadReadMarker)
        .outerjoin(Person, Person.id == Thread.author_id)
        .outerjoin(
            ThreadReadMarker,
            and_(ThreadReadMarker.thread_id == Thread.id, ThreadReadMarker.person_id == viewer.person_id),
        )
        .where(Thread.topic_id == topic.id, Thread.course_id == viewer.course_id)
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(size + 1)
    )
    if older_than is not None:
        cursor = session.execute(
            select(Thread.last_post_at, Thread.id).where(Thread.id == older_than, Thread.topic_id == topic.id)
        ).first()
        if cursor is not None:
            query = query.where(tuple_(Thread.last_post_at, Thread.id) < tuple_(cursor[0], cursor[1]))
    rows = session.execute(query).all()
    more = len(rows) > size
    rows = rows[:size]
    unread = _unread_counts(session, viewer, [t.id for t, _, _ in rows])
    return ThreadListPage(
        rows=[
            ThreadRow(
                thread=t,
                author_name=p.display_name if p is not None else None,
                unread=unread.get(t.id, 0),
                waiting=bool(m is not None and m.participated and t.last_author_id not in (None, viewer.person_id)),
            )
            for t, p, m in rows
        ],
        older=rows[-1][0].id if more and rows else None,
        is_first=older_than is None,
    )


def _unread_counts(session: Session, viewer: Viewer, thread_ids: list[int]) -> dict[int, int]:
    """Posts by others after each thread's read marker (one grouped, indexed query)."""
    if not thread_ids:
        return {}
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(Post.thread_id, func.count())
            .outerjoin(
                ThreadReadMarker,
                and_(ThreadReadMarker.thread_id == Post.thread_id, ThreadReadMarker.person_id == viewer.person_id),
            )
            .where(
                Post.thread_id.in_(thread_ids),
                Post.id > func.coalesce(ThreadReadMarker.last_read_post_id, 0),
                or_(Post.author_id.is_(None), Post.author_id != viewer.person_id),
                Post.deleted_at.is_(None),
            )
            .group_by(Post.thread_id)
        ).all()
    )


def get_thread(session: Session, viewer: Viewer, thread_id: int) -> Thread:
    """A forum thread of the viewer's course (``NotFound`` for any other id)."""
    thread = session.execute(
        select(Thread).where(
            Thread.id == thread_id, Thread.course_id == viewer.course_id, Thread.space_kind == SPACE_FORUM
        )
    ).scalar_one_or_none()
    if thread is None:
        raise NotFound()
    return thread


def thread_topic(session: Session, thread: Thread) -> ForumTopic:
    topic = session.get(ForumTopic, thread.topic_id)
    if topic is None or topic.course_id != thread.course_id:
        raise NotFound()
    return topic


def _require_can_post(viewer: Viewer, topic: ForumTopic | None, thread: Thread | None = None) -> None:
    """``topic`` is None for a thread of a private space (whose access the caller checked)."""
    if not viewer.may_write:
        raise Forbidden()
    topic_locked = topic is not None and topic.is_locked
    if not viewer.is_coordinator and (topic_locked or (thread is not None and thread.is_locked)):
        raise Locked()


def start_thread(session: Session, viewer: Viewer, topic: ForumTopic, *, title: str, body: str) -> Thread:
    """A new thread with its first post (the rules gate is the caller's: see ``rules.has_accepted``)."""
    _require_can_post(viewer, topic)
    title = clean_title(title)
    body = clean_text(body, "body", MAX_POST_CHARS)
    now = utcnow()
    thread = Thread(
        course_id=viewer.course_id,
        space_kind=SPACE_FORUM,
        topic_id=topic.id,
        title=title,
        author_id=viewer.person_id,
        created_at=now,
        post_count=0,
    )
    session.add(thread)
    session.flush()
    session.execute(
        update(ForumTopic).where(ForumTopic.id == topic.id).values(thread_count=ForumTopic.thread_count + 1)
    )
    _add_post(session, viewer, thread, body, now)
    return thread


def reply(
    session: Session, viewer: Viewer, thread: Thread, topic: ForumTopic | None, *, body: str, member: bool = False
) -> Post:
    """A new post in ``thread``; ``member``: written by a member of the thread's private space (see ``_add_post``)."""
    _require_can_post(viewer, topic, thread)
    return _add_post(session, viewer, thread, clean_text(body, "body", MAX_POST_CHARS), utcnow(), member=member)


def _add_post(
    session: Session, viewer: Viewer, thread: Thread, body: str, now: datetime, *, member: bool = False
) -> Post:
    """Write the post and the thread's counters in one UPDATE. A post by a member of the thread's private
    space (``member``) also moves ``last_member_*``, which turn taking follows; a coordinator's post or a
    forum post does not."""
    post = Post(
        thread_id=thread.id,
        author_id=viewer.person_id,
        body=body,
        body_html=render_markdown(body),
        created_at=now,
        revision_count=0,
    )
    session.add(post)
    session.flush()
    values: dict[str, Any] = {
        "post_count": Thread.post_count + 1,
        "last_post_id": case((func.coalesce(Thread.last_post_id, 0) < post.id, post.id), else_=Thread.last_post_id),
        "last_post_at": now,
        "last_author_id": viewer.person_id,
    }
    if member:
        newer = func.coalesce(Thread.last_member_post_id, 0) < post.id  # the old value: SET reads the row before
        values |= {
            "last_member_post_id": case((newer, post.id), else_=Thread.last_member_post_id),
            "last_member_post_at": case(
                (newer, literal(now, Thread.last_member_post_at.type)), else_=Thread.last_member_post_at
            ),
            "last_member_author_id": case((newer, viewer.person_id), else_=Thread.last_member_author_id),
        }
    session.execute(
        update(Thread).where(Thread.id == thread.id).values(**values).execution_options(synchronize_session=False)
    )
    session.expire(thread, ["post_count", "last_post_id", "last_post_at", "last_author_id", *MEMBER_COUNTERS])
    mark_read(session, viewer, thread.id, post.id, participated=True)
    return post


def mark_read(session: Session, viewer: Viewer, thread_id: int, post_id: int, *, participated: bool = False) -> None:
    """Move the viewer's read marker forward to ``post_id`` (never back); record that they took part."""
    marker = get_or_create(
        session,
        lambda: session.execute(
            select(ThreadReadMarker).where(
                ThreadReadMarker.person_id == viewer.person_id, ThreadReadMarker.thread_id == thread_id
            )
        ).scalar_one_or_none(),
        lambda: ThreadReadMarker(
            person_id=viewer.person_id, thread_id=thread_id, last_read_post_id=post_id, participated=participated
        ),
    )
    if marker.last_read_post_id < post_id:
        marker.last_read_post_id = post_id
    if participated and not marker.participated:
        marker.participated = True


# --- posts of a thread -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostView:
    post: Post
    author_name: str | None
    is_unread: bool
    number: int


@dataclass(frozen=True)
class PostPage:
    posts: list[PostView]
    total: int
    first_number: int  # 1-based position of the first post on this page
    previous_before: int | None  # post id for the "previous page" link
    next_after: int | None  # post id for the "next page" link
    first_unread_id: int | None  # the first new post on this page
    unread_after: int | None = None  # new posts exist past this page: the page after this post id has them
    participated: bool = False


def thread_posts(
    session: Session,
    viewer: Viewer,
    thread: Thread,
    *,
    after: int | None = None,
    before: int | None = None,
    last: bool = False,
    size: int = POSTS_PER_PAGE,
    mark: bool = True,
) -> PostPage:
    """One page of posts, oldest first: the first page, the page after/before a post id, or the last page.

    Reading a page moves the viewer's read marker to its last post. Queries: the page (posts with their
    authors), the number of posts before it (an index range count), the read marker, and its update.
    """
    marker = session.execute(
        select(ThreadReadMarker).where(
            ThreadReadMarker.person_id == viewer.person_id, ThreadReadMarker.thread_id == thread.id
        )
    ).scalar_one_or_none()
    read_up_to = marker.last_read_post_id if marker is not None else 0
    query = (
        select(Post)
        .outerjoin(Person, Person.id == Post.author_id)
        .options(contains_eager(Post.author))
        .where(Post.thread_id == thread.id)
    )
    descending = before is not None or last
    if before is not None:
        query = query.where(Post.id < before)
    elif after is not None:
        query = query.where(Post.id > after)
    query = query.order_by(Post.id.desc() if descending else Post.id).limit(size)
    posts = list(session.execute(query).scalars())
    if descending:
        posts.reverse()
    if not posts and (after is not None or before is not None):
        # Beyond either end (a stale link): show the last page rather than nothing.
        return thread_posts(session, viewer, thread, last=True, size=size, mark=mark)
    before_count = 0
    if posts:
        before_count = session.execute(
            select(func.count()).select_from(Post).where(Post.thread_id == thread.id, Post.id < posts[0].id)
        ).scalar_one()
    first_unread = next(
        (p.id for p in posts if p.id > read_up_to and p.author_id != viewer.person_id and p.deleted_at is None), None
    )
    views = [
        PostView(
            post=p,
            author_name=p.author.display_name if p.author is not None else None,
            is_unread=p.id > read_up_to and p.author_id != viewer.person_id,
            number=before_count + i + 1,
        )
        for i, p in enumerate(posts)
    ]
    total = thread.post_count
    page = PostPage(
        posts=views,
        total=total,
        first_number=before_count + 1,
        previous_before=posts[0].id if posts and before_count > 0 else None,
        next_after=posts[-1].id if posts and (thread.last_post_id or 0) > posts[-1].id else None,
        first_unread_id=first_unread,
        unread_after=(
            read_up_to
            if first_unread is None
            and read_up_to > 0
            and (thread.last_post_id or 0) > read_up_to
            and (not posts or posts[-1].id <= read_up_to)
            else None
        ),
        participated=bool(marker is not None and marker.participated),
    )
    if mark and posts and posts[-1].id > read_up_to:
        if marker is None:
            mark_read(session, viewer, thread.id, posts[-1].id)
        else:
            marker.last_read_post_id = posts[-1].id
    return page


def get_post(session: Session, viewer: Viewer, post_id: int) -> tuple[Post, Thread]:
    """A post of a forum thread of the viewer's course, with its thread (``NotFound`` otherwise)."""
    row = session.execute(
        select(Post, Thread)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.id == post_id, Thread.course_id == viewer.course_id, Thread.space_kind == SPACE_FORUM)
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def _require_own_live_post(viewer: Viewer, post: Post, thread: Thread, topic: ForumTopic | None) -> None:
    if not viewer.may_write or post.author_id != viewer.person_id:
        raise Forbidden()
    if post.deleted_at is not None or post.hidden_at is not None:
        raise Forbidden()
    _require_can_post(viewer, topic, thread)


def edit_post(
    session: Session, viewer: Viewer, post: Post, thread: Thread, topic: ForumTopic | None, *, body: str
) -> Post:
    """The author changes their post; the previous text is kept as a ``PostRevision``."""
    _require_own_live_post(viewer, post, thread, topic)
    body = clean_text(body, "body", MAX_POST_CHARS)
    if body == post.body:
        return post
    now = utcnow()
    session.add(
        PostRevision(
            post_id=post.id,
            kind="edit",
            body=post.body,
            written_at=post.edited_at or post.created_at,
            replaced_by=viewer.person_id,
            replaced_at=now,
        )
    )
    post.body, post.body_html, post.edited_at = body, render_markdown(body), now
    post.revision_count = (post.revision_count or 0) + 1
    session.flush()
    return post


def delete_post(session: Session, viewer: Viewer, post: Post, thread: Thread, topic: ForumTopic | None) -> Post:
    """The author deletes their post: others see "deleted"; the text stays in the history for coordinators."""
    _require_own_live_post(viewer, post, thread, topic)
    now = utcnow()
    session.add(
        PostRevision(
            post_id=post.id,
            kind="delete",
            body=post.body,
            written_at=post.edited_at or post.created_at,
            replaced_by=viewer.person_id,
            replaced_at=now,
        )
    )
    post.deleted_at = now
    post.revision_count = (post.revision_count or 0) + 1
    session.flush()
    return post


@dataclass(frozen=True)
class RevisionView:
    revision: PostRevision
    html: str


def history(session: Session, viewer: Viewer, post: Post) -> list[RevisionView]:
    """A post's earlier versions, newest first: coordinators, and the author of a post not deleted."""
    if not viewer.is_coordinator and (post.author_id != viewer.person_id or post.deleted_at is not None):
        raise Forbidden()
    revisions = session.execute(
        select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id.desc())
    ).scalars()
    return [RevisionView(r, render_markdown(r.body)) for r in revisions]


def author_of(session: Session, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    person = session.get(Person, person_id)
    return person.display_name if person is not None else None
