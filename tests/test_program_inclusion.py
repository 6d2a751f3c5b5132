"""Including course roster members in matching before they open the space, on a plain SQLAlchemy session
(no Flask, no HTTP): the whole roster or chosen people, the rows a first visit would make, refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from lti_tool.mentoring import programs
from lti_tool.mentoring.programs import matching_runs
from lti_tool.mentoring.programs.inclusion import (
    MAX_CHOSEN,
    Inclusion,
    InclusionProblem,
    InclusionRefused,
    include_roster,
    roster_only,
    without_profile,
)
from lti_tool.models import Base, Course, Membership, Participant, Program

from .test_program_services import LEARNER, TA_ROLES, _course, _member

INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
MENTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]


@pytest.fixture
def db() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _rows(db: Session, program: Program) -> dict[int, tuple]:
    found = db.execute(select(Participant).where(Participant.program_id == program.id)).scalars()
    return {p.membership_id: (p.role, p.mentor_status, p.mentor_source, p.capacity) for p in found}


def _mixed_roster(db: Session, course: Course) -> list[Membership]:
    """Learners s0-s2, a TA (coordinator role), an instructor, and a learner who left the course."""
    members = [_member(db, course, f"{course.context_id}-s{i}", LEARNER) for i in range(3)]
    members.append(_member(db, course, f"{course.context_id}-ta", TA_ROLES, role="coordinator"))
    members.append(_member(db, course, f"{course.context_id}-prof", INSTRUCTOR, role="coordinator"))
    gone = _member(db, course, f"{course.context_id}-gone", LEARNER)
    gone.is_active = False
    members.append(gone)
    db.flush()
    return members


def _tas_mentor(program: Program) -> None:
    program.mentor_sources, program.mentor_lti_roles = ["role", "opt_in"], ["TeachingAssistant"]


def test_inclusion_gives_the_rows_a_first_visit_would(db):
    """Each member gets exactly what ``ensure_participant`` gives on a first visit, in each kind of program."""
    for peer in (False, True):
        included, visited = _course(db, f"inc-{peer}"), _course(db, f"vis-{peer}")
        results = []
        for course in (included, visited):
            members = _mixed_roster(db, course)
            program = programs.get_or_create_program(db, course.id)
            _tas_mentor(program)
            if peer:
                program.relationship_model = "peer"
            if course is included:
                assert include_roster(db, program) == Inclusion(added=4)  # three learners and the TA
            else:
                for membership in members:
                    programs.ensure_participant(db, program, membership)
            by_sub = {m.id: m.person.sub.split("-", 2)[-1] for m in members}
            results.append({by_sub[k]: v for k, v in _rows(db, program).items()})
        assert results[0] == results[1]
        role = "both" if peer else "mentee"
        assert results[0]["s0"] == (role, None, None, None)
        assert results[0]["ta"] == ("both" if peer else "mentor", "approved", "role", 2)
        assert "prof" not in results[0] and "gone" not in results[0]


def test_inclusion_is_idempotent_and_keeps_existing_rows(db):
    """Running twice creates nothing new; people who opened the space keep their row (and profile)."""
    course = _course(db)
    members = _mixed_roster(db, course)
    program = programs.get_or_create_program(db, course.id)
    visited = programs.ensure_participant(db, program, members[0])
    assert visited is not None
    visited.goals = ["kept"]
    db.flush()
    assert matching_runs.not_yet_in_program(db, program) == 2
    assert include_roster(db, program).added == 2
    assert matching_runs.not_yet_in_program(db, program) == 0
    before = _rows(db, program)
    assert include_roster(db, program) == Inclusion(added=0)
    assert _rows(db, program) == before
    db.refresh(visited)
    assert visited.goals == ["kept"]
    # A first visit afterwards finds the row the inclusion made: no second row.
    row = programs.find_participant(db, program, members[1].id)
    assert row is not None and not row.has_profile and row.goals == [] and row.created_at is not None
    assert programs.ensure_participant(db, program, members[1]) is row
    assert len(_rows(db, program)) == 3


def test_inclusion_touches_only_its_own_course(db):
    """Members of another course stay without a row in their own course's program."""
    mine, other = _course(db, "mine"), _course(db, "other")
    _mixed_roster(db, mine)
    _mixed_roster(db, other)
    program = programs.get_or_create_program(db, mine.id)
    theirs = programs.get_or_create_program(db, other.id)
    assert include_roster(db, program).added == 3
    assert _rows(db, theirs) == {}
    assert matching_runs.not_yet_in_program(db, theirs) == 3


def test_chosen_members_only(db):
    """Only the chosen people get a row; the others stay listed as roster-only, in name order."""
    course = _course(db)
    members = _mixed_roster(db, course)
    program = programs.get_or_create_program(db, course.id)
    listed = roster_only(db, program)
    assert [m.name for m in listed] == ["c1-s0", "c1-s1", "c1-s2"]  # no staff, nobody who left
    assert include_roster(db, program, [str(members[0].id), members[2].id]) == Inclusion(added=2)
    assert set(_rows(db, program)) == {members[0].id, members[2].id}
    assert [m.membership_id for m in roster_only(db, program)] == [members[1].id]
    assert matching_runs.not_yet_in_program(db, program) == 1
    # Choosing them again (a second click, another tab) adds nobody and says they were already in.
    again = include_roster(db, program, [members[0].id, members[1].id])
    assert again == Inclusion(added=1, already=1)
    assert include_roster(db, program, [members[0].id]) == Inclusion(added=0, already=1)
    assert len(_rows(db, program)) == 3


def test_roster_only_is_capped_and_sorted_by_name(db):
    """The list offered to choose from holds at most ``limit`` people, the first ones by name."""
    course = _course(db)
    for name in ("delta", "Alpha", "charlie", "Bravo"):
        _member(db, course, name, LEARNER)
    program = programs.get_or_create_program(db, course.id)
    assert [m.name for m in roster_only(db, program, limit=3)] == ["Alpha", "Bravo", "charlie"]


def test_chosen_staff_designated_by_role_join_as_mentors(db):
    """A chosen TA the program designates by role joins as an approved mentor; an undesignated one is refused."""
    course = _course(db)
    members = _mixed_roster(db, course)
    ta = members[3]
    program = programs.get_or_create_program(db, course.id)
    with pytest.raises(InclusionRefused) as refused:
        include_roster(db, program, [ta.id])
    assert refused.value.problems == [InclusionProblem("not_taking_part", "c1-ta")]
    assert _rows(db, program) == {}
    _tas_mentor(program)
    assert include_roster(db, program, [ta.id]).added == 1
    assert _rows(db, program) == {ta.id: ("mentor", "approved", "role", program.default_capacity)}


def test_a_learner_with_a_designated_role_joins_as_mentor(db):
    """A learner who also holds a role the program designates (Mentor) gets the mentor row, not a mentee row."""
    course = _course(db)
    learner_mentor = _member(db, course, "lm", [*LEARNER, *MENTOR])
    plain = _member(db, course, "plain", LEARNER)
    program = programs.get_or_create_program(db, course.id)
    program.mentor_sources, program.mentor_lti_roles = ["role"], ["Mentor"]
    assert include_roster(db, program).added == 2
    rows = _rows(db, program)
    assert rows[learner_mentor.id][:3] == ("mentor", "approved", "role")
    assert rows[plain.id] == ("mentee", None, None, None)


@pytest.mark.parametrize(
    ("pick", "expected"),
    [
        ("gone", [InclusionProblem("inactive", "c1-gone")]),
        ("prof", [InclusionProblem("not_taking_part", "c1-prof")]),
        ("other", "unknown-id"),
        ("missing", "unknown-id"),
        ("garbage", [InclusionProblem("unknown", "12a; DROP"), InclusionProblem("unknown", "-4")]),
    ],
)
def test_bad_choices_are_refused_and_include_nobody(db, pick, expected):
    """Someone who left, an instructor, another course's member, an unknown or malformed id: refused with the
    reason, and nobody is included, not even the valid people chosen alongside."""
    course, other = _course(db), _course(db, "other")
    members = _mixed_roster(db, course)
    stranger = _member(db, other, "stranger", LEARNER)
    program = programs.get_or_create_program(db, course.id)
    bad: list[object] = {
        "gone": [members[5].id],
        "prof": [members[4].id],
        "other": [stranger.id],
        "missing": [10_000_000],
        "garbage": ["12a; DROP", "-4"],
    }[pick]
    with pytest.raises(InclusionRefused) as refused:
        include_roster(db, program, [members[0].id, *bad])
    assert refused.value.code == "problems"
    if expected == "unknown-id":
        expected = [InclusionProblem("unknown", str(bad[0]))]
    assert refused.value.problems == expected
    assert _rows(db, program) == {}
    assert _rows(db, programs.get_or_create_program(db, other.id)) == {}


def test_empty_or_oversized_choices_are_refused(db):
    """Choosing nobody, or more people than one request may name, is refused before anything is read."""
    course = _course(db)
    _mixed_roster(db, course)
    program = programs.get_or_create_program(db, course.id)
    for pick, code in (([], "nothing_chosen"), (list(range(1, MAX_CHOSEN + 2)), "too_many")):
        with pytest.raises(InclusionRefused) as refused:
            include_roster(db, program, pick)
        assert refused.value.code == code
    assert _rows(db, program) == {}


def test_a_concurrent_first_visit_does_not_fail_the_inclusion(db):
    """A row created just before the INSERT (someone opening the space) is skipped, not an error."""
    course = _course(db)
    members = _mixed_roster(db, course)
    program = programs.get_or_create_program(db, course.id)
    fired = []

    def visit(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO PROGRAM_PARTICIPANT") and not fired:
            fired.append(True)
            cursor.execute(
                "INSERT INTO program_participant (program_id, membership_id, role, goals, interests, expertise,"
                " languages, availability, preferences, created_at, updated_at)"
                " VALUES (?, ?, 'mentee', '[]', '[]', '[]', '[]', '[]', '[]', '2026-01-01', '2026-01-01')",
                (program.id, members[2].id),
            )

    event.listen(db.bind, "before_cursor_execute", visit)
    try:
        added = include_roster(db, program, [m.id for m in members[:3]])
    finally:
        event.remove(db.bind, "before_cursor_execute", visit)
    assert fired and added == Inclusion(added=2, already=1)  # the visitor's row is theirs, not included
    assert len(_rows(db, program)) == 3


@pytest.mark.parametrize("designated", [False, True])
def test_statements_do_not_grow_with_the_roster(db, designated):
    """Including 20 or 400 members costs the same few SQL statements (no statement per person)."""
    counts = []
    for size in (20, 400):
        course = _course(db, f"size-{size}")
        for i in range(size):
            _member(db, course, f"{size}-s{i}", LEARNER)
        _member(db, course, f"{size}-ta", TA_ROLES, role="coordinator")
        program = programs.get_or_create_program(db, course.id)
        if designated:
            _tas_mentor(program)
        db.flush()
        statements: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        event.listen(db.bind, "before_cursor_execute", count)
        try:
            assert include_roster(db, program).added == size + designated
        finally:
            event.remove(db.bind, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[1] <= 3, counts


def test_included_people_are_matched_without_a_profile_unless_one_is_required(db):
    """Without a profile they are engine mentees; a program requiring profiles lists them as ``no_profile``."""
    course = _course(db)
    _mixed_roster(db, course)
    program = programs.get_or_create_program(db, course.id)
    program.mentor_sources, program.mentor_lti_roles = ["role"], ["TeachingAssistant"]
    include_roster(db, program)
    ids = {p.id for p in db.execute(select(Participant)).scalars()}
    assert without_profile(db, ids) == ids
    run = matching_runs.run_matching(db, program)
    assert run.total_mentees == 3 and run.total_pairs == 2  # the TA has the default capacity of 2
    assert [u["code"] for u in run.unmatched] == ["no_capacity_left"]
    program.profile_required = True
    required = matching_runs.run_matching(db, program)
    assert required.total_pairs == 0
    mentees = [u["code"] for u in required.unmatched if u["role"] == "mentee"]
    assert mentees == ["no_profile"] * 3
