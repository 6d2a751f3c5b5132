"""Who may do what with goals and meetings, as a matrix: every page and action for every kind of visitor.

Visitors: the pair's mentee and mentor; the coordinator of a MODERATED course (acting on that course's
pair) and of an UNMODERATED one; a member of ANOTHER pair of the course; a pair member of ANOTHER course;
and the same instructor launching from ANOTHER platform (Canvas, same context id: a separate course where
they coordinate). Pairs are made by the matching service (``matched_course``).

Expected answers: ``ok`` (200 for a page, 303 after an action), 403 or 404. A refused request never shows
the pair's private text; coordinators of unmoderated programs get counts, never the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from lti_tool.extensions import db
from lti_tool.mentoring import meetings as ms
from lti_tool.mentoring import spaces
from lti_tool.models import Meeting, MeetingOccurrence

from .test_discussions import Actor, actor, location
from .test_goals_support import Pair, future_day, matched_course, meeting_id_of, new_goal, propose
from .test_space_support import end_pair

SECRET = "Confidential-G-5d1a"  # in course A's goals, agendas and notes; must never reach a refused page
SECRET_B = "Moderated-B-77c2"  # the same in the moderated course B


def session_of(live, who: Actor):
    from lti_tool.views.access import signer

    with live.app.app_context():
        return signer(live.app).loads(who.token)


@dataclass
class Target:
    pair: Pair
    course_id: int
    goal: int
    milestone: int
    meeting: int


def _target(live, pair: Pair, secret: str) -> Target:
    goal = new_goal(pair.mentee, pair, title=f"{secret} goal", m0_title=f"{secret} milestone", m0_due=future_day(5))
    page = pair.mentee.get(f"{pair.base}/goals/{goal}")
    milestone = int(page.soup.select("#milestones li")[0]["id"].split("-")[1])
    meeting = meeting_id_of(propose(pair.mentor, pair, title=f"{secret} meeting", agenda=secret))
    return Target(pair, session_of(live, pair.mentee).course_id, goal, milestone, meeting)


def fresh_meeting(live, target: Target, *, accepted: bool = False, past: bool = False) -> tuple[int, int]:
    """A new proposal by the pair's mentor through the domain service (accepted by the mentee, its only date
    moved into the past, when asked); returns the meeting and occurrence ids."""
    mentor = session_of(live, target.pair.mentor)
    mentee = session_of(live, target.pair.mentee)
    with live.app.app_context():
        session = db.session()
        as_mentor = spaces.access(
            session, target.course_id, mentor.person_id, "pair", target.pair.space_id, is_coordinator=False
        )
        form = MultiDict(
            {"title": "Fresh meeting", "date": future_day(60), "start": "08:00", "end": "09:00", "time_zone": "UTC"}
        )
        meeting = ms.propose(session, as_mentor, ms.parse_proposal(form))
        if accepted:
            as_mentee = spaces.access(
                session, target.course_id, mentee.person_id, "pair", target.pair.space_id, is_coordinator=False
            )
            ms.respond(session, as_mentee, meeting, accept=True)
        ids = (meeting.id, meeting.occurrences[0].id)
        if past:
            when = datetime.now(UTC) - timedelta(hours=3)
            session.execute(
                update(MeetingOccurrence)
                .where(MeetingOccurrence.id == ids[1])
                .values(starts_at=when, ends_at=when + timedelta(hours=1))
            )
        session.commit()
        db.session.remove()
    return ids


@dataclass
class World:
    actors: dict[str, Actor]
    targets: dict[str, Target]  # role → the pair they act on


@pytest.fixture(scope="module")
def world(live) -> World:
    unmoderated = matched_course(live, pairs=2)
    moderated = matched_course(live, pairs=1, moderated=True)
    a, other = unmoderated.pairs
    b = moderated.pairs[0]
    target_a, target_b = _target(live, a, SECRET), _target(live, b, SECRET_B)
    instructor_sub = session_of(live, unmoderated.coordinator)
    from lti_tool.models import Person

    with live.app.app_context():
        sub = db.session.get(Person, instructor_sub.person_id).sub
        db.session.remove()
    other_platform = actor(live, sub, flavour="canvas", context=unmoderated.context_id)
    actors = {
        "mentee": a.mentee,
        "mentor": a.mentor,
        "coord_mod": moderated.coordinator,
        "coord_unmod": unmoderated.coordinator,
        "other_pair": other.mentee,
        "other_course": b.mentee,
        "other_platform": other_platform,
    }
    targets = {role: (target_b if role == "coord_mod" else target_a) for role in actors}
    return World(actors, targets)


OK = "ok"
ROLES = ("mentee", "mentor", "coord_mod", "coord_unmod", "other_pair", "other_course", "other_platform")
NO = (404, 404, 404)  # other pair, other course, other platform

# action: (method, path template, form data or None); {fresh}/{occurrence} come from ``fresh_meeting``.
ACTIONS = {
    "goals_index": ("GET", "{base}/goals/", None),
    "goal_show": ("GET", "{base}/goals/{goal}", None),
    "goal_form": ("GET", "{base}/goals/new", None),
    "goal_create": ("POST", "{base}/goals/new", {"title": "Matrix goal", "status": "not_started"}),
    "goal_edit": ("POST", "{base}/goals/{goal}/edit", "edit"),
    "goal_status": ("POST", "{base}/goals/{goal}/status", {"status": "on_track"}),
    "milestone": ("POST", "{base}/goals/{goal}/milestones/{milestone}", {"done": "0"}),
    "comment": ("POST", "{base}/goals/{goal}/comments", {"body": "Matrix comment"}),
    "meetings_index": ("GET", "{base}/meetings/", None),
    "meeting_show": ("GET", "{base}/meetings/{meeting}", None),
    "meeting_form": ("GET", "{base}/meetings/new", None),
    "propose": ("POST", "{base}/meetings/new", "proposal"),
    "respond": ("POST", "{base}/meetings/{fresh}/respond", {"answer": "accept"}),
    "cancel": ("POST", "{base}/meetings/{fresh}/cancel", {}),
    "record": ("POST", "{base}/meetings/{fresh}/occurrences/{occurrence}/record", "record"),
    "move": ("POST", "{base}/meetings/{fresh}/occurrences/{occurrence}/move", "move"),
    "calendar": ("GET", "/calendar/", None),
    "ics": ("GET", "/calendar/meetings.ics", None),
}
MATRIX = {
    "goals_index": (OK, OK, OK, OK, *NO),
    "goal_show": (OK, OK, OK, 404, *NO),
    "goal_form": (OK, 403, 403, 404, *NO),
    "goal_create": (OK, 403, 403, 404, *NO),
    "goal_edit": (OK, 403, 403, 404, *NO),
    "goal_status": (OK, 403, 403, 404, *NO),
    "milestone": (OK, 403, 403, 404, *NO),
    "comment": (OK, OK, 403, 404, *NO),
    "meetings_index": (OK, OK, OK, OK, *NO),
    "meeting_show": (OK, OK, OK, 404, *NO),
    "meeting_form": (OK, OK, 403, 404, *NO),
    "propose": (OK, OK, 403, 404, *NO),
    "respond": (OK, 403, 403, 404, *NO),  # the mentor proposed it: only the mentee answers
    "cancel": (OK, OK, 403, 404, *NO),
    "record": (OK, OK, 403, 404, *NO),
    "move": (OK, OK, OK, 404, *NO),  # a moderating coordinator may move a date (not cancel or propose)
    "calendar": (OK, OK, OK, OK, OK, OK, OK),  # everyone's own calendar
    "ics": (OK, OK, OK, OK, OK, OK, OK),
}
CASES = [
    pytest.param(action, role, expected, id=f"{action}-{role}")
    for action, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_permission_matrix(live, world, action, role, expected):
    """Each visitor gets exactly what the design allows for each goal and meeting page and action."""
    who, target = world.actors[role], world.targets[role]
    method, template, data = ACTIONS[action]
    fresh = occurrence = 0
    if "{fresh}" in template:
        fresh, occurrence = fresh_meeting(live, target, accepted=action in ("record", "move"), past=action == "record")
    if data == "proposal":
        data = {
            "title": "Matrix meeting",
            "date": future_day(),
            "start": "10:00",
            "end": "11:00",
            "time_zone": "UTC",
            "frequency": "once",
            "video": "none",
        }
    elif data == "edit":  # the same goal and milestone, a new status
        data = {
            "title": f"{SECRET} goal",
            "status": "on_track",
            "rows": "1",
            "m0_id": str(target.milestone),
            "m0_title": f"{SECRET} milestone",
        }
    elif data == "record":
        data = {f"outcome-{occurrence}": "held", f"notes-{occurrence}": "Matrix notes"}
    elif data == "move":
        data = {f"date-{occurrence}": future_day(61), f"start-{occurrence}": "08:00"}
    path = template.format(
        base=target.pair.base,
        goal=target.goal,
        milestone=target.milestone,
        meeting=target.meeting,
        fresh=fresh,
        occurrence=occurrence,
    )
    page = who.get(path) if method == "GET" else who.post(path, data)
    if expected == OK:
        assert page.status == (200 if method == "GET" else 303), (page.status, page.text[:800])
    else:
        assert page.status == expected, (page.status, page.text[:800])
    if expected != OK or role in ("coord_unmod", "other_course", "other_platform", "other_pair"):
        assert SECRET not in page.text, f"private text leaked to {role} on {action}"
    if role == "coord_unmod" and action in ("goals_index", "meetings_index"):
        assert page.soup.find(id="metadata-only") is not None
        assert page.soup.select_one("[data-count]") is not None


def test_coordinator_of_a_moderated_course_reads_the_text(live, world):
    """In a moderated program the coordinator reads the goals and the meeting agenda (read-only)."""
    who, target = world.actors["coord_mod"], world.targets["coord_mod"]
    page = who.get(f"{target.pair.base}/goals/{target.goal}")
    assert SECRET_B in page.text and page.soup.select("form[action*='/status']") == []
    page = who.get(f"{target.pair.base}/meetings/{target.meeting}")
    assert SECRET_B in page.soup.find(id="agenda").get_text() and page.soup.find(id="answer") is None


def test_guessed_ids_of_another_space_are_not_found(live, world):
    """A member of another pair walking the ids around this pair's goal and meeting gets 404 for each, in
    their own space's URLs too (the goal belongs to another space)."""
    target = world.targets["mentee"]
    other = world.actors["other_pair"]
    with live.app.app_context():
        from lti_tool.mentoring.spaces import spaces_of

        me = session_of(live, other)
        own = spaces_of(db.session(), me.course_id, me.person_id)[0].id
        db.session.remove()
    for offset in (-1, 0, 1):
        for path in (
            f"/spaces/pair/{target.pair.space_id + offset}/goals/{target.goal}",
            f"/spaces/pair/{own}/goals/{target.goal + offset}",
            f"/spaces/pair/{own}/meetings/{target.meeting + offset}",
            f"/spaces/group/{target.pair.space_id}/goals/",
        ):
            page = other.get(path)
            if page.status != 200:
                assert page.status == 404, (path, page.status)
            assert SECRET not in page.text


def test_an_ended_pairing_stays_readable_but_takes_nothing_new(live):
    """After the pairing ends, both members still read goals and meetings, and every write is refused."""
    course = matched_course(live)
    pair = course.pairs[0]
    goal = new_goal(pair.mentee, pair, title="Before the end")
    meeting = meeting_id_of(propose(pair.mentor, pair))
    end_pair(live, pair.space_id)
    assert pair.mentee.get(f"{pair.base}/goals/{goal}").status == 200
    assert pair.mentor.get(f"{pair.base}/meetings/{meeting}").status == 200
    assert pair.mentee.get(f"{pair.base}/goals/new").status == 403
    assert pair.mentee.post(f"{pair.base}/goals/{goal}/status", {"status": "done"}).status == 403
    assert pair.mentor.post(f"{pair.base}/goals/{goal}/comments", {"body": "late"}).status == 403
    assert pair.mentee.post(f"{pair.base}/meetings/{meeting}/respond", {"answer": "accept"}).status == 403
    assert pair.mentor.post(f"{pair.base}/meetings/{meeting}/cancel", {}).status == 403
    with live.app.app_context():
        assert db.session.get(Meeting, meeting).status == "proposed"
        db.session.remove()
    location(pair.mentee.post("/calendar/feed/reset", {}))  # their own calendar still works
