"""Who takes part in a program: the participant row of a course membership, and role-based mentors."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Membership, Participant, Program
from .errors import NotInProgram


def _short_roles(lti_roles: list | None) -> set[str]:
    """Context role short names of a membership (``…/membership/Instructor#TeachingAssistant`` → both)."""
    names: set[str] = set()
    for role in lti_roles or []:
        if not isinstance(role, str):
            continue
        role = role.strip()
        tail = role.rsplit("/", 1)[-1]  # "membership#Instructor", "Instructor#TeachingAssistant" or "Learner"
        if "institution/person#" in role or "system/person#" in role:
            continue
        for part in tail.split("#"):
            if part and part != "membership":
                names.add(part)
    return names


def qualifies_by_role(program: Program, membership: Membership) -> bool:
    """Whether the membership's LTI roles make this person a mentor under the program's settings.

    Moodle sends ``Instructor`` for teaching assistants too (never ``TeachingAssistant``), so a Moodle
    course that wants its TAs as mentors ticks Instructor as well.
    """
    return membership.is_active and roles_qualify(program, membership.lti_roles)


def roles_qualify(program: Program, lti_roles: list | None) -> bool:
    """Whether these LTI roles are ones the program designates as mentors (``qualifies_by_role`` without the
    membership, for code that reads the roles column alone)."""
    if "role" not in (program.mentor_sources or []):
        return False
    return bool(_short_roles(lti_roles) & set(program.mentor_lti_roles or []))


def find_participant(session: Session, program: Program, membership_id: int) -> Participant | None:
    return session.execute(
        select(Participant).where(Participant.program_id == program.id, Participant.membership_id == membership_id)
    ).scalar_one_or_none()


def get_participant(session: Session, program: Program, participant_id: int) -> Participant:
    """A participant of this program by id; ``NotInProgram`` for ids of other courses or none at all."""
    found = session.execute(
        select(Participant).where(Participant.id == participant_id, Participant.program_id == program.id)
    ).scalar_one_or_none()
    if found is None:
        raise NotInProgram()
    return found


def _new(session: Session, program: Program, membership: Membership, **values: object) -> Participant:
    row = Participant(program_id=program.id, membership_id=membership.id, **values)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = find_participant(session, program, membership.id)
        if found is None:  # pragma: no cover
            raise
        return found
    return row


def _base_role(program: Program) -> str:
    return "both" if program.is_peer else "mentee"


def _mentor_role(program: Program) -> str:
    return "both" if program.is_peer else "mentor"


def _role_mentor_values(program: Program) -> dict[str, object]:
    return {
        "role": _mentor_role(program),
        "mentor_status": "approved",
        "mentor_source": "role",
        "capacity": program.default_capacity,
    }


def _new_role_mentor(session: Session, program: Program, membership: Membership) -> Participant:
    return _new(session, program, membership, **_role_mentor_values(program))


def first_visit_values(program: Program, membership: Membership) -> dict[str, object] | None:
    """The columns of the participant row a first visit creates; None for people who do not take part.

    Members the program designates as mentors by their LTI role (teaching assistants, say) become approved
    mentors; other active learners become mentees (peers in a co-mentoring program). A coordinator including
    the roster in matching (:mod:`.inclusion`) gives people exactly these rows.
    """
    if qualifies_by_role(program, membership):
        return _role_mentor_values(program)
    if membership.program_role == "participant" and membership.is_active:
        return {"role": _base_role(program)}
    return None


# Built once (the home page runs it on every visit); :course_id and :membership_id are bound per call.
_PROGRAM_AND_PARTICIPANT = (
    select(Program, Participant)
    .outerjoin(
        Participant,
        (Participant.program_id == Program.id) & (Participant.membership_id == bindparam("membership_id")),
    )
    .where(Program.course_id == bindparam("course_id"))
)


def program_and_participant(
    session: Session, course_id: int, membership_id: int
) -> tuple[Program | None, Participant | None]:
    """The course's program and the membership's participant row in one query (the home page's need)."""
    row = session.execute(_PROGRAM_AND_PARTICIPANT, {"course_id": course_id, "membership_id": membership_id}).first()
    return (None, None) if row is None else (row[0], row[1])


def ensure_participant(
    session: Session,
    program: Program,
    membership: Membership,
    known: Participant | None = None,
    *,
    looked_up: bool = False,
) -> Participant | None:
    """The membership's participant row, created on first visit; None for people who do not take part.

    Learners take part (as mentees, or as peers in a co-mentoring program); anyone whose LTI roles the
    program designates as mentors takes part as an approved mentor (teaching assistants, for instance).
    ``known`` is the row when the caller already loaded it; ``looked_up`` says the caller's lookup found
    none (so a coordinator without a row costs no second query).
    """
    row = known if known is not None or looked_up else find_participant(session, program, membership.id)
    if row is None:
        values = first_visit_values(program, membership)
        return None if values is None else _new(session, program, membership, **values)
    return _sync_role_designation(session, program, row, membership, qualifies_by_role(program, membership))


def _sync_role_designation(
    session: Session, program: Program, row: Participant, membership: Membership, by_role: bool
) -> Participant | None:
    if by_role and row.mentor_status != "approved":
        row.role, row.mentor_status, row.mentor_source = _mentor_role(program), "approved", "role"
        row.capacity = row.capacity or program.default_capacity
    elif not by_role and row.mentor_source == "role":
        # The program no longer designates this role: a learner goes back to being a mentee (or peer);
        # anyone else (a teaching assistant) no longer takes part.
        if membership.program_role != "participant":
            session.delete(row)
            session.flush()
            return None
        row.role, row.mentor_status, row.mentor_source = _base_role(program), None, None
    return row


def remap_roles(session: Session, program: Program) -> None:
    """After switching between hierarchical and peer co-mentoring, give every participant the matching role."""
    rows = session.execute(select(Participant).where(Participant.program_id == program.id)).scalars()
    for row in rows:
        if program.is_peer:
            row.role = "both"
        elif row.role == "both":
            row.role = "mentor" if row.mentor_status == "approved" else "mentee"


def designate_role_mentors(session: Session, program: Program) -> int:
    """Apply the program's role-based designation to every member of the course; returns how many qualify.

    Two queries whatever the size of the course (its memberships, the program's participants), so it can
    run after every roster sync and on every visit to the Mentors page.
    """
    existing = {
        row.membership_id: row
        for row in session.execute(select(Participant).where(Participant.program_id == program.id)).scalars()
    }
    uses_roles = "role" in (program.mentor_sources or [])
    if not uses_roles and not any(row.mentor_source == "role" for row in existing.values()):
        return 0
    memberships = session.execute(select(Membership).where(Membership.course_id == program.course_id)).scalars()
    count = 0
    for membership in memberships:
        by_role = uses_roles and qualifies_by_role(program, membership)
        count += by_role
        row = existing.get(membership.id)
        if row is not None:
            _sync_role_designation(session, program, row, membership, by_role)
        elif by_role:
            _new_role_mentor(session, program, membership)
    session.flush()
    return count
