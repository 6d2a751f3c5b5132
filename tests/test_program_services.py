"""The program services on a plain SQLAlchemy session, as jobs call them (no Flask, no HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from lti_tool.mentoring import programs
from lti_tool.models import Base, Course, Membership, Participant, Person, Platform

TA_ROLES = [
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
]
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _course(session: Session, context_id: str = "c1") -> Course:
    platform = session.execute(select(Platform)).scalar_one_or_none()
    if platform is None:
        platform = Platform(
            name="LMS",
            issuer="https://lms.example",
            client_id="x",
            auth_login_url="a",
            auth_token_url="t",
            jwks_url="j",
        )
        session.add(platform)
        session.flush()
    course = Course(platform_id=platform.id, context_id=context_id)
    session.add(course)
    session.flush()
    return course


def _member(session: Session, course: Course, sub: str, roles: list[str], role: str = "participant") -> Membership:
    person = Person(platform_id=course.platform_id, sub=sub, email=f"{sub}@x.example", name=sub)
    session.add(person)
    session.flush()
    membership = Membership(course_id=course.id, person_id=person.id, lti_roles=roles, program_role=role)
    session.add(membership)
    session.flush()
    return membership


def test_program_is_one_per_course(session):
    """get_or_create_program returns the same program for a course and a separate one for another course."""
    a, b = _course(session, "a"), _course(session, "b")
    first = programs.get_or_create_program(session, a.id)
    assert programs.get_or_create_program(session, a.id).id == first.id
    assert programs.get_or_create_program(session, b.id).id != first.id


def test_role_designation_scales_with_two_queries(session):
    """Designating TAs in a course of 2,000 learners runs a fixed number of queries, not one per member."""
    course = _course(session)
    for i in range(2000):
        _member(session, course, f"s{i}", LEARNER)
    _member(session, course, "ta", TA_ROLES, role="coordinator")
    program = programs.get_or_create_program(session, course.id)
    program.mentor_sources, program.mentor_lti_roles = ["role"], ["TeachingAssistant"]
    statements: list[str] = []
    event.listen(session.bind, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert programs.designate_role_mentors(session, program) == 1
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3
    mentors = programs.mentors(session, program)
    assert [(p.mentor_source, person.sub) for p, person in mentors] == [("role", "ta")]


def test_opt_in_needs_the_program_to_allow_it(session):
    """Volunteering is refused when the program takes no volunteers; capacity must be within the maximum."""
    course = _course(session)
    program = programs.get_or_create_program(session, course.id)
    learner = programs.ensure_participant(session, program, _member(session, course, "s1", LEARNER))
    assert learner is not None and learner.role == "mentee"
    with pytest.raises(programs.InvalidCapacity):
        programs.opt_in(session, program, learner, 0)
    program.mentor_sources = ["csv"]
    with pytest.raises(programs.NotAllowed):
        programs.opt_in(session, program, learner, 2)


def test_withdraw_and_decide(session):
    """A volunteer can withdraw their offer; deciding on someone who never offered is refused."""
    course = _course(session)
    program = programs.get_or_create_program(session, course.id)
    learner = programs.ensure_participant(session, program, _member(session, course, "s1", LEARNER))
    assert learner is not None
    with pytest.raises(programs.NotAllowed):
        programs.decide(session, program, learner.id, approve=True)
    programs.opt_in(session, program, learner, 2)
    programs.withdraw(session, program, learner)
    assert (learner.mentor_status, learner.mentor_source, learner.role) == (None, None, "mentee")
    with pytest.raises(programs.NotInProgram):
        programs.decide(session, program, learner.id + 1000, approve=True)


def test_csv_import_is_atomic(session):
    """A CSV with one unknown person changes nobody; the same CSV without it designates everyone listed."""
    course = _course(session)
    program = programs.get_or_create_program(session, course.id)
    program.mentor_sources = ["csv"]
    for sub in ("s1", "s2"):
        _member(session, course, sub, LEARNER)
    with pytest.raises(programs.CsvImportError) as err:
        programs.import_mentors_csv(session, program, b"user_id,capacity\ns1,2\nghost,1\n")
    assert [(p.line, p.code, p.value) for p in err.value.problems] == [(3, "unknown_person", "ghost")]
    assert session.execute(select(Participant)).scalars().all() == []
    result = programs.import_mentors_csv(session, program, b"user_id,capacity\ns1,2\ns2,1\n")
    assert (result.created, result.updated) == (2, 0)
    again = programs.import_mentors_csv(session, program, b"email,capacity\nS1@x.example,4\n")
    assert (again.created, again.updated) == (0, 1)
    rows = {p.membership.person.sub: p for p, _ in programs.mentors(session, program)}
    assert rows["s1"].capacity == 4 and rows["s1"].mentor_status == "approved"


def test_csv_names_the_same_person_twice(session):
    """Naming one person by e-mail and again by user id is reported as a duplicate."""
    course = _course(session)
    program = programs.get_or_create_program(session, course.id)
    program.mentor_sources = ["csv"]
    _member(session, course, "s1", LEARNER)
    with pytest.raises(programs.CsvImportError) as err:
        programs.import_mentors_csv(session, program, b"email,user_id\ns1@x.example,\n,s1\n")
    assert [(p.line, p.code) for p in err.value.problems] == [(3, "duplicate")]


def test_save_profile_checks_against_the_program(session):
    """Profiles keep only the program's tags, known languages and zones, and approved mentors as preferences."""
    course = _course(session)
    program = programs.get_or_create_program(session, course.id)
    program.goal_tags = ["Python"]
    learner = programs.ensure_participant(session, program, _member(session, course, "s1", LEARNER))
    assert learner is not None
    good = programs.ProfileData(goals=("Python",), languages=("fr",), time_zone="Europe/Paris")
    for bad in (
        programs.ProfileData(goals=("Rust",), time_zone="UTC"),
        programs.ProfileData(languages=("xx",), time_zone="UTC"),
        programs.ProfileData(time_zone="Moon/Base"),
        programs.ProfileData(time_zone="UTC", availability=((7, 0, 60),)),
        programs.ProfileData(time_zone="UTC", preferences=(learner.id,)),
    ):
        with pytest.raises((programs.InvalidProfile, ValueError)):
            programs.save_profile(session, program, learner, bad)
    programs.save_profile(session, program, learner, good)
    assert learner.has_profile and programs.engine_participant(learner).time_zone == "Europe/Paris"


def test_profile_requirement(session):
    """Skipping is refused when the program requires profiles; a skipped profile is not asked for again."""
    course = _course(session)
    program = programs.get_or_create_program(session, course.id)
    learner = programs.ensure_participant(session, program, _member(session, course, "s1", LEARNER))
    assert programs.needs_profile(program, learner)
    programs.skip_profile(session, program, learner)
    assert not programs.needs_profile(program, learner)
    program.profile_required = True
    assert programs.needs_profile(program, learner)
    with pytest.raises(programs.NotAllowed):
        programs.skip_profile(session, program, learner)


def test_matching_input_feeds_every_mode(session):
    """A program's participants, weights and rules run through the engine in each mode; ids map back to rows."""
    from lti_tool.mentoring.matching import match

    course = _course(session)
    program = programs.get_or_create_program(session, course.id)
    program.mentor_sources = ["opt_in"]
    program.goal_tags, program.expertise_tags = ["Python", "Writing"], ["Python", "Writing"]
    rows = {}
    for sub in ("ana", "ben", "mia", "tom", "gone"):
        membership = _member(session, course, sub, LEARNER)
        rows[sub] = programs.ensure_participant(session, program, membership)
    rows["gone"].membership.is_active = False
    for sub, goal in (("mia", "Python"), ("tom", "Writing")):
        programs.opt_in(session, program, rows[sub], 1)
        programs.decide(session, program, rows[sub].id, approve=True)
        programs.save_profile(
            session, program, rows[sub], programs.ProfileData(expertise=(goal,), time_zone="Europe/Madrid")
        )
    programs.save_profile(session, program, rows["ana"], programs.ProfileData(goals=("Python",), time_zone="UTC"))
    programs.save_profile(
        session,
        program,
        rows["ben"],
        programs.ProfileData(goals=("Writing",), time_zone="UTC", preferences=(rows["tom"].id, rows["mia"].id)),
    )
    data = programs.matching_input(session, program)
    assert {m.id for m in data.mentees} == {str(rows["ana"].id), str(rows["ben"].id)}
    assert {m.id for m in data.mentors} == {str(rows["mia"].id), str(rows["tom"].id)}
    assert data.picks == {str(rows["ben"].id): (str(rows["tom"].id), str(rows["mia"].id))}
    expected = {(str(rows["ana"].id), str(rows["mia"].id)), (str(rows["ben"].id), str(rows["tom"].id))}
    for mode in ("optimal", "stable"):
        result = match(data.mentees, data.mentors, mode, data.weights, data.options)
        assert {(p.mentee_id, p.mentor_id) for p in result.pairs} == expected, mode
    # Mentee choice places only those who picked (Ana ranked nobody yet).
    chosen = match(data.mentees, data.mentors, "mentee_choice", data.weights, data.options, picks=data.picks)
    assert {(p.mentee_id, p.mentor_id) for p in chosen.pairs} == {(str(rows["ben"].id), str(rows["tom"].id))}
