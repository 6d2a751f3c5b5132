"""Who may open the program pages: coordinators only for settings and mentors, each person only their own
profile, and nothing across courses or platforms, even with guessed ids or forged session tokens."""

from __future__ import annotations

import pytest
import requests

from lti_tool.views.access import signer

from .support.browser import Page
from .test_program_mentors import _upload
from .test_program_support import enter, form_data, fresh_course, open_page, participant_of, settings_of, submit

COORDINATOR_PAGES = ["/program/settings", "/program/mentors"]


def _forge(live, token: str, **changes) -> str:
    with live.app.app_context():
        real = signer(live.app).loads(token)
        fields = {
            "person_id": real.person_id,
            "course_id": real.course_id,
            "platform_id": real.platform_id,
            "role": "coordinator",
        }
        fields.update(changes)
        return signer(live.app).dumps(signer(live.app).new(**fields))


@pytest.mark.parametrize("path", COORDINATOR_PAGES)
def test_participants_cannot_open_coordinator_pages(live, browser, path):
    """A student gets 403 on the settings and mentors pages, and no settings data."""
    course = fresh_course(live, browser)
    student, token = enter(live, course, course.students[0])
    page = open_page(student, path, token)
    assert page.status == 403
    assert not page.soup.find("form", action=lambda a: a and "/program/" in a)


def test_participants_cannot_post_coordinator_forms(live, browser):
    """A student posting settings, a decision or a CSV import (with a valid CSRF token) gets 403 and changes nothing."""
    course = fresh_course(live, browser)
    student, token = enter(live, course, course.students[0])
    profile = open_page(student, "/program/profile", token)
    own = dict(form_data(profile, "/program/profile"))
    submit(student, profile, "/program/profile", offer_mentor="1", capacity="2", time_zone="UTC")
    me = participant_of(live, course.context_id, course.students[0])
    base = {"ts": own["ts"], "csrf_token": own["csrf_token"]}
    settings = student.http.post(live.tool_url + "/program/settings", data={**base, "structure": "group"}, timeout=10)
    decision = student.http.post(
        live.tool_url + f"/program/mentors/{me.id}/decision", data={**base, "decision": "approve"}, timeout=10
    )
    upload = student.http.post(
        live.tool_url + "/program/mentors/import",
        data=base,
        files={"file": ("m.csv", f"user_id\n{course.students[0]}\n".encode(), "text/csv")},
        timeout=10,
    )
    assert (settings.status_code, decision.status_code, upload.status_code) == (403, 403, 403)
    assert participant_of(live, course.context_id, course.students[0]).mentor_status == "pending"


def test_profile_is_always_ones_own(live, browser):
    """The profile page shows and saves the signed-in person's profile only; there is no id to guess."""
    course = fresh_course(live, browser)
    alice, alice_token = enter(live, course, course.students[0])
    page = open_page(alice, "/program/profile", alice_token)
    submit(alice, page, "/program/profile", about="Alice's private hopes", time_zone="UTC")
    bob, bob_token = enter(live, course, course.students[1])
    bob_page = open_page(bob, "/program/profile", bob_token)
    assert "Alice's private hopes" not in bob_page.text
    assert open_page(bob, "/program/profile/1", bob_token).status == 404
    assert participant_of(live, course.context_id, course.students[0]).about == "Alice's private hopes"


def test_observers_have_no_profile(live, browser):
    """A coordinator who does not take part (no mentor role) gets 403 on the profile page."""
    course = fresh_course(live, browser)
    coordinator, token = enter(live, course, course.instructor)
    assert open_page(coordinator, "/program/profile", token).status == 403


def test_coordinator_cannot_decide_for_another_course(live, browser):
    """A coordinator of course A deciding on a participant id of course B gets 404; B's row is unchanged."""
    course_a, course_b = fresh_course(live, browser), fresh_course(live, browser)
    student_b, token_b = enter(live, course_b, course_b.students[0])
    submit(
        student_b,
        open_page(student_b, "/program/profile", token_b),
        "/program/profile",
        offer_mentor="1",
        capacity="1",
        time_zone="UTC",
    )
    other = participant_of(live, course_b.context_id, course_b.students[0])
    coordinator_a, token_a = enter(live, course_a, course_a.instructor)
    mentors = open_page(coordinator_a, "/program/mentors", token_a)
    fields = dict(form_data(mentors, "/program/mentors/import"))
    resp = coordinator_a.http.post(
        live.tool_url + f"/program/mentors/{other.id}/decision?ts={token_a}",
        data={"csrf_token": fields["csrf_token"], "decision": "approve"},
        timeout=10,
    )
    assert resp.status_code == 404
    assert participant_of(live, course_b.context_id, course_b.students[0]).mentor_status == "pending"


def test_csv_cannot_name_people_of_another_course(live, browser):
    """A CSV naming someone who is only in another course is refused as unknown (all or nothing)."""
    course_a, course_b = fresh_course(live, browser), fresh_course(live, browser)
    enter(live, course_b, course_b.students[0])
    coordinator, token = enter(live, course_a, course_a.instructor)
    settings_of(coordinator, token, mentor_sources=["csv"])
    page = _upload(coordinator, token, f"user_id\n{course_b.students[0]}\n".encode())
    assert page.status == 400 and "Nobody in this course" in page.text
    assert participant_of(live, course_b.context_id, course_b.students[0]).mentor_status is None


@pytest.mark.parametrize("path", [*COORDINATOR_PAGES, "/program/profile"])
def test_forged_tokens_for_other_courses_and_platforms_are_refused(live, browser, path):
    """Tokens naming another course or another platform (signed with the real key) get 403 on every program page."""
    course_a, course_b = fresh_course(live, browser), fresh_course(live, browser)
    enter(live, course_b, course_b.instructor)
    _, student_token = enter(live, course_a, course_a.students[0])
    _, b_token = enter(live, course_b, course_b.instructor)
    with live.app.app_context():
        b_course_id = signer(live.app).loads(b_token).course_id
    for forged in (
        _forge(live, student_token, course_id=b_course_id),
        _forge(live, student_token, platform_id=signer(live.app).loads(student_token).platform_id + 1),
        _forge(live, student_token, course_id=10_000_000),
    ):
        resp = requests.get(f"{live.tool_url}{path}?ts={forged}", timeout=10)
        assert resp.status_code == 403, (path, resp.status_code)
        assert "Program settings" not in Page(resp).soup.get_text() or path == "/program/profile"


def test_another_platforms_coordinator_sees_only_their_own_program(live, browser):
    """The same course opened from Canvas is another course with its own program; Moodle's settings stay private."""
    course = fresh_course(live, browser)
    moodle, moodle_token = enter(live, course, course.instructor, flavour="moodle")
    settings_of(moodle, moodle_token, goal_tags="Moodle-only secret tag")
    canvas, canvas_token = enter(live, course, course.instructor, flavour="canvas")
    page = open_page(canvas, "/program/settings", canvas_token)
    assert page.status == 200
    assert "Moodle-only secret tag" not in page.text


def test_no_session_means_401(live, browser):
    """Program pages without a tool session answer 401."""
    for path in [*COORDINATOR_PAGES, "/program/profile"]:
        assert requests.get(live.tool_url + path, timeout=10).status_code == 401
