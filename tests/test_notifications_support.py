"""Helpers shared by the notification tests (no tests of its own): pairs, posts, meetings, the mailbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import Membership, Mentorship, Participant, Person, Post, Thread
from lti_tool.models.notifications import NotificationOutbox

from .test_program_support import DemoCourse, enter, fresh_course, open_page, participant_of


@dataclass
class Pair:
    course: DemoCourse
    course_id: int
    mentorship_id: int
    mentor_sub: str
    mentee_sub: str
    mentor_person: int
    mentee_person: int
    mentor_email: str
    mentee_email: str


def make_pair(live, browser, *, started: datetime, zone: str = "UTC", n_students: int = 2) -> Pair:
    """A fresh course whose first two students are an approved pair that started at ``started``."""
    course = fresh_course(live, browser, n_students=n_students)
    for sub in course.students[:2]:
        person_browser, token = enter(live, course, sub)
        assert open_page(person_browser, "/space/", token).status == 200
    mentor = participant_of(live, course.context_id, course.students[0])
    mentee = participant_of(live, course.context_id, course.students[1])
    with live.app.app_context():
        db.session.execute(
            update(Participant)
            .where(Participant.id == mentor.id)
            .values(role="mentor", mentor_status="approved", time_zone=zone)
        )
        db.session.execute(update(Participant).where(Participant.id == mentee.id).values(time_zone=zone))
        membership = db.session.get(Membership, mentor.membership_id)
        ship = Mentorship(course_id=membership.course_id, mentee_id=mentee.id, mentor_id=mentor.id, approved_at=started)
        db.session.add(ship)
        db.session.commit()
        mentee_membership = db.session.get(Membership, mentee.membership_id)
        pair = Pair(
            course=course,
            course_id=membership.course_id,
            mentorship_id=ship.id,
            mentor_sub=course.students[0],
            mentee_sub=course.students[1],
            mentor_person=membership.person_id,
            mentee_person=mentee_membership.person_id,
            mentor_email=course.emails[course.students[0]],
            mentee_email=course.emails[course.students[1]],
        )
        db.session.remove()
    return pair


def pair_post(live, pair: Pair, author_person: int, body: str, at: datetime, thread_id: int | None = None) -> int:
    """A post in the pair's thread (a new thread unless ``thread_id``) written at ``at``; returns the thread id."""
    with live.app.app_context():
        if thread_id is None:
            thread = Thread(
                course_id=pair.course_id,
                space_kind="pair",
                space_id=pair.mentorship_id,
                title="Our plan",
                author_id=author_person,
                created_at=at,
            )
            db.session.add(thread)
            db.session.flush()
        else:
            thread = db.session.get(Thread, thread_id)
        post = Post(thread_id=thread.id, author_id=author_person, body=body, body_html=f"<p>{body}</p>", created_at=at)
        db.session.add(post)
        db.session.flush()
        thread.post_count += 1
        thread.last_post_id, thread.last_post_at, thread.last_author_id = post.id, at, author_person
        # A member's post: turn taking and silence follow it (as ``forums._add_post`` writes it).
        thread.last_member_post_id, thread.last_member_post_at, thread.last_member_author_id = (
            post.id,
            at,
            author_person,
        )
        db.session.commit()
        tid = thread.id
        db.session.remove()
    return tid


def tick(live, now: datetime, **kw):
    """Run one notifications tick in the live app, as the job, the CLI and the timer do."""
    from lti_tool.notifications.tick import run_tick

    with live.app.app_context():
        try:
            return run_tick(db.session(), live.app.config, now=now, **kw)
        finally:
            db.session.remove()


def outbox_rows(live, course_id: int, kind: str | None = None) -> list[NotificationOutbox]:
    with live.app.app_context():
        query = select(NotificationOutbox).where(NotificationOutbox.course_id == course_id)
        if kind:
            query = query.where(NotificationOutbox.kind == kind)
        rows = list(db.session.execute(query.order_by(NotificationOutbox.id)).scalars())
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


def mailbox(live, to: str) -> list[dict]:
    """The demo LMS mailbox page, read over HTTP: the mails to ``to`` (newest first)."""
    page = requests.get(live.lms_url + "/sandbox/mailbox", timeout=30)
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    mails = []
    for article in soup.select("ul.mails article"):
        meta = article.find("p").get_text(" ", strip=True)
        if to not in meta:
            continue
        frame = article.find("iframe", class_="mail-html")
        mails.append(
            {
                "subject": article.find("h2").get_text(strip=True),
                "text": article.find("pre", class_="mail-body").get_text(),
                "html_url": (live.lms_url + frame["src"]) if frame else None,
            }
        )
    return mails


UNSUBSCRIBE = re.compile(r"(https?://\S+/notifications/unsubscribe/[A-Za-z0-9_.\-]+)")


def unsubscribe_links(text: str) -> list[str]:
    return UNSUBSCRIBE.findall(text)


def set_person(live, person_id: int, **values) -> None:
    with live.app.app_context():
        db.session.execute(update(Person).where(Person.id == person_id).values(**values))
        db.session.commit()
        db.session.remove()


def day(base: datetime, days: float, hour: int = 12) -> datetime:
    """``base``'s date plus ``days``, at ``hour``:00 UTC."""
    return (base + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
