"""Bring course roster members into matching before they have opened the mentoring space.

A person normally gets their participant row on their first visit (``ensure_participant``), so matching
only knows people who opened the space once. The course roster (NRPS roster sync) knows everyone. A
coordinator who wants to match people who have not come yet calls ``include_roster``, for the whole roster
or for the members they chose: each gets the row their first visit would have created
(``first_visit_values``, the same rule: a mentee, a peer in a co-mentoring program, or an approved mentor
when the program designates their LTI role), so their later first visit finds it, with any match made
meanwhile. They have no profile yet and are matched as anyone without one is (``matching_input``); the
review page marks them (``without_profile``).

Size: the work is set-based whatever the size of the course. Learners are copied by one
``INSERT … SELECT`` that the database runs on its own (nothing per person crosses into Python); only
members whose LTI roles the program designates as mentors (staff, a handful) are read and written row by
row. Including 50,000 learners took 0.4 s on SQLite and 1.8 s on PostgreSQL (where checking the two foreign
keys of each new row is most of it); a course of a few thousand, a fraction of a second. So the request does
it at once, rather than through a background job with a page polling its progress as roster sync does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, func, insert, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...models import Membership, Participant, Person, Program
from .errors import ProgramError
from .participants import _base_role, _role_mentor_values, first_visit_values, roles_qualify

# How many roster members the review page lists to choose from, and how many one request may name.
MAX_CHOSEN = 500


@dataclass(frozen=True)
class RosterMember:
    """A member of the course roster who has not opened the mentoring space (no participant row yet)."""

    membership_id: int
    name: str


@dataclass(frozen=True)
class Inclusion:
    """What ``include_roster`` did: rows created, and chosen people who already had one (nothing to do)."""

    added: int
    already: int = 0


@dataclass(frozen=True)
class InclusionProblem:
    """Why one chosen member cannot be included: ``code`` and the name (or the id, for unknown ones)."""

    code: str  # unknown, inactive, not_taking_part
    value: str = ""


class InclusionRefused(ProgramError):
    """The chosen members were refused and nobody was included; ``problems`` lists every reason.

    ``code`` is ``nothing_chosen``, ``too_many`` or ``problems`` (see ``problems``).
    """

    code = "inclusion_refused"
    message = "Nobody was included in matching."

    def __init__(self, code: str, problems: list[InclusionProblem] | None = None):
        self.code = code
        self.problems = problems or []
        detail = "; ".join(f"{p.code} {p.value!r}" for p in self.problems[:10])
        super().__init__(f"{self.message} {code}" + (f": {detail}" if detail else ""))


def _without_row(program: Program) -> list[Any]:
    """WHERE clauses: active members of the program's course who have no participant row in it."""
    taken = select(Participant.membership_id).where(Participant.program_id == program.id)
    return [
        Membership.course_id == program.course_id,
        Membership.is_active.is_(True),
        Membership.id.not_in(taken),
    ]


def _sort_key(name: str) -> str:
    return name.casefold()


def roster_only(session: Session, program: Program, limit: int = MAX_CHOSEN) -> list[RosterMember]:
    """Active learners of the course roster without a participant row, by name (at most ``limit``).

    The people the review page offers to include one by one; ``matching_runs.not_yet_in_program`` counts
    all of them.
    """
    name_order = func.lower(func.coalesce(Person.name, Person.given_name, Person.family_name, ""))
    rows = session.execute(
        select(Membership.id, Person.name, Person.given_name, Person.family_name, Person.sub)
        .join(Person, Person.id == Membership.person_id)
        .where(*_without_row(program), Membership.program_role == "participant")
        .order_by(name_order, Person.family_name, Membership.id)
        .limit(limit)
    ).all()
    members = [
        RosterMember(mid, Person.display_name_of(name, given, family, sub)) for mid, name, given, family, sub in rows
    ]
    return sorted(members, key=lambda m: (_sort_key(m.name), m.membership_id))


def include_roster(session: Session, program: Program, membership_ids: Iterable[object] | None = None) -> Inclusion:
    """Give roster members who have not opened the space the participant row their first visit would create.

    Without ``membership_ids``: every active member of the course who takes part (learners, and members the
    program designates as mentors by role). With them (ids of the course's memberships, as a form posts
    them): exactly those people, all or nobody — an id that is not a member of this course (another course's
    included), a member who left the course or one who takes no part (an instructor not designated as
    mentor, an observer) raises ``InclusionRefused`` listing every problem, before anything is written.
    Chosen people who already have a row are counted in ``Inclusion.already``.

    Idempotent, and safe against a concurrent first visit: a row that appears meanwhile is kept as it is
    (``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL). Flushed, not committed.
    """
    chosen: set[int] | None = None
    already = 0
    if membership_ids is not None:
        chosen, already = _check_chosen(session, program, membership_ids)
        if not chosen:
            return Inclusion(added=0, already=already)
    added = _include_role_mentors(session, program, chosen) + _include_learners(session, program, chosen)
    if chosen is not None:
        already += len(chosen) - added  # opened the space between the check and the insert
    return Inclusion(added=added, already=already)


def _as_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 18:
        return int(value.strip()) or None
    return None


def _check_chosen(session: Session, program: Program, values: Iterable[object]) -> tuple[set[int], int]:
    """The chosen memberships that need a row, and how many already have one; ``InclusionRefused`` otherwise."""
    raw = list(dict.fromkeys(str(v) if not isinstance(v, int) else v for v in values))
    if not raw:
        raise InclusionRefused("nothing_chosen")
    if len(raw) > MAX_CHOSEN:
        raise InclusionRefused("too_many")
    ids = {value: _as_id(value) for value in raw}
    problems = [InclusionProblem("unknown", str(value)[:40]) for value, mid in ids.items() if mid is None]
    wanted = {mid for mid in ids.values() if mid is not None}
    rows = session.execute(
        select(Membership, Person, Participant.id)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(Participant, (Participant.membership_id == Membership.id) & (Participant.program_id == program.id))
        .where(Membership.course_id == program.course_id, Membership.id.in_(wanted))
    ).all()
    found = {membership.id for membership, _person, _pid in rows}
    # Ids of other courses read exactly like ids that do not exist: nothing about another course shows.
    problems += [InclusionProblem("unknown", str(mid)) for mid in sorted(wanted - found)]
    to_add: set[int] = set()
    already = 0
    for membership, person, participant_id in sorted(rows, key=lambda r: _sort_key(r[1].display_name)):
        if participant_id is not None:
            already += 1
        elif not membership.is_active:
            problems.append(InclusionProblem("inactive", person.display_name))
        elif first_visit_values(program, membership) is None:
            problems.append(InclusionProblem("not_taking_part", person.display_name))
        else:
            to_add.add(membership.id)
    if problems:
        raise InclusionRefused("problems", problems)
    return to_add, already


def _include_role_mentors(session: Session, program: Program, chosen: set[int] | None) -> int:
    """Rows for members the program designates as mentors by LTI role (approved mentors, as on a first visit).

    Only members whose roles column mentions a designated role are read (a text filter the exact check in
    ``roles_qualify`` then confirms), so a big course of learners costs one small query here.
    """
    designated = [r for r in program.mentor_lti_roles or [] if isinstance(r, str) and r]
    if "role" not in (program.mentor_sources or []) or not designated:
        return 0
    query = select(Membership.id, Membership.lti_roles).where(
        *_without_row(program),
        or_(*(cast(Membership.lti_roles, Text).contains(r, autoescape=True) for r in designated)),
    )
    if chosen is not None:
        query = query.where(Membership.id.in_(chosen))
    ids = [mid for mid, roles in session.execute(query).all() if roles_qualify(program, roles)]
    if not ids:
        return 0
    values = _role_mentor_values(program)
    rows = [{**values, "program_id": program.id, "membership_id": mid} for mid in ids]
    return len(session.execute(_insert_new(session).returning(Participant.id), rows).all())


def _include_learners(session: Session, program: Program, chosen: set[int] | None) -> int:
    """Rows for the remaining active learners: one ``INSERT … SELECT`` run by the database.

    Members designated by role already have their row (``_include_role_mentors`` runs first), so the
    "no row yet" condition leaves them out. Column defaults (empty profile lists, timestamps) are rendered
    into the statement once.
    """
    source = select(literal(program.id), Membership.id, literal(_base_role(program))).where(
        *_without_row(program), Membership.program_role == "participant"
    )
    if chosen is not None:
        source = source.where(Membership.id.in_(chosen))
    statement = _insert_new(session).from_select(["program_id", "membership_id", "role"], source)
    return len(session.execute(statement.returning(Participant.id)).all())


def _insert_new(session: Session) -> Any:
    """An INSERT of participant rows that skips the ones a concurrent first visit created."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite_insert(Participant).on_conflict_do_nothing(index_elements=["program_id", "membership_id"])
    if dialect == "postgresql":
        return pg_insert(Participant).on_conflict_do_nothing(index_elements=["program_id", "membership_id"])
    return insert(Participant)


def without_profile(session: Session, participant_ids: set[int]) -> set[int]:
    """Which of these participants have not filled in a profile (the review page says so beside them)."""
    if not participant_ids:
        return set()
    return set(
        session.execute(
            select(Participant.id).where(
                Participant.id.in_(participant_ids), Participant.profile_completed_at.is_(None)
            )
        ).scalars()
    )
