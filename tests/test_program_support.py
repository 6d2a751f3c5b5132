"""Helpers shared by the program tests (no tests of its own): a course of their own, launches, forms.

Each test that changes program settings uses its own demo LMS course (``fresh_course``), so that the
shared ``course-101`` keeps the default program other tests rely on.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import Course, Membership, Participant, Person, Platform, Program

from .support.browser import LmsBrowser, Page
from .support.demo import ensure_seeded, people

_counter = itertools.count(1)


@dataclass
class DemoCourse:
    context_id: str
    instructor: str
    ta: str
    students: list[str]
    emails: dict[str, str]

    def student_email(self, index: int) -> str:
        return self.emails[self.students[index]]


def fresh_course(live, browser: LmsBrowser, n_students: int = 4) -> DemoCourse:
    """A new demo LMS course taught by Dr. Okafor, assisted by Mateo (TA), with generated students."""
    from lti_tool.sandbox.models import SandboxUser
    from lti_tool.sandbox.seed import create_course

    ensure_seeded(browser)
    context_id = f"prog-{next(_counter)}-{uuid.uuid4().hex[:6]}"
    with live.app.app_context():
        create_course(db.session, context_id, n_students, title=f"Program test {context_id}")
        db.session.remove()
    students = people(live.app, "student", context_id)
    with live.app.app_context():
        # Generated students get a mix of languages; these tests read the English pages.
        db.session.execute(update(SandboxUser).where(SandboxUser.sub.in_(students)).values(locale="en"))
        db.session.commit()
        emails = dict(
            db.session.execute(select(SandboxUser.sub, SandboxUser.email).where(SandboxUser.sub.in_(students))).all()
        )
        db.session.remove()
    return DemoCourse(
        context_id,
        people(live.app, "instructor", context_id)[0],
        people(live.app, "ta", context_id)[0],
        students,
        emails,
    )


def enter(live, course: DemoCourse, sub: str, flavour: str = "moodle") -> tuple[LmsBrowser, str]:
    """Launch as ``sub`` into ``course`` in a browser of their own; returns the browser and the session token."""
    browser = LmsBrowser(live.tool_url, live.lms_url)
    page = browser.launch(flavour, sub, course.context_id)
    assert page.status == 200, page.text[:1500]
    token = page.token()
    assert token
    return browser, token


def form_data(page: Page, action: str) -> list[tuple[str, str]]:
    """What a browser would submit for the form whose action contains ``action`` (no button pressed)."""
    soup = page.soup
    form = soup.find("form", action=lambda a: a and action in a)
    assert form is not None, f"no form posting to {action} on {page.url}"
    data: list[tuple[str, str]] = []
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.name == "input" and field.get("type") in ("submit", "file"):
            continue
        if field.name == "textarea":
            data.append((name, field.get_text()))
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data.append((name, chosen.get("value", "") if chosen else ""))
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data.append((name, field.get("value", "on")))
        else:
            data.append((name, field.get("value", "")))
    return data


def form_action(page: Page, action: str) -> str:
    form = page.soup.find("form", action=lambda a: a and action in a)
    assert form is not None
    return urljoin(page.url, form["action"])


def replace(data: list[tuple[str, str]], **values) -> list[tuple[str, str]]:
    """Set fields: a string replaces, a list replaces every value of a multi-valued field, None removes."""
    out = [(k, v) for k, v in data if k not in values]
    for key, value in values.items():
        if value is None:
            continue
        out.extend((key, v) for v in value) if isinstance(value, list) else out.append((key, value))
    return out


def submit(browser: LmsBrowser, page: Page, target: str, /, **values) -> Page:
    """Fill the page's form posting to ``target`` like a person would and post it (following redirects)."""
    data = replace(form_data(page, target), **values)
    return Page(browser.http.post(form_action(page, target), data=data, timeout=30))


def open_page(browser: LmsBrowser, path: str, token: str) -> Page:
    return browser.get(f"{path}?ts={token}")


def program_of(live, context_id: str, flavour: str = "moodle") -> Program:
    with live.app.app_context():
        program = db.session.execute(
            select(Program)
            .join(Course, Course.id == Program.course_id)
            .join(Platform, Platform.id == Course.platform_id)
            .where(Course.context_id == context_id, Platform.issuer.endswith("/sandbox/" + flavour))
        ).scalar_one()
        db.session.expunge(program)
        db.session.remove()
        return program


def participant_of(live, context_id: str, sub: str, flavour: str = "moodle") -> Participant | None:
    with live.app.app_context():
        row = db.session.execute(
            select(Participant)
            .join(Membership, Membership.id == Participant.membership_id)
            .join(Person, Person.id == Membership.person_id)
            .join(Course, Course.id == Membership.course_id)
            .join(Platform, Platform.id == Course.platform_id)
            .where(
                Person.sub == sub,
                Course.context_id == context_id,
                Platform.issuer.endswith("/sandbox/" + flavour),
            )
        ).scalar_one_or_none()
        if row is not None:
            db.session.expunge(row)
        db.session.remove()
        return row


def labelled(soup: BeautifulSoup) -> list[str]:
    """Names of form controls without a <label for> (hidden inputs and buttons excepted)."""
    missing = []
    for field in soup.select("main input, main select, main textarea"):
        if field.get("type") in ("hidden", "submit"):
            continue
        if not field.get("id") or not soup.find("label", attrs={"for": field["id"]}):
            missing.append(field.get("name") or "?")
    return missing


def settings_of(browser: LmsBrowser, token: str, **values) -> Page:
    """Open the settings page and save it with ``values`` changed; returns the page after saving."""
    page = open_page(browser, "/program/settings", token)
    assert page.status == 200, page.text[:1000]
    return submit(browser, page, "/program/settings", **values)
