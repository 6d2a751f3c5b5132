"""Why matching refused its input, in words a coordinator can act on.

Every error is a ``MatchingError`` (a ``ValueError``) with a stable ``code`` the web layer can map to a
translated message; ``str(err)`` is the English message with the names of the people involved.
"""

from __future__ import annotations

from ..errors import DomainError


class MatchingError(DomainError, ValueError):
    code = "matching_error"
    message = "The matching could not be run."


class InvalidProfileError(MatchingError):
    code = "invalid_profile"
    message = "A participant profile is incomplete or inconsistent."


class InvalidOptionError(MatchingError):
    code = "invalid_option"
    message = "A matching option is out of range."


class UnknownParticipantError(MatchingError):
    code = "unknown_participant"
    message = "A pair names someone who is not in this program."


class ImpossiblePinError(MatchingError):
    code = "impossible_pin"
    message = "A pinned pair breaks a rule of the program."


class ConflictingPairsError(MatchingError):
    code = "conflicting_pairs"
    message = "The same mentee appears in more than one fixed pair."
