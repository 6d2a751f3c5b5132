"""Discussions: ground rules (versioned, accepted per person), forum topics, threads, posts and moderation.

Where a thread lives — the *space* discriminator
    A thread belongs to exactly one space, named by ``Thread.space_kind``:

    * ``"forum"``: a course-wide forum; ``Thread.topic_id`` names the ``ForumTopic`` (a real foreign key)
      and ``Thread.space_id`` is NULL.
    * ``"pair"`` / ``"group"``: a private mentoring space; ``Thread.space_id`` holds the ``Mentorship`` id
      (pair) or the ``MentoringGroup`` id (group) and ``topic_id`` is NULL. ``space_id`` has **no foreign
      key** on purpose: one column serves both tables. Integrity comes from the check constraint below
      (exactly one of the two is set, matching the kind), from ``Thread.course_id`` (a real foreign key:
      every thread is scoped by its course, so a query can never reach another course's threads) and from
      the services (:mod:`lti_tool.mentoring.discussions.pairs`), which look spaces up within the course
      through :mod:`lti_tool.mentoring.spaces`.

Course-level settings
    ``DiscussionSettings.moderated`` says whether coordinators may read private pair/group threads. It
    lives on this course-level row for now; when the program settings grow the same switch, the row can
    follow it. Each ground-rules version keeps a snapshot of it, because the agreement a participant
    accepts states it in words: switching it creates a new version and asks everyone to accept again.

Denormalised counters
    ``Thread.post_count``/``last_post_id``/``last_post_at``/``last_author_id`` are written in the same
    transaction as the post, so a topic page of hundreds of threads sorts and shows them from one table.
    In a pair's or group's thread ``last_member_post_id``/``last_member_post_at``/``last_member_author_id``
    name the latest post by one of the space's own members (NULL in forums, and until a member writes): turn
    taking ("waiting for your reply", whose turn, days silent) follows them, so a coordinator's post is
    unread news for the members without being a turn of the conversation.
    ``Post.body_html`` is the sanitised rendering of ``Post.body`` made when it was written, so a page of
    posts is served without running Markdown again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .course import Person

SPACE_FORUM = "forum"
SPACE_PAIR = "pair"
SPACE_GROUP = "group"
SPACE_KINDS = (SPACE_FORUM, SPACE_PAIR, SPACE_GROUP)


class DiscussionSettings(Base):
    """Per-course discussion settings: for now, whether the program is moderated (see the module doc)."""

    __tablename__ = "discussion_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    moderated: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class GroundRulesVersion(Base):
    """One version of a course's ground rules: the coordinator's Markdown and the moderation snapshot."""

    __tablename__ = "ground_rules_version"
    __table_args__ = (UniqueConstraint("course_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    moderated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GroundRulesAcceptance(Base):
    """Who accepted which version, and when (UTC)."""

    __tablename__ = "ground_rules_acceptance"
    __table_args__ = (UniqueConstraint("version_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("ground_rules_version.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[GroundRulesVersion] = relationship()
    person: Mapped[Person] = relationship()


class ForumTopic(Base):
    """A course-wide forum topic the coordinator created; participants start threads in it."""

    __tablename__ = "forum_topic"
    __table_args__ = (Index("ix_forum_topic_course_id_position", "course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    thread_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Thread(Base):
    """A discussion thread in a space: a forum topic, or a pair's or group's private space (module doc)."""

    __tablename__ = "discussion_thread"
    __table_args__ = (
        CheckConstraint(
            "(space_kind = 'forum' AND topic_id IS NOT NULL AND space_id IS NULL)"
            " OR (space_kind IN ('pair', 'group') AND topic_id IS NULL AND space_id IS NOT NULL)",
            name="space",
        ),
        Index("ix_discussion_thread_topic_id_last_post_at", "topic_id", "last_post_at", "id"),
        Index("ix_discussion_thread_space", "course_id", "space_kind", "space_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    space_kind: Mapped[str] = mapped_column(String(10), default=SPACE_FORUM)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("forum_topic.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    last_post_id: Mapped[int | None] = mapped_column(Integer)
    last_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_author_id: Mapped[int | None] = mapped_column(Integer)
    last_member_post_id: Mapped[int | None] = mapped_column(Integer)
    last_member_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_member_author_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])


class Post(Base):
    """A post in a thread: Markdown as written, its sanitised HTML, and its edit/delete/hide state."""

    __tablename__ = "discussion_post"
    __table_args__ = (Index("ix_discussion_post_thread_id_id", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_thread.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class PostRevision(Base):
    """A post's earlier text, kept when its author edits or deletes it (history for coordinators)."""

    __tablename__ = "discussion_post_revision"
    __table_args__ = (Index("ix_discussion_post_revision_post_id_id", "post_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("discussion_post.id", ondelete="CASCADE"))
    # "edit": ``body`` is the text before the edit; "delete": the text when it was deleted.
    kind: Mapped[str] = mapped_column(String(10), default="edit")
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThreadReadMarker(Base):
    """How far one person has read one thread (the last post id seen), and whether they took part."""

    __tablename__ = "discussion_read_marker"
    __table_args__ = (UniqueConstraint("person_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_thread.id", ondelete="CASCADE"), index=True)
    last_read_post_id: Mapped[int] = mapped_column(Integer, default=0)
    participated: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PostReport(Base):
    """A participant's report of a post, with the reason; open until a coordinator resolves it."""

    __tablename__ = "discussion_post_report"
    __table_args__ = (Index("ix_discussion_post_report_course_id_resolved_at", "course_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("discussion_post.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    reporter: Mapped[Person | None] = relationship(foreign_keys=[reporter_id])
    post: Mapped[Post] = relationship()


class ModerationLog(Base):
    """Every moderation action: who did what to which post or thread, when and why."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_course_id_id", "course_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # hide_post, unhide_post, lock_thread, unlock_thread, lock_topic, unlock_topic, resolve_report
    action: Mapped[str] = mapped_column(String(30))
    target_kind: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])
