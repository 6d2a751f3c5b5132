"""Moderation: participants report posts; coordinators hide posts, lock threads and resolve reports.

Every coordinator action writes a ``ModerationLog`` row (who, what, when, why) in the same transaction
(:mod:`.audit`); so does locking or unlocking a whole topic (:func:`.forums.save_topic`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from ...models import ForumTopic, ModerationLog, Person, Post, PostReport, Thread, utcnow
from .access import Viewer
from .audit import record
from .errors import Forbidden, InvalidInput, NotFound
from .forums import clean_text

MAX_REASON_CHARS = 2_000


def _require_coordinator(viewer: Viewer) -> None:
    if not viewer.is_coordinator:
        raise Forbidden()


def report(session: Session, viewer: Viewer, post: Post, *, reason: str) -> PostReport:
    """A participant reports a post to the coordinators, with a reason (required)."""
    if not viewer.may_report:
        raise Forbidden()
    if post.deleted_at is not None:
        raise InvalidInput("reason", "gone")
    row = PostReport(
        course_id=viewer.course_id,
        post_id=post.id,
        reporter_id=viewer.person_id,
        reason=clean_text(reason, "reason", MAX_REASON_CHARS),
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def set_hidden(session: Session, viewer: Viewer, post: Post, *, hidden: bool, reason: str) -> None:
    """Hide a post from participants (or show it again); hiding resolves the post's open reports."""
    _require_coordinator(viewer)
    reason = clean_text(reason, "reason", MAX_REASON_CHARS, required=hidden)
    now = utcnow()
    if hidden:
        post.hidden_at, post.hidden_by = now, viewer.person_id
        session.execute(
            update(PostReport)
            .where(PostReport.post_id == post.id, PostReport.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by=viewer.person_id)
            .execution_options(synchronize_session=False)
        )
    else:
        post.hidden_at, post.hidden_by = None, None
    record(session, viewer, "hide_post" if hidden else "unhide_post", "post", post.id, reason)
    session.flush()


def set_locked(session: Session, viewer: Viewer, thread: Thread, *, locked: bool, reason: str) -> None:
    """Lock a thread (no more replies from participants) or unlock it."""
    _require_coordinator(viewer)
    reason = clean_text(reason, "reason", MAX_REASON_CHARS, required=False)
    thread.is_locked = locked
    record(session, viewer, "lock_thread" if locked else "unlock_thread", "thread", thread.id, reason)
    session.flush()


def resolve_report(session: Session, viewer: Viewer, report_id: int, *, reason: str = "") -> PostReport:
    """Close a report without hiding the post (the coordinator found nothing wrong)."""
    _require_coordinator(viewer)
    row = session.execute(
        select(PostReport).where(PostReport.id == report_id, PostReport.course_id == viewer.course_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound()
    if row.resolved_at is None:
        row.resolved_at, row.resolved_by = utcnow(), viewer.person_id
        record(
            session,
            viewer,
            "resolve_report",
            "report",
            row.id,
            clean_text(reason, "reason", MAX_REASON_CHARS, required=False),
        )
    session.flush()
    return row


@dataclass(frozen=True)
class ReportView:
    report: PostReport
    post: Post
    thread: Thread
    reporter_name: str | None
    author_name: str | None


def open_reports(session: Session, viewer: Viewer, *, limit: int = 200) -> list[ReportView]:
    """Unresolved reports of the viewer's course, oldest first, with the post, thread and people."""
    _require_coordinator(viewer)
    reporter = aliased(Person)
    author = aliased(Person)
    rows = session.execute(
        select(PostReport, Post, Thread, reporter, author)
        .join(Post, Post.id == PostReport.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(reporter, reporter.id == PostReport.reporter_id)
        .outerjoin(author, author.id == Post.author_id)
        .where(PostReport.course_id == viewer.course_id, PostReport.resolved_at.is_(None))
        .order_by(PostReport.id)
        .limit(limit)
    ).all()
    return [
        ReportView(r, p, t, rp.display_name if rp is not None else None, a.display_name if a is not None else None)
        for r, p, t, rp, a in rows
    ]


@dataclass(frozen=True)
class LogView:
    entry: ModerationLog
    actor_name: str | None
    # Where the action happened, for a readable log: the thread (or topic) title and the thread to link to.
    where: str | None = None
    thread_id: int | None = None
    # For a private space's thread: (kind, id) of the space; its title is then not shown in the log.
    space: tuple[str, int] | None = None


def log_entries(session: Session, viewer: Viewer, *, limit: int = 100) -> list[LogView]:
    """The course's moderation log, newest first, each entry with the title of the thread or topic it
    concerns (one query per kind of target, so the page costs the same for any number of entries)."""
    _require_coordinator(viewer)
    rows = session.execute(
        select(ModerationLog, Person)
        .outerjoin(Person, Person.id == ModerationLog.actor_id)
        .where(ModerationLog.course_id == viewer.course_id)
        .order_by(ModerationLog.id.desc())
        .limit(limit)
    ).all()
    ids: dict[str, set[int]] = {}
    for entry, _person in rows:
        ids.setdefault(entry.target_kind, set()).add(entry.target_id)
    places: dict[tuple[str, int], tuple[str, int | None, tuple[str, int] | None]] = {}
    scoped = Thread.course_id == viewer.course_id
    where_cols = (Thread.title, Thread.id, Thread.space_kind, Thread.space_id)
    lookups = {
        "thread": select(Thread.id, *where_cols).where(scoped),
        "post": select(Post.id, *where_cols).join(Thread, Thread.id == Post.thread_id).where(scoped),
        "report": select(PostReport.id, *where_cols)
        .join(Post, Post.id == PostReport.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(scoped),
    }
    for kind, query in lookups.items():
        if ids.get(kind):
            key_column = query.selected_columns[0]
            for key, title, thread_id, space_kind, space_id in session.execute(query.where(key_column.in_(ids[kind]))):
                space = (space_kind, space_id) if space_id is not None else None
                places[(kind, key)] = ("" if space else title, thread_id, space)
    if ids.get("topic"):
        for key, title in session.execute(
            select(ForumTopic.id, ForumTopic.title).where(
                ForumTopic.id.in_(ids["topic"]), ForumTopic.course_id == viewer.course_id
            )
        ):
            places[("topic", key)] = (title, None, None)
    views = []
    for entry, person in rows:
        where, link, space = places.get((entry.target_kind, entry.target_id), (None, None, None))
        views.append(LogView(entry, person.display_name if person is not None else None, where, link, space))
    return views


def open_reports_by_post(session: Session, viewer: Viewer, post_ids: list[int]) -> dict[int, int]:
    """How many open reports each of ``post_ids`` has (coordinators only; empty for anyone else)."""
    if not viewer.is_coordinator or not post_ids:
        return {}
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(PostReport.post_id, func.count())
            .where(
                PostReport.course_id == viewer.course_id,
                PostReport.post_id.in_(post_ids),
                PostReport.resolved_at.is_(None),
            )
            .group_by(PostReport.post_id)
        ).all()
    )


def open_report_count(session: Session, viewer: Viewer) -> int:
    return session.execute(
        select(func.count())
        .select_from(PostReport)
        .where(PostReport.course_id == viewer.course_id, PostReport.resolved_at.is_(None))
    ).scalar_one()
