"""Helpers shared by the evaluation tests (no tests of its own): a course with real pairs, checkpoints, answers.

Pairs are made through the real flow over HTTP: mentors offer on their profile, the coordinator approves
them, runs matching and approves the run. The pairs the run made are then read from
``lti_tool.mentoring.spaces`` (the module every other part uses to know who is paired with whom).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lti_tool.extensions import db
from lti_tool.mentoring import spaces
from lti_tool.models import Course, Person, Platform

from .support.browser import LmsBrowser, Page
from .test_program_support import (
    DemoCourse,
    enter,
    form_action,
    form_data,
    fresh_course,
    open_page,
    participant_of,
    replace,
    submit,
)


@dataclass
class Actor:
    sub: str
    browser: LmsBrowser
    token: str
    person_id: int = 0
    name: str = ""

    def get(self, path: str, **params: str) -> Page:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.browser.get(f"{path}?ts={self.token}" + (f"&{query}" if query else ""))

    def post(self, path: str, data: list[tuple[str, str]] | dict[str, str] | None = None) -> Page:
        """A POST with the session token and a CSRF token taken from the evaluations page."""
        token = ""
        for source in ("/evaluations/", "/program/profile", "/discussions/"):
            csrf = self.get(source).soup.find("input", attrs={"name": "csrf_token"})
            if csrf is not None:
                token = csrf["value"]
                break
        items = list(data.items()) if isinstance(data, dict) else list(data or [])
        items += [("ts", self.token), ("csrf_token", token)]
        return Page(self.browser.http.post(self.browser.tool_url + path, data=items, timeout=30, allow_redirects=True))

    def raw_post(self, path: str, data: list[tuple[str, str]]) -> Page:
        return Page(self.browser.http.post(self.browser.tool_url + path, data=data, timeout=30, allow_redirects=False))


@dataclass
class PairedCourse:
    course: DemoCourse
    coordinator: Actor
    mentors: list[Actor]
    mentees: list[Actor]
    course_id: int
    pairs: dict[int, list[int]] = field(default_factory=dict)  # mentor person id → mentee person ids

    def actor(self, person_id: int) -> Actor:
        return next(a for a in self.mentors + self.mentees if a.person_id == person_id)

    def mentees_of(self, mentor: Actor) -> list[Actor]:
        return [self.actor(pid) for pid in self.pairs.get(mentor.person_id, [])]

    def mentor_of(self, mentee: Actor) -> Actor:
        return next(self.actor(m) for m, ms in self.pairs.items() if mentee.person_id in ms)


def _person(live, sub: str, context_id: str) -> tuple[int, str, int]:
    with live.app.app_context():
        person, course = db.session.execute(
            db.select(Person, Course)
            .join(Platform, Platform.id == Person.platform_id)
            .join(Course, Course.platform_id == Platform.id)
            .where(Person.sub == sub, Course.context_id == context_id, Platform.issuer.endswith("/sandbox/moodle"))
        ).one()
        found = (person.id, person.display_name, course.id)
        db.session.remove()
    return found


def actor(live, course: DemoCourse, sub: str) -> Actor:
    browser, token = enter(live, course, sub)
    person_id, name, _course_id = _person(live, sub, course.context_id)
    return Actor(sub, browser, token, person_id, name)


def paired_course(live, browser, *, mentors: int = 1, mentees: int = 3, capacity: int = 3) -> PairedCourse:
    """A fresh course whose mentors and mentees were paired by the real matching flow."""
    course = fresh_course(live, browser, n_students=mentors + mentees)
    mentor_actors, mentee_actors = [], []
    for index, sub in enumerate(course.students):
        person = actor(live, course, sub)
        page = open_page(person.browser, "/program/profile", person.token)
        if index < mentors:
            saved = submit(
                person.browser, page, "/program/profile", offer_mentor="1", capacity=str(capacity), time_zone="UTC"
            )
            mentor_actors.append(person)
        else:
            saved = submit(person.browser, page, "/program/profile", time_zone="UTC")
            mentee_actors.append(person)
        assert saved.status == 200, saved.text[:1500]
    coordinator = actor(live, course, course.instructor)
    for mentor in mentor_actors:
        row = participant_of(live, course.context_id, mentor.sub)
        page = open_page(coordinator.browser, "/program/mentors", coordinator.token)
        target = f"/program/mentors/{row.id}/decision"
        data = form_data(page, target) + [("decision", "approve")]
        decided = Page(coordinator.browser.http.post(form_action(page, target), data=data, timeout=30))
        assert decided.status == 200, decided.text[:1000]
    review = open_page(coordinator.browser, "/matching/", coordinator.token)
    ran = Page(
        coordinator.browser.http.post(form_action(review, "/matching/run"), data=form_data(review, "/matching/run"))
    )
    assert ran.status == 200 and "Matching finished." in ran.text, ran.text[:1500]
    run_id = ran.soup.find(id="run")["data-run"]
    target = f"/matching/runs/{run_id}/approve"
    approved = Page(coordinator.browser.http.post(form_action(ran, target), data=form_data(ran, target)))
    assert approved.status == 200 and "Pairs approved." in approved.text
    course_id = _person(live, course.instructor, course.context_id)[2]
    paired = PairedCourse(course, coordinator, mentor_actors, mentee_actors, course_id)
    with live.app.app_context():
        for space in spaces.course_spaces(db.session(), course_id):
            for mentor in space.mentors():
                paired.pairs.setdefault(mentor.person_id, []).extend(m.person_id for m in space.mentees())
        db.session.remove()
    return paired


def local_input(dt: datetime) -> str:
    """A ``datetime-local`` value for a coordinator whose zone is UTC (demo instructors have no zone)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def copy_template(coordinator: Actor, key: str) -> int:
    """Copy a built-in template; returns the new instrument's id."""
    page = coordinator.post(f"/evaluations/templates/{key}/copy")
    assert page.status == 200, page.text[:1500]
    assert "/evaluations/instruments/" in page.url and "Copied." in page.text
    return int(page.url.split("/evaluations/instruments/")[1].split("/")[0])


def schedule(
    coordinator: Actor,
    instrument_id: int,
    audience: str,
    title: str = "Mid-course",
    *,
    opens: timedelta = timedelta(days=-1),
    due: timedelta = timedelta(days=7),
    reminder_hours: int = 48,
) -> int:
    """Schedule a checkpoint through the form; returns its id."""
    now = datetime.now(UTC)
    page = coordinator.get("/evaluations/checkpoints/new")
    assert page.status == 200, page.text[:1500]
    data = replace(
        form_data(page, "/evaluations/checkpoints/new"),
        title=title,
        instrument_id=str(instrument_id),
        audience=audience,
        opens_at=local_input(now + opens),
        due_at=local_input(now + due),
        reminder_hours_before=str(reminder_hours),
    )
    saved = Page(coordinator.browser.http.post(form_action(page, "/evaluations/checkpoints/new"), data=data))
    assert saved.status == 200, saved.text[:2000]
    return int(saved.url.split("/evaluations/checkpoints/")[1].split("?")[0].split("/")[0])


def answer_path(checkpoint_id: int, about: int | None = None) -> str:
    return f"/evaluations/checkpoints/{checkpoint_id}/answer" + (f"/{about}" if about else "")


def answer(
    person: Actor, checkpoint_id: int, about: int | None, answers: dict[str, str], *, action: str = "submit"
) -> Page:
    """Fill the answer form like a person would (the given answers, nothing else) and press a button."""
    path = answer_path(checkpoint_id, about)
    page = person.get(path)
    assert page.status == 200, page.text[:1500]
    data = [(k, v) for k, v in form_data(page, path) if not k.startswith("answer-")]
    data += [(f"answer-{k}", v) for k, v in answers.items()] + [("action", action)]
    return Page(person.browser.http.post(form_action(page, path), data=data, timeout=30))


# Answers to the mentee-of-mentor template (all required items; q6 is the choice with points).
MENTEE_ANSWERS = {"q1": "5", "q2": "4", "q3": "3", "q4": "5", "q5": "4", "q6": "0", "q7": "Good talks", "q8": ""}


def close(coordinator: Actor, checkpoint_id: int) -> None:
    """Move the checkpoint's due date to one second from now through the edit form, and wait until it passes."""
    import time

    path = f"/evaluations/checkpoints/{checkpoint_id}/edit"
    page = coordinator.get(path)
    now = datetime.now(UTC)
    data = replace(
        form_data(page, path),
        opens_at=local_input(now - timedelta(days=2)),
        due_at=(now + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S"),
    )
    saved = Page(coordinator.browser.http.post(form_action(page, path), data=data, timeout=30))
    assert saved.status == 200, saved.text[:1500]
    time.sleep(1.2)
