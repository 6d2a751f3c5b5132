"""Errors of the evaluation services (stable codes; English messages the view translates)."""

from __future__ import annotations

from typing import Any

from ..errors import DomainError

Messages = dict[str, tuple[str, dict[str, Any]]]  # field → (English message, parameters)


def N_(message: str) -> str:
    """Mark a message for extraction; the view translates it."""
    return message


class EvaluationError(DomainError):
    code = "evaluation_error"
    message = N_("The evaluation could not be saved.")


class NotFound(EvaluationError):
    """Unknown id, another course's object, or one the viewer may not see (never says which)."""

    code = "evaluation_not_found"
    message = N_("This evaluation does not exist or is not yours.")


class InvalidInstrument(EvaluationError):
    code = "invalid_instrument"
    message = N_("The instrument has errors; nothing was saved.")

    def __init__(self, errors: Messages):
        super().__init__()
        self.errors = errors


class InvalidCheckpoint(EvaluationError):
    code = "invalid_checkpoint"
    message = N_("The checkpoint has errors; nothing was saved.")

    def __init__(self, errors: Messages):
        super().__init__()
        self.errors = errors


class InvalidAnswers(EvaluationError):
    code = "invalid_answers"
    message = N_("Some answers need your attention; nothing was lost.")

    def __init__(self, errors: Messages):
        super().__init__()
        self.errors = errors


class NotOpen(EvaluationError):
    code = "evaluation_not_open"
    message = N_("This evaluation is not open yet.")


class AlreadySubmitted(EvaluationError):
    code = "evaluation_already_submitted"
    message = N_("You already submitted this evaluation; submitted answers cannot be changed.")


class Archived(EvaluationError):
    code = "evaluation_archived"
    message = N_("The coordinator archived this evaluation; it no longer takes answers. Nothing you saved was lost.")


class CheckpointInUse(EvaluationError):
    """Deleting the checkpoint would take responses or grades with it; it can be archived instead."""

    code = "checkpoint_in_use"
    message = N_(
        "This checkpoint cannot be deleted: it has responses or a graded activity uses it. "
        "Archive it instead; nothing is lost."
    )
