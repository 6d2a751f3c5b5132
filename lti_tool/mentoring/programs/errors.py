"""Why a program service refused its input, as stable codes the web layer turns into translated messages.

Every error is a ``ProgramError`` with a ``code``; ``str(err)`` is an English message for logs and jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DomainError


class ProgramError(DomainError, ValueError):
    code = "program_error"
    message = "The mentoring program could not be updated."


class NotInProgram(ProgramError):
    """The participant asked for is not part of this course's program (or does not exist)."""

    code = "not_in_program"
    message = "No such participant in this program."


class NotAllowed(ProgramError):
    """The program's settings do not allow this action (for example opting in when opt-in is off)."""

    code = "not_allowed"
    message = "The program does not allow this."


@dataclass(frozen=True)
class CsvProblem:
    """One problem in an uploaded CSV: the line it is on (1 = header; 0 = the whole file), a code, a value."""

    line: int
    code: str
    value: str = ""


class CsvImportError(ProgramError):
    """The CSV was refused; nothing was changed. ``problems`` lists every problem found, by line."""

    code = "csv_import"
    message = "The CSV file was not imported; nothing was changed."

    def __init__(self, problems: list[CsvProblem]):
        detail = "; ".join(f"line {p.line}: {p.code} {p.value!r}" for p in problems[:10])
        super().__init__(f"{self.message} {detail}")
        self.problems = problems
