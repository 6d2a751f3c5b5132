"""Helpers for the dashboard tests (no tests of its own): a course whose pairs come from the real matching flow.

Students launch and fill in their profiles (mentors offer to mentor), the coordinator approves the mentors,
runs matching and approves the pairs — all over HTTP. Posts are written by the pair's members through the
pair-thread service (``lti_tool.mentoring.discussions.pairs``); ``backdate`` then moves rows into the past,
which is how a test lets two weeks of silence pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import Course, Membership, Mentorship, Participant, Platform, Post, Thread

from .support.browser import LmsBrowser, Page
from .test_program_support import (
    DemoCourse,
    enter,
    form_action,
    form_data,
    fresh_course,
    open_page,
    participant_of,
    submit,
)


@dataclass
class Pair:
    id: int
    mentee_person: int
    mentor_person: int
    mentee_sub: str
    mentor_sub: str


@dataclass
class Scenario:
    course: DemoCourse
    course_id: int
    coordinator: LmsBrowser
    token: str
    pairs: list[Pair]
    unmatched_subs: list[str]


def post_form(browser: LmsBrowser, page: Page, target: str, /, **extra: str) -> Page:
    data = form_data(page, target) + list(extra.items())
    return Page(browser.http.post(form_action(page, target), data=data, timeout=30))


def paired_course(live, browser: LmsBrowser, *, mentors: int = 1, mentees: int = 3, capacity: int = 2) -> Scenario:
    """``mentors`` approved mentors with ``capacity`` places and ``mentees`` mentees, matched and approved."""
    course = fresh_course(live, browser, n_students=mentors + mentees)
    mentor_subs, mentee_subs = course.students[:mentors], course.students[mentors:]
    for sub in mentor_subs:
        student, token = enter(live, course, sub)
        saved = submit(
            student,
            open_page(student, "/program/profile", token),
            "/program/profile",
            offer_mentor="1",
            capacity=str(capacity),
            time_zone="UTC",
        )
        assert saved.status == 200, saved.text[:1500]
    for sub in mentee_subs:
        student, token = enter(live, course, sub)
        saved = submit(student, open_page(student, "/program/profile", token), "/program/profile", time_zone="UTC")
        assert saved.status == 200, saved.text[:1500]
    coordinator, token = enter(live, course, course.instructor)
    for sub in mentor_subs:
        row = participant_of(live, course.context_id, sub)
        assert row is not None
        page = open_page(coordinator, "/program/mentors", token)
        decided = post_form(coordinator, page, f"/program/mentors/{row.id}/decision", decision="approve")
        assert decided.status == 200 and "Decision saved." in decided.text
    ran = post_form(coordinator, open_page(coordinator, "/matching/", token), "/matching/run")
    assert ran.status == 200, ran.text[:1500]
    approved = post_form(coordinator, ran, f"/matching/runs/{ran.soup.find(id='run')['data-run']}/approve")
    assert approved.status == 200 and "Pairs approved." in approved.text

    with live.app.app_context():
        course_id = db.session.execute(
            select(Course.id)
            .join(Platform, Platform.id == Course.platform_id)
            .where(Course.context_id == course.context_id, Platform.issuer.endswith("/sandbox/moodle"))
        ).scalar_one()
        sub_of = {}
        for sub in course.students:
            row = participant_of(live, course.context_id, sub)
            if row is not None:
                sub_of[row.id] = sub
        person_of = dict(
            db.session.execute(
                select(Participant.id, Membership.person_id)
                .join(Membership, Membership.id == Participant.membership_id)
                .where(Membership.course_id == course_id)
            ).all()
        )
        ships = db.session.execute(
            select(Mentorship).where(Mentorship.course_id == course_id).order_by(Mentorship.id)
        ).scalars()
        pairs = [
            Pair(m.id, person_of[m.mentee_id], person_of[m.mentor_id], sub_of[m.mentee_id], sub_of[m.mentor_id])
            for m in ships
        ]
        db.session.remove()
    matched = {p.mentee_sub for p in pairs}
    return Scenario(course, course_id, coordinator, token, pairs, [s for s in mentee_subs if s not in matched])


def write_posts(live, course_id: int, pair: Pair, posts: list[tuple[str, datetime]]) -> int:
    """Posts in one new thread of the pair, by ``"mentee"`` or ``"mentor"``, at the given UTC times.

    Each post is written through the pair-thread service as that member, then dated to its time.
    Returns the thread's id.
    """
    from lti_tool.mentoring import spaces
    from lti_tool.mentoring.discussions import pairs as pair_threads

    with live.app.app_context():
        session = db.session()
        thread_id: int | None = None
        for index, (who, at) in enumerate(posts):
            person = pair.mentee_person if who == "mentee" else pair.mentor_person
            access = spaces.access(session, course_id, person, spaces.PAIR, pair.id, is_coordinator=False)
            if thread_id is None:
                thread = pair_threads.start_thread(session, access, title="Our plan", body=f"Post {index} by {who}")
                thread_id = thread.id
                post_id = session.execute(select(Post.id).where(Post.thread_id == thread_id)).scalar_one()
            else:
                thread = pair_threads.get_thread(session, access, thread_id)
                post_id = pair_threads.reply(session, access, thread, body=f"Post {index} by {who}").id
            session.flush()
            backdate(session, Post, post_id, created_at=at)
        last = max(at for _who, at in posts)
        session.execute(
            update(Thread)
            .where(Thread.id == thread_id)
            .values(last_post_at=last, last_member_post_at=last, created_at=posts[0][1])
        )
        session.commit()
        db.session.remove()
    assert thread_id is not None
    return thread_id


def backdate(session, model, row_id: int, **values: datetime) -> None:
    session.execute(update(model).where(model.id == row_id).values(**values))


def set_approved_at(live, pair: Pair, at: datetime) -> None:
    with live.app.app_context():
        backdate(db.session(), Mentorship, pair.id, approved_at=at)
        db.session.commit()
        db.session.remove()


def sandbox_name(live, sub: str) -> str:
    """The name the demo LMS sends for ``sub``."""
    from lti_tool.sandbox.models import SandboxUser

    with live.app.app_context():
        name = db.session.execute(select(SandboxUser.name).where(SandboxUser.sub == sub)).scalar_one()
        db.session.remove()
    return str(name)
