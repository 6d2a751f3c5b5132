"""Who may open the program pages: coordinators only for settings and mentors, each person only their own
profile, and nothing across courses or platforms, even with guessed ids or forged session tokens."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select, update

from lti_tool.views.access import signer

from .support.browser import Page
from .test_program_mentors import _upload
from .test_program_support import (
    enter,
    form_data,
    fresh_course,
    open_page,
    participant_of,
    program_of,
    settings_of,
    submit,
)

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


def _roster_synced(live, browser, coordinator_index: int | None = None) -> tuple:
    """A fresh course whose roster its coordinator synced; nobody else has launched.

    The coordinator is Dr. Okafor, who teaches every fresh course, or with ``coordinator_index`` one of the
    course's own students made its instructor in the demo LMS (a coordinator of this course only).
    """
    from .test_roster import click_sync, wait_for_job

    course = fresh_course(live, browser)
    sub = course.instructor
    if coordinator_index is not None:
        sub = course.students[coordinator_index]
        _make_instructor(live, course.context_id, sub)
    coordinator, token = enter(live, course, sub)
    job = wait_for_job(coordinator, click_sync(coordinator, token), token)
    assert job["status"] == "succeeded", job
    return course, coordinator, token


def _make_instructor(live, context_id: str, sub: str) -> None:
    from lti_tool.extensions import db
    from lti_tool.sandbox.models import SandboxCourse, SandboxEnrolment, SandboxUser

    with live.app.app_context():
        course_id = select(SandboxCourse.id).where(SandboxCourse.context_id == context_id).scalar_subquery()
        user_id = select(SandboxUser.id).where(SandboxUser.sub == sub).scalar_subquery()
        db.session.execute(
            update(SandboxEnrolment)
            .where(SandboxEnrolment.course_id == course_id, SandboxEnrolment.user_id == user_id)
            .values(role="instructor")
        )
        db.session.commit()
        db.session.remove()


def _absent(live, context_id: str) -> int:
    """How many active learners of the course have no participant row (the review page's notice)."""
    from lti_tool.extensions import db
    from lti_tool.mentoring.programs import matching_runs

    with live.app.app_context():
        program = db.session.merge(program_of(live, context_id))
        count = matching_runs.not_yet_in_program(db.session, program)
        db.session.remove()
    return count


def _roster_only_ids(live, context_id: str) -> list[int]:
    """Membership ids of the course's learners who have no participant row."""
    from lti_tool.extensions import db
    from lti_tool.mentoring.programs import inclusion

    with live.app.app_context():
        program = db.session.merge(program_of(live, context_id))
        ids = [m.membership_id for m in inclusion.roster_only(db.session, program)]
        db.session.remove()
    return ids


def test_only_coordinators_include_the_roster(live, browser):
    """A participant and an observer posting "Include them in matching now" (with a valid CSRF token) get 403,
    and nobody is included."""
    from .test_discussions_permissions import observer_launch

    course, _coordinator, _token = _roster_synced(live, browser)
    student, student_token = enter(live, course, course.students[0])
    observer = observer_launch(live, course.students[1], course.context_id)
    before = _absent(live, course.context_id)
    assert before >= 2
    chosen = _roster_only_ids(live, course.context_id)
    profile = open_page(student, "/program/profile", student_token)
    own = {k: v for k, v in form_data(profile, "/program/profile") if k in ("ts", "csrf_token")}
    refused = student.http.post(live.tool_url + "/matching/include", data=own, timeout=10)
    assert refused.status_code == 403
    picked = student.http.post(
        live.tool_url + "/matching/include",
        data={**own, "scope": "chosen", "member": [str(i) for i in chosen]},
        timeout=10,
    )
    assert picked.status_code == 403
    assert observer.post("/matching/include").status == 403
    assert _absent(live, course.context_id) == before


def test_including_needs_the_csrf_token(live, browser):
    """The coordinator's own include form without its CSRF token is refused (400) and includes nobody."""
    course, coordinator, token = _roster_synced(live, browser)
    before = _absent(live, course.context_id)
    review = open_page(coordinator, "/matching/", token)
    fields = [(k, v) for k, v in form_data(review, "/matching/include") if k != "csrf_token"]
    refused = coordinator.http.post(live.tool_url + "/matching/include", data=fields, timeout=10)
    assert refused.status_code == 400
    forged = [(k, "x" + v if k == "csrf_token" else v) for k, v in form_data(review, "/matching/include")]
    assert coordinator.http.post(live.tool_url + "/matching/include", data=forged, timeout=10).status_code == 400
    assert _absent(live, course.context_id) == before > 0


def test_coordinators_include_only_their_own_course(live, browser):
    """Course A's coordinator includes A's roster only: B's members named in A's form are unknown (400), and a
    token forged for course B (signed with the real key, CSRF token valid for it) is refused (403), because
    A's coordinator is no member of B. Dr. Okafor, who coordinates B, may include B's roster."""
    course_a, coordinator_a, token_a = _roster_synced(live, browser, coordinator_index=0)
    course_b, coordinator_b, token_b = _roster_synced(live, browser)
    before_b = _absent(live, course_b.context_id)
    b_members = _roster_only_ids(live, course_b.context_id)
    assert before_b > 0 and b_members

    review = open_page(coordinator_a, "/matching/", token_a)
    fields = [(k, v) for k, v in form_data(review, "/matching/include") if k != "scope"]
    crossing = Page(
        coordinator_a.http.post(
            live.tool_url + "/matching/include",
            data=[*fields, ("scope", "chosen"), *(("member", str(i)) for i in b_members[:2])],
            timeout=30,
        )
    )
    assert crossing.status == 400
    problems = crossing.soup.find(id="include-problems").get_text(" ", strip=True)
    assert f"Nobody with the id “{b_members[0]}” is in this course's roster." in problems
    assert _absent(live, course_b.context_id) == before_b

    included = Page(coordinator_a.http.post(live.tool_url + "/matching/include", data=fields, timeout=30))
    assert included.status == 200 and "are now included in matching" in included.text
    assert _absent(live, course_a.context_id) == 0
    assert _absent(live, course_b.context_id) == before_b

    with live.app.app_context():
        b_course_id = signer(live.app).loads(token_b).course_id
    from .test_discussions import Actor

    forged = Actor(live, coordinator_a, _forge(live, token_a, course_id=b_course_id))
    assert forged.post("/matching/include").status == 403
    assert forged.post("/matching/include", {"scope": "chosen", "member": str(b_members[0])}).status == 403
    assert _absent(live, course_b.context_id) == before_b

    own = Actor(live, coordinator_b, token_b)
    assert own.post("/matching/include").status == 302
    assert _absent(live, course_b.context_id) == 0
