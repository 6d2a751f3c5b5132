"""Launches from each demo LMS flavour and role land in the course's mentoring space."""

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Course, Membership, Person, Platform

from .support.demo import COURSE, ensure_seeded, people


@pytest.fixture(autouse=True)
def _seeded(browser):
    ensure_seeded(browser)


def _membership(app, sub: str, flavour: str):
    with app.app_context():
        row = db.session.execute(
            select(Membership, Person, Course)
            .join(Person, Person.id == Membership.person_id)
            .join(Course, Course.id == Membership.course_id)
            .join(Platform, Platform.id == Course.platform_id)
            .where(Person.sub == sub, Platform.issuer.endswith("/sandbox/" + flavour), Course.context_id == COURSE)
        ).first()
        return None if row is None else (row[0].program_role, row[1].display_name, row[2].title, row[0].lti_roles)


@pytest.mark.parametrize("flavour", ["moodle", "canvas", "blackboard"])
@pytest.mark.parametrize(
    ("course_role", "program_role"),
    [("instructor", "coordinator"), ("ta", "coordinator"), ("student", "participant")],
)
def test_launch_lands_in_mentoring_space(live, browser, flavour, course_role, program_role):
    """Each role of each LMS flavour launches through the real OIDC flow into the mentoring space."""
    sub = people(live.app, course_role)[0]
    page = browser.launch(flavour, sub)
    assert page.status == 200, page.text[:2000]
    assert page.url.startswith(live.tool_url + "/space/")
    assert page.soup.find(id="space-title"), "the mentoring space's home page"
    assert page.token(), "the page must carry the tool-session token in its links"
    role, name, course_title, lti_roles = _membership(live.app, sub, flavour)
    assert role == program_role
    assert name in page.text
    assert course_title and course_title in page.text
    assert lti_roles, "the membership keeps the launch's LTI roles"


def test_identity_is_per_platform(live, browser):
    """The same LMS user launching from two platforms becomes two people (unique per platform and sub)."""
    sub = people(live.app, "student")[1]
    assert browser.launch("moodle", sub).status == 200
    assert browser.launch("canvas", sub).status == 200
    with live.app.app_context():
        count = db.session.execute(select(db.func.count()).select_from(Person).where(Person.sub == sub)).scalar()
        courses = db.session.execute(
            select(db.func.count()).select_from(Course).where(Course.context_id == COURSE)
        ).scalar()
    assert count == 2
    assert courses >= 2


def test_relaunch_updates_membership_not_duplicates(live, browser):
    """Launching twice keeps one person and one membership, refreshed from the latest launch."""
    sub = people(live.app, "student")[2]
    browser.launch("moodle", sub)
    browser.launch("moodle", sub)
    with live.app.app_context():
        persons = db.session.execute(select(Person).where(Person.sub == sub)).scalars().all()
        assert len([p for p in persons if p.platform.issuer.endswith("/moodle")]) == 1
        person = next(p for p in persons if p.platform.issuer.endswith("/moodle"))
        memberships = db.session.execute(select(Membership).where(Membership.person_id == person.id)).scalars().all()
        assert len(memberships) == 1
        assert person.last_launch_at is not None


def test_student_cannot_open_coordinator_pages(live, browser):
    """A student's session gets 403 on the coordinator-only People page."""
    page = browser.launch("moodle", people(live.app, "student")[0])
    token = page.token()
    resp = browser.get(f"/space/people?ts={token}")
    assert resp.status == 403
    assert not resp.soup.find("table"), "no roster data on a refused page"


def _nav(page, path: str) -> str:
    link = page.soup.find("a", href=lambda h: h and path in h)
    assert link is not None, f"no link to {path}"
    return link["href"]


def test_instructor_sees_people_and_follows_links(live, browser):
    """An instructor follows the People link inside the tool; the session survives from page to page."""
    page = browser.launch("canvas", people(live.app, "instructor")[0])
    people_page = browser.get(_nav(page, "/space/people"))
    assert people_page.status == 200
    assert people_page.soup.find("table"), "the people table"
    about = browser.get(_nav(people_page, "/space/about"))
    assert about.status == 200 and about.soup.find(id="about-title")


def test_platform_key_rotation_is_followed(live, browser):
    """After the LMS rotates its signing key, the next launch (new kid) refreshes the cached JWKS and works."""
    import requests

    sub = people(live.app, "student")[0]
    assert browser.launch("blackboard", sub).status == 200
    rotated = requests.post(live.lms_url + "/sandbox/api/keys/rotate", json={}, timeout=10)
    assert rotated.ok, rotated.text
    page = browser.launch("blackboard", sub)
    assert page.status == 200, page.text[:1500]
    assert page.soup.find(id="space-title")
