"""Who may do what with evaluations, as a matrix: every evaluation page and action for every kind of visitor.

Visitors: the course's coordinator; the mentor and the mentee of pair A (the mentee evaluated the
mentor); a member of pair B of the same course (its mentor); a participant of ANOTHER course; and the same
instructor launching from ANOTHER platform (Canvas, same context id: a separate course they coordinate).

Expected answers: ``ok`` (200 for a page or after an action's redirect), 403 (coordinator-only page for a
participant) or 404 (an id of another course or pair, or something the visitor may not see). A refused
answer never carries the course's evaluation data.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from .test_evaluations_support import (
    MENTEE_ANSWERS,
    Actor,
    actor,
    answer,
    copy_template,
    paired_course,
    schedule,
)
from .test_program_support import enter, fresh_course

SECRET = "Confidential-eval-9c2d"  # in pair A's response; must never appear on a refused page
INSTRUMENT_MARK = "Course A instrument"


@dataclass
class World:
    actors: dict[str, Actor]
    ids: dict[str, int]


@pytest.fixture(scope="module")
def world(live) -> World:
    from .support.browser import LmsBrowser

    browser = LmsBrowser(live.tool_url, live.lms_url)
    course = paired_course(live, browser, mentors=2, mentees=2, capacity=1)
    mentor_a = course.mentors[0]
    [mentee_a] = course.mentees_of(mentor_a)
    mentor_b = course.mentors[1]
    instrument = copy_template(course.coordinator, "mentee_of_mentor")
    edit = course.coordinator.get(f"/evaluations/instruments/{instrument}/edit")
    assert edit.status == 200
    checkpoint = schedule(course.coordinator, instrument, "mentees_about_mentor")
    answers = dict(MENTEE_ANSWERS, q7=SECRET)
    assert answer(mentee_a, checkpoint, mentor_a.person_id, answers).status == 200
    from sqlalchemy import select

    from lti_tool.extensions import db
    from lti_tool.models import EvaluationResponse

    with live.app.app_context():
        response = db.session.execute(
            select(EvaluationResponse.id).where(EvaluationResponse.checkpoint_id == checkpoint)
        ).scalar_one()
        db.session.remove()
    # Rename the instrument so its title is a marker too.
    from .test_program_support import form_action, form_data, replace

    path = f"/evaluations/instruments/{instrument}/edit"
    page = course.coordinator.get(path)
    data = replace(form_data(page, path), title=INSTRUMENT_MARK)
    course.coordinator.browser.http.post(form_action(page, path), data=data, timeout=30)

    other = fresh_course(live, browser, n_students=1)
    other_member = actor(live, other, other.students[0])
    other_browser, other_token = enter(live, course.course, course.course.instructor, flavour="canvas")
    other_platform = Actor(course.course.instructor, other_browser, other_token)
    actors = {
        "coordinator": course.coordinator,
        "pair_mentor": mentor_a,
        "pair_mentee": mentee_a,
        "other_pair": mentor_b,
        "other_course": other_member,
        "other_platform": other_platform,
    }
    ids = {
        "instrument": instrument,
        "checkpoint": checkpoint,
        "response": response,
        "mentor": mentor_a.person_id,
        "mentee": mentee_a.person_id,
    }
    return World(actors, ids)


OK = "ok"
# action: (method, path template, form data)
ACTIONS = {
    "index": ("GET", "/evaluations/", None),
    "new_instrument_page": ("GET", "/evaluations/instruments/new", None),
    "instrument_page": ("GET", "/evaluations/instruments/{instrument}", None),
    "edit_instrument_page": ("GET", "/evaluations/instruments/{instrument}/edit", None),
    "edit_instrument": ("POST", "/evaluations/instruments/{instrument}/edit", {"title": "Hijacked", "item_count": "0"}),
    "copy_instrument": ("POST", "/evaluations/instruments/{instrument}/copy", {}),
    "copy_template": ("POST", "/evaluations/templates/survey/copy", {}),
    "new_checkpoint_page": ("GET", "/evaluations/checkpoints/new", None),
    "checkpoint_results": ("GET", "/evaluations/checkpoints/{checkpoint}", None),
    "edit_checkpoint_page": ("GET", "/evaluations/checkpoints/{checkpoint}/edit", None),
    "edit_checkpoint": (
        "POST",
        "/evaluations/checkpoints/{checkpoint}/edit",
        {"title": "Moved", "opens_at": "2026-01-01T09:00", "due_at": "2031-01-01T09:00", "reminder_hours_before": "4"},
    ),
    "release": ("POST", "/evaluations/checkpoints/{checkpoint}/release", {"released": "0"}),
    "answer_page": ("GET", "/evaluations/checkpoints/{checkpoint}/answer/{mentor}", None),
    "answer_save": ("POST", "/evaluations/checkpoints/{checkpoint}/answer/{mentor}", {"answer-q1": "1"}),
    "about_mentor": ("GET", "/evaluations/checkpoints/{checkpoint}/about-me", None),
    "read_response": ("GET", "/evaluations/responses/{response}", None),
}

ROLES = ("coordinator", "pair_mentor", "pair_mentee", "other_pair", "other_course", "other_platform")
MATRIX = {
    # Own page for everyone: another course's members see their own (empty) list, checked for no leak.
    "index": (OK, OK, OK, OK, OK, OK),
    "new_instrument_page": (OK, 403, 403, 403, 403, OK),
    "instrument_page": (OK, 403, 403, 403, 403, 404),
    "edit_instrument_page": (OK, 403, 403, 403, 403, 404),
    "edit_instrument": (400, 403, 403, 403, 403, 404),  # the coordinator's empty edit is refused, kept
    "copy_instrument": (OK, 403, 403, 403, 403, 404),
    "copy_template": (OK, 403, 403, 403, 403, OK),
    "new_checkpoint_page": (OK, 403, 403, 403, 403, OK),
    "checkpoint_results": (OK, 403, 403, 403, 403, 404),
    "edit_checkpoint_page": (OK, 403, 403, 403, 403, 404),
    "edit_checkpoint": (OK, 403, 403, 403, 403, 404),
    "release": (OK, 403, 403, 403, 403, 404),
    # Only the mentee answers about their mentor; after submitting they see their own answers.
    "answer_page": (404, 404, OK, 404, 404, 404),
    "answer_save": (404, 404, 409, 404, 404, 404),
    # The mentor sees the (withheld) aggregate page about them; nobody else has one for this checkpoint.
    "about_mentor": (404, OK, 404, 404, 404, 404),
    # Coordinator and respondent read the response; the mentor only after release (not released here).
    "read_response": (OK, 404, OK, 404, 404, 404),
}

CASES = [
    pytest.param(action, role, expected, id=f"{action}-{role}")
    for action, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]

# Their own answers: the respondent sees them on the answer page (also after a refused second submission).
SEES_SECRET = {
    ("read_response", "pair_mentee"),
    ("answer_page", "pair_mentee"),
    ("answer_save", "pair_mentee"),
}
SEES_TITLE = {"coordinator"}


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_permission_matrix(world, action, role, expected):
    """Each visitor gets exactly what the design allows for each page and action, and no data otherwise."""
    who = world.actors[role]
    method, template, data = ACTIONS[action]
    path = template.format(**world.ids)
    page = who.get(path) if method == "GET" else who.post(path, data)
    if expected == OK:
        assert page.status == 200, (page.status, page.text[:800])
    else:
        assert page.status == expected, (page.status, page.text[:800])
    coordinator_ok = role == "coordinator" and expected == OK  # coordinators see every response of their course
    if (action, role) not in SEES_SECRET and not coordinator_ok:
        assert SECRET not in page.text, f"the response's text leaked to {role} on {action}"
    if role not in SEES_TITLE and not (role == "pair_mentee" and action in ("answer_page", "answer_save")):
        assert INSTRUMENT_MARK not in page.text, f"the instrument leaked to {role} on {action}"


def test_forged_sessions_for_another_course_or_platform_are_refused(live, world):
    """A correctly signed token naming a course or platform the person is not a member of is refused (403)
    on every evaluation page and action, before anything is read."""
    from lti_tool.views.access import signer

    from .support.demo import forge_token
    from .test_evaluations_support import Actor as EvalActor

    mentee = world.actors["pair_mentee"]
    with live.app.app_context():
        real = signer(live.app).loads(mentee.token)
        other = signer(live.app).loads(world.actors["other_course"].token)
    forged = {
        "another course": forge_token(live.app, mentee.token, course_id=other.course_id),
        "another platform": forge_token(live.app, mentee.token, platform_id=real.platform_id + 1),
        "coordinator claim": forge_token(live.app, mentee.token, role="coordinator"),
    }
    for label, token in forged.items():
        visitor = EvalActor(mentee.sub, mentee.browser, token)
        for action, (method, template, data) in ACTIONS.items():
            path = template.format(**world.ids)
            form = [*(data or {}).items(), ("ts", token)]
            page = visitor.get(path) if method == "GET" else visitor.raw_post(path, form)
            if label == "coordinator claim" and action in ("index", "answer_page", "read_response"):
                # The role comes from the membership, not the token: the mentee's own view only.
                assert page.status == 200 and "checkpoint-table" not in page.text, (label, action)
                continue
            if label == "coordinator claim":
                assert page.status in (400, 403, 404, 409), (label, action, page.status)
            else:
                assert page.status in (400, 401, 403), (label, action, page.status)
            assert SECRET not in page.text and INSTRUMENT_MARK not in page.text, (label, action)
