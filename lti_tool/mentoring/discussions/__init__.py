"""Discussions: ground rules, course-wide forums (topics, threads, posts), private space threads and
moderation.

Pure services over a SQLAlchemy session (no Flask): views call them with a ``Viewer`` (person, course,
role) — or, for a pair's or group's private threads (:mod:`.pairs`), with the ``SpaceAccess`` of
:mod:`lti_tool.mentoring.spaces` — and turn ``DiscussionError`` subclasses into HTTP answers. Who may do
what is documented in :mod:`.access` (forums) and :mod:`.pairs` (private spaces); where a thread lives in
:mod:`lti_tool.models.discussions`.
"""

from __future__ import annotations

from . import forums, moderation, pairs, rules
from .access import Viewer
from .errors import DiscussionError, Forbidden, InvalidInput, Locked, NotFound
from .markdown import render_markdown

__all__ = [
    "DiscussionError",
    "Forbidden",
    "InvalidInput",
    "Locked",
    "NotFound",
    "Viewer",
    "forums",
    "moderation",
    "pairs",
    "render_markdown",
    "rules",
]
