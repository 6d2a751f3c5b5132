"""The roster sync service on its own: NRPS pages in, people and memberships out (no HTTP, no Flask)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, select

from lti_tool.extensions import db
from lti_tool.models import Course, Membership, Person, Platform
from lti_tool.roster import RosterError, sync_roster

from .support.demo import ensure_seeded

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
SITE_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"


@pytest.fixture(autouse=True)
def _seeded(browser):
    ensure_seeded(browser)


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session()
        db.session.rollback()


@pytest.fixture
def course(session) -> Course:
    platform_id = session.execute(select(Platform.id).limit(1)).scalar_one()
    course = Course(platform_id=platform_id, context_id="svc-" + uuid.uuid4().hex[:8])
    session.add(course)
    session.commit()
    return course


def member(sub: str, *roles: str, status: str = "Active", **fields) -> dict:
    return {"user_id": sub, "roles": list(roles or [LEARNER]), "status": status, **fields}


def state(session, course: Course) -> dict[str, tuple[str, bool, str, str | None]]:
    rows = session.execute(
        select(Person.sub, Membership.program_role, Membership.is_active, Membership.source, Person.name)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course.id)
    ).all()
    return {sub: (role, active, source, name) for sub, role, active, source, name in rows}


def test_roles_status_and_sources(session, course):
    """Roles map to program roles; Inactive and Deleted members are inactive; new memberships are 'roster'."""
    pages = [
        [member("t1", INSTRUCTOR, name="Teacher"), member("s1", name="Sam")],
        [member("s2", status="Inactive"), member("s3", status="Deleted"), member("o1", MENTOR)],
    ]
    counts = sync_roster(session, course, pages)
    assert state(session, course) == {
        "t1": ("coordinator", True, "roster", "Teacher"),
        "s1": ("participant", True, "roster", "Sam"),
        "s2": ("participant", False, "roster", None),
        "s3": ("participant", False, "roster", None),
        "o1": ("observer", True, "roster", None),
    }
    assert (counts.members, counts.active, counts.inactive, counts.added, counts.pages) == (5, 3, 2, 5, 2)


def test_duplicates_and_entries_without_user_id(session, course):
    """A member listed twice is one membership (the later entry wins); entries without user_id are skipped."""
    counts = sync_roster(
        session,
        course,
        [[member("a"), {"roles": [LEARNER]}], [member("a", INSTRUCTOR), member("b")]],
    )
    assert state(session, course)["a"][0] == "coordinator"
    assert counts.members == 2 and counts.skipped == 1
    assert len(state(session, course)) == 2


def test_withheld_values_keep_what_is_known(session, course):
    """A platform that stops sending a name or email does not erase it; a new value replaces the old."""
    sync_roster(session, course, [[member("p", name="Pat Doe", email="pat@example.edu")]])
    sync_roster(session, course, [[member("p")]])
    person = session.execute(select(Person).where(Person.sub == "p", Person.platform_id == course.platform_id))
    row = person.scalar_one()
    assert (row.name, row.email) == ("Pat Doe", "pat@example.edu")
    sync_roster(session, course, [[member("p", name="Pat Smith")]])
    session.refresh(row)
    assert row.name == "Pat Smith" and row.email == "pat@example.edu"


def test_missing_members_are_deactivated_but_site_admins_are_kept(session, course):
    """Members absent from the roster become inactive, except launch-only ones with no context role."""
    admin = Person(platform_id=course.platform_id, sub="admin-" + uuid.uuid4().hex[:6])
    session.add(admin)
    session.flush()
    session.add(Membership(course_id=course.id, person_id=admin.id, lti_roles=[SITE_ADMIN], program_role="coordinator"))
    session.commit()
    sync_roster(session, course, [[member("x"), member("y")]])
    counts = sync_roster(session, course, [[member("x")]])
    now = state(session, course)
    assert now["y"][1] is False and now["x"][1] is True
    assert now[admin.sub][1] is True, "a site administrator is never in NRPS; their absence means nothing"
    assert counts.deactivated == 1 and counts.missing == 1


def test_failed_fetch_deactivates_nobody(session, course):
    """If reading the roster fails half-way, pages read so far stay applied and nobody is deactivated."""
    sync_roster(session, course, [[member("keep1"), member("keep2")]])

    def pages():
        yield [member("new1")]
        raise RosterError("The LMS could not be reached for the roster. Try again later.")

    with pytest.raises(RosterError):
        sync_roster(session, course, pages())
    now = state(session, course)
    assert now["new1"][1] and now["keep1"][1] and now["keep2"][1]


def test_people_of_other_courses_are_reused(session, course):
    """A person already known on the platform (another course) gets a membership, not a second person."""
    other = Course(platform_id=course.platform_id, context_id="svc-other-" + uuid.uuid4().hex[:6])
    session.add(other)
    session.commit()
    sub = "shared-" + uuid.uuid4().hex[:6]
    sync_roster(session, other, [[member(sub, name="Shared")]])
    sync_roster(session, course, [[member(sub)]])
    people = session.execute(
        select(Person).where(Person.sub == sub, Person.platform_id == course.platform_id)
    ).scalars()
    assert len(list(people)) == 1
    assert state(session, course)[sub][3] == "Shared"


def test_statements_per_page_do_not_grow_with_members(session, course, app):
    """1,000 new members in 10 pages cost a bounded number of statements per page (no per-member SELECT)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        pages = [[member(f"bulk-{course.id}-{p}-{i}") for i in range(100)] for p in range(10)]
        counts = sync_roster(session, course, pages)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts.added == 1000
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2 + 10, f"{len(selects)} SELECTs for 10 pages"
    assert len(statements) <= 1 + 10 * 3 + 2, f"{len(statements)} statements for 10 pages"


def test_roster_service_is_free_of_flask():
    """The sync service and the NRPS reader import neither Flask nor the views (jobs and the CLI reuse them)."""
    from .test_boundaries import ROOT, _imports

    forbidden = ("flask", "flask_sqlalchemy", "flask_wtf", "flask_babel", "werkzeug", "lti_tool.views")
    offenders = [
        f"{name} imports {module}"
        for name in ("service.py", "nrps.py")
        for module in _imports(ROOT / "roster" / name)
        if module.split(".")[0] in forbidden or module.startswith(forbidden)
    ]
    assert offenders == []
