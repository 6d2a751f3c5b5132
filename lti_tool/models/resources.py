"""The resource library of a course: links and Markdown pages the coordinator curates for an audience.

``ResourceItem.audience`` says who sees an item: ``everyone`` in the course, only ``mentors`` or only
``mentees`` (coordinators see everything). ``position`` orders the list. ``starter_key`` marks the items
of the starter set we wrote (the coordinator edits or deletes them like any other). ``ResourceLibrary``
records that a course's starter set was added, so a deleted starter item never comes back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

RESOURCE_LINK = "link"
RESOURCE_PAGE = "page"
RESOURCE_KINDS = (RESOURCE_LINK, RESOURCE_PAGE)

AUDIENCE_EVERYONE = "everyone"
AUDIENCE_MENTORS = "mentors"
AUDIENCE_MENTEES = "mentees"
AUDIENCES = (AUDIENCE_EVERYONE, AUDIENCE_MENTORS, AUDIENCE_MENTEES)


class ResourceLibrary(Base):
    """One row per course once its library was first opened (and its starter set added)."""

    __tablename__ = "resource_library"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    seeded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResourceItem(Base):
    """A link (title, URL, description) or a page (title, Markdown body) for an audience."""

    __tablename__ = "resource_item"
    __table_args__ = (Index("ix_resource_item_course_id_position", "course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(10), default=AUDIENCE_EVERYONE)
    position: Mapped[int] = mapped_column(Integer, default=0)
    starter_key: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
