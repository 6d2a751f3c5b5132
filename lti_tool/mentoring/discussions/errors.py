"""Why a discussion service refused, as stable codes the web layer maps to HTTP answers and messages.

``NotFound`` (404) also covers ids of another course: a guessed id never tells whether it exists.
``Forbidden`` (403) is a known record the viewer may not act on. ``InvalidInput`` (400) carries the field
and a code; the view re-renders the form with the text kept. The ground-rules gate is the web layer's: a
page redirects to the rules, an action is refused.
"""

from __future__ import annotations

from ..errors import DomainError


class DiscussionError(DomainError):
    code = "discussion_error"
    message = "The discussion could not be updated."


class NotFound(DiscussionError):
    code = "not_found"
    message = "No such topic, thread or post in this course."


class Forbidden(DiscussionError):
    code = "forbidden"
    message = "You may not do this."


class Locked(Forbidden):
    """The topic or thread is locked: only coordinators post in it."""

    code = "locked"
    message = "This topic or thread is locked."


class InvalidInput(DiscussionError):
    """A field was empty or too long; ``field`` names it, ``code`` is ``empty`` or ``too_long``."""

    message = "The text was not accepted."

    def __init__(self, field: str, code: str, limit: int | None = None):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.limit = limit
