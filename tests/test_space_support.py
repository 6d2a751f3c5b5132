"""Helpers shared by the mentoring space tests (no tests of their own): a fresh demo LMS course with
launched people, approved pairings between them, and the moderation switch set by the coordinator.

Pairings are made as the matching flow's approval makes them: the mentor's participant row becomes an
approved mentor and a ``Mentorship`` row links them (``approve_run`` does the same from a run's pairs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import Membership, Mentorship, Participant, Post, Thread, utcnow

from .support.demo import people
from .test_discussions import Actor, accept_rules, actor, location, new_course, path_of
from .test_program_support import participant_of


@dataclass
class Pair:
    space_id: int
    mentor: Actor
    mentee: Actor
    mentor_sub: str
    mentee_sub: str

    @property
    def base(self) -> str:
        return f"/spaces/pair/{self.space_id}"


@dataclass
class PairCourse:
    context_id: str
    coordinator: Actor
    pairs: list[Pair]
    extra: dict[str, Actor] = field(default_factory=dict)


def make_pair(live, context_id: str, mentor_sub: str, mentee_sub: str) -> int:
    """An approved pairing of two people who have launched into the course (their participant rows exist)."""
    mentor = participant_of(live, context_id, mentor_sub)
    mentee = participant_of(live, context_id, mentee_sub)
    assert mentor is not None and mentee is not None
    with live.app.app_context():
        db.session.execute(
            update(Participant).where(Participant.id == mentor.id).values(role="mentor", mentor_status="approved")
        )
        course_id = db.session.execute(
            select(Membership.course_id)
            .join(Participant, Participant.membership_id == Membership.id)
            .where(Participant.id == mentee.id)
        ).scalar_one()
        ship = Mentorship(course_id=course_id, mentee_id=mentee.id, mentor_id=mentor.id, approved_at=utcnow())
        db.session.add(ship)
        db.session.commit()
        space_id = ship.id
        db.session.remove()
    return space_id


def end_pair(live, space_id: int) -> None:
    with live.app.app_context():
        db.session.execute(update(Mentorship).where(Mentorship.id == space_id).values(ended_at=utcnow()))
        db.session.commit()
        db.session.remove()


def set_moderated(coordinator: Actor, moderated: bool) -> None:
    edit = coordinator.get("/discussions/rules/edit")
    assert edit.status == 200, edit.text[:800]
    done = coordinator.submit(edit, "main form", {"moderated": "1" if moderated else "0"})
    location(done)


def pair_course(live, *, pairs: int = 1, moderated: bool = False, extra_students: int = 0) -> PairCourse:
    """A new course with ``pairs`` pairings (students 2k = mentor, 2k+1 = mentee), the moderation switch set,
    and every pair member having accepted the ground rules. ``extra`` holds launched students in no pair."""
    context = new_course(live, 2 * pairs + extra_students)
    instructor = people(live.app, "instructor", context)[0]
    students = people(live.app, "student", context)
    coordinator = actor(live, instructor, context=context)
    if moderated:
        set_moderated(coordinator, True)
    made = []
    for k in range(pairs):
        mentor_sub, mentee_sub = students[2 * k], students[2 * k + 1]
        mentor, mentee = actor(live, mentor_sub, context=context), actor(live, mentee_sub, context=context)
        space_id = make_pair(live, context, mentor_sub, mentee_sub)
        for who in (mentor, mentee):
            accept_rules(who)
        made.append(Pair(space_id, mentor, mentee, mentor_sub, mentee_sub))
    extra = {}
    for i, sub in enumerate(students[2 * pairs :]):
        extra[f"student{i}"] = actor(live, sub, context=context)
    return PairCourse(context, coordinator, made, extra)


def start_pair_thread(who: Actor, pair: Pair, title: str, body: str) -> int:
    form = who.get(f"{pair.base}/threads/new")
    assert form.status == 200, form.text[:1000]
    done = who.submit(form, "form.thread-form", {"title": title, "body": body})
    path, _ = path_of(location(done))
    return int(path.rstrip("/").rsplit("/", 1)[1])


def pair_reply(who: Actor, pair: Pair, thread_id: int, body: str):
    return who.post(f"{pair.base}/threads/{thread_id}/reply", {"body": body})


def last_post_id(live, thread_id: int) -> int:
    with live.app.app_context():
        found = db.session.execute(
            select(Post.id).where(Post.thread_id == thread_id).order_by(Post.id.desc()).limit(1)
        ).scalar_one()
        db.session.remove()
        return found


def thread_of(live, thread_id: int) -> Thread:
    with live.app.app_context():
        found = db.session.get(Thread, thread_id)
        assert found is not None
        db.session.expunge(found)
        db.session.remove()
        return found


def make_group(live, context_id: str, members: dict[str, str], name: str = "Group 1") -> int:
    """An approved mentoring group (as group matching's approval makes it): ``members`` maps each launched
    person's sub to their role in the group (``mentor``, ``mentee`` or ``peer``)."""
    from lti_tool.models.mentorships import GroupMember, MentoringGroup

    rows = {sub: participant_of(live, context_id, sub) for sub in members}
    with live.app.app_context():
        first = rows[next(iter(members))]
        assert first is not None
        course_id = db.session.execute(
            select(Membership.course_id)
            .join(Participant, Participant.membership_id == Membership.id)
            .where(Participant.id == first.id)
        ).scalar_one()
        group = MentoringGroup(course_id=course_id, name=name, created_at=utcnow())
        db.session.add(group)
        db.session.flush()
        for sub, role in members.items():
            row = rows[sub]
            assert row is not None
            db.session.add(GroupMember(group_id=group.id, participant_id=row.id, role=role, joined_at=utcnow()))
        db.session.commit()
        group_id = group.id
        db.session.remove()
    return group_id
