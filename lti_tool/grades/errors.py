"""Errors of the grades domain: one root with a default message, mapped to HTTP statuses by the views."""

from __future__ import annotations


class GradeError(Exception):
    """Root of the grades domain's errors; ``str(err)`` is a message a coordinator can act on."""

    status = 400
    message = "The grade could not be recorded."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class InvalidScore(GradeError):
    message = "The score is not valid for this line item."


class NotInCourse(GradeError):
    status = 404
    message = "This person or line item does not belong to this course."


class LineItemUnavailable(GradeError):
    """The platform offers no line items service for this course, or refused to create one."""

    status = 409
    message = "The LMS gradebook is not available for this course."


class PlatformUnavailable(GradeError):
    """The platform could not be reached or answered with an error (the answer is in the message)."""

    status = 502
    message = "The LMS did not answer."
