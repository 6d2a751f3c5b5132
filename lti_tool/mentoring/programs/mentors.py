"""Mentor designation: students opting in (approved or declined by the coordinator) and CSV imports.

Role-based designation (teaching assistants, for instance) lives in :mod:`.participants`, applied when
settings change and whenever someone opens the space.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Course, Membership, Participant, Person, Program
from .errors import CsvImportError, CsvProblem, NotAllowed, ProgramError
from .participants import _base_role, _mentor_role, _new, find_participant, get_participant

MAX_CSV_BYTES = 256 * 1024
MAX_CSV_ROWS = 2000
EMAIL_COLUMNS = ("email", "e_mail", "mail")
ID_COLUMNS = ("user_id", "sub", "lti_sub", "lti_user_id", "userid")


class InvalidCapacity(ProgramError):
    code = "invalid_capacity"
    message = "The capacity must be a whole number between 1 and the program's maximum."


def check_capacity(program: Program, capacity: int) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= program.max_capacity:
        raise InvalidCapacity()
    return capacity


def opt_in(session: Session, program: Program, participant: Participant, capacity: int) -> Participant:
    """A participant offers to mentor ``capacity`` mentees; pending until the coordinator decides.

    Someone who is already an approved mentor only changes their capacity.
    """
    check_capacity(program, capacity)
    if participant.mentor_status == "approved":
        participant.capacity = capacity
        return participant
    if "opt_in" not in (program.mentor_sources or []):
        raise NotAllowed("This program does not take mentor volunteers.")
    participant.mentor_status, participant.mentor_source, participant.capacity = "pending", "opt_in", capacity
    session.flush()
    return participant


def withdraw(session: Session, program: Program, participant: Participant) -> Participant:
    """A participant takes back their own offer to mentor (only an offer they made themselves)."""
    if participant.mentor_source == "opt_in":
        participant.role = _base_role(program)
        participant.mentor_status = participant.mentor_source = None
        session.flush()
    return participant


def decide(session: Session, program: Program, participant_id: int, *, approve: bool) -> Participant:
    """The coordinator approves or declines a mentor of this program (``NotInProgram`` for any other id)."""
    row = get_participant(session, program, participant_id)
    if row.mentor_status is None:
        raise NotAllowed("This person has not offered to mentor.")
    if approve:
        row.role, row.mentor_status = _mentor_role(program), "approved"
        row.capacity = row.capacity or program.default_capacity
    else:
        row.role, row.mentor_status = _base_role(program), "declined"
    session.flush()
    return row


def mentors(session: Session, program: Program) -> list[tuple[Participant, Person]]:
    """Everyone designated or volunteering as a mentor, pending first, then by name."""
    rows = session.execute(
        select(Participant, Person)
        .join(Membership, Membership.id == Participant.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(Participant.program_id == program.id, Participant.mentor_status.is_not(None))
    ).all()
    order = {"pending": 0, "approved": 1, "declined": 2}
    return sorted(
        ((p, person) for p, person in rows),
        key=lambda r: (order.get(r[0].mentor_status or "", 3), r[1].display_name.casefold(), r[0].id),
    )


@dataclass(frozen=True)
class CsvRow:
    line: int
    email: str
    user_id: str
    capacity: int | None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def parse_mentor_csv(data: bytes, *, max_capacity: int) -> list[CsvRow]:
    """Rows of a mentor CSV: a header with ``email`` and/or ``user_id`` (the LTI sub), optional ``capacity``.

    UTF-8 with or without a byte-order mark; comma, semicolon or tab separated. Raises ``CsvImportError``
    listing every problem by line (line 1 is the header).
    """
    if len(data) > MAX_CSV_BYTES:
        raise CsvImportError([CsvProblem(0, "too_large", str(MAX_CSV_BYTES // 1024))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CsvImportError([CsvProblem(0, "not_utf8")]) from err
    if not text.strip():
        raise CsvImportError([CsvProblem(0, "empty")])
    first = text.lstrip().splitlines()[0]
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[CsvProblem] = []
    rows: list[CsvRow] = []
    try:
        header = [_column(h) for h in next(reader)]
        email_at = next((header.index(c) for c in EMAIL_COLUMNS if c in header), None)
        id_at = next((header.index(c) for c in ID_COLUMNS if c in header), None)
        capacity_at = header.index("capacity") if "capacity" in header else None
        if email_at is None and id_at is None:
            raise CsvImportError([CsvProblem(1, "no_identifier_column", ", ".join(h for h in header if h))])
        seen: dict[str, int] = {}
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) + len(problems) >= MAX_CSV_ROWS:
                raise CsvImportError([CsvProblem(line, "too_many_rows", str(MAX_CSV_ROWS))])

            def cell(at: int | None, record: list[str] = record) -> str:
                return record[at].strip() if at is not None and at < len(record) else ""

            email, user_id, raw_capacity = cell(email_at), cell(id_at), cell(capacity_at)
            if not email and not user_id:
                problems.append(CsvProblem(line, "missing_identifier"))
                continue
            capacity: int | None = None
            if raw_capacity:
                try:
                    capacity = int(raw_capacity)
                except ValueError:
                    problems.append(CsvProblem(line, "capacity_not_a_number", raw_capacity))
                    continue
                if capacity < 1:
                    problems.append(CsvProblem(line, "capacity_too_small", raw_capacity))
                    continue
                if capacity > max_capacity:
                    problems.append(CsvProblem(line, "capacity_too_large", raw_capacity))
                    continue
            key = user_id or email.casefold()
            if key in seen:
                problems.append(CsvProblem(line, "duplicate", user_id or email))
                continue
            seen[key] = line
            rows.append(CsvRow(line, email, user_id, capacity))
    except csv.Error as err:
        raise CsvImportError([*problems, CsvProblem(reader.line_num, "malformed", str(err))]) from err
    if problems:
        raise CsvImportError(problems)
    if not rows:
        raise CsvImportError([CsvProblem(0, "empty")])
    return rows


def _resolve(
    session: Session, program: Program, rows: list[CsvRow]
) -> tuple[list[tuple[CsvRow, Membership]], list[CsvProblem]]:
    """The course membership each row names, matched by LTI sub or e-mail on the course's own platform."""
    course = session.get(Course, program.course_id)
    assert course is not None
    members = session.execute(
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.course_id == course.id, Person.platform_id == course.platform_id)
    ).all()
    by_sub = {person.sub: membership for membership, person in members}
    by_email: dict[str, list[Membership]] = {}
    for membership, person in members:
        if person.email:
            by_email.setdefault(person.email.casefold(), []).append(membership)
    found: list[tuple[CsvRow, Membership]] = []
    seen: set[int] = set()
    problems: list[CsvProblem] = []
    for row in rows:
        if row.user_id:
            match = by_sub.get(row.user_id)
            if match is None:
                problems.append(CsvProblem(row.line, "unknown_person", row.user_id))
                continue
        else:
            candidates = by_email.get(row.email.casefold(), [])
            if not candidates:
                problems.append(CsvProblem(row.line, "unknown_person", row.email))
                continue
            if len(candidates) > 1:
                problems.append(CsvProblem(row.line, "ambiguous", row.email))
                continue
            match = candidates[0]
        if not match.is_active:
            problems.append(CsvProblem(row.line, "not_active", row.user_id or row.email))
            continue
        if match.id in seen:  # the same person named once by e-mail and once by user id
            problems.append(CsvProblem(row.line, "duplicate", row.user_id or row.email))
            continue
        seen.add(match.id)
        found.append((row, match))
    return found, problems


def import_mentors_csv(session: Session, program: Program, data: bytes) -> ImportResult:
    """Designate the people a CSV names as approved mentors: all of them, or nobody.

    Every row is checked (format, capacity, a member of this course) before anything is written; any
    problem raises ``CsvImportError`` with all problems by line and leaves the program unchanged.
    """
    if "csv" not in (program.mentor_sources or []):
        raise NotAllowed("This program does not import mentors from a CSV file.")
    rows = parse_mentor_csv(data, max_capacity=program.max_capacity)
    resolved, problems = _resolve(session, program, rows)
    if problems:
        raise CsvImportError(sorted(problems, key=lambda p: p.line))
    created = updated = 0
    for row, membership in resolved:
        participant = find_participant(session, program, membership.id)
        capacity = row.capacity or (participant.capacity if participant else None) or program.default_capacity
        if participant is None:
            _new(
                session,
                program,
                membership,
                role=_mentor_role(program),
                mentor_status="approved",
                mentor_source="csv",
                capacity=capacity,
            )
            created += 1
        else:
            participant.role, participant.mentor_status = _mentor_role(program), "approved"
            participant.mentor_source = participant.mentor_source if participant.mentor_source == "role" else "csv"
            participant.capacity = capacity
            updated += 1
    session.flush()
    return ImportResult(created=created, updated=updated)


def count_mentors(session: Session, program: Program) -> dict[str, int]:
    """How many mentors per status (pending, approved, declined)."""
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(Participant.mentor_status, func.count())
            .where(Participant.program_id == program.id, Participant.mentor_status.is_not(None))
            .group_by(Participant.mentor_status)
        ).all()
    )
