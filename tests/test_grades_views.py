"""The coordinators' grades page: sync state per student, resend, permissions, accessibility basics."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Job, Person
from tests.support.browser import LmsBrowser

from .test_grades import deliver, graded_course, line_item, outbox, record


@pytest.fixture(autouse=True)
def no_faults(live):
    """Every test starts and ends without injected faults."""
    requests.delete(live.lms_url + "/sandbox/faults", timeout=30)
    yield
    requests.delete(live.lms_url + "/sandbox/faults", timeout=30)


def ghost(live, platform_id: int, name: str = "Gone Student") -> int:
    """A person the tool knows but the platform does not (left the LMS)."""
    with live.app.app_context():
        person = Person(platform_id=platform_id, sub="ghost-" + uuid.uuid4().hex[:8], name=name)
        db.session.add(person)
        db.session.commit()
        return person.id


def form_fields(page, action_part: str) -> tuple[str, dict[str, str]]:
    for form in page.soup.find_all("form"):
        if action_part in (form.get("action") or ""):
            fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
            return form["action"], fields
    raise AssertionError(f"no form posting to {action_part!r}")


def test_coordinator_sees_sync_state_and_resends_a_failed_result(live, browser):
    """Sent rows show ✓ and a time, failed rows the platform's answer and a Resend button that queues them."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="view")
    record(live, item, gc.student_ids[0], 8)
    failed_person = ghost(live, gc.platform_id)
    failed_result = record(live, item, failed_person, 2)
    deliver(live)

    page = browser.get(f"/grades/?ts={gc.launch_token}")
    assert page.status == 200
    table = page.soup.find("table")
    assert table.find("caption") is not None
    assert all(th.get("scope") == "col" for th in table.find("thead").find_all("th"))
    rows = {tr.find("th", scope="row").get_text(strip=True): tr for tr in table.find("tbody").find_all("tr")}
    sent_row = rows[f"Student {gc.student_subs[0][-4:]}"]
    assert "✓" in sent_row.get_text() and "Sent" in sent_row.get_text() and "8 / 10" in sent_row.get_text()
    assert "not a member of this course" in rows["Gone Student"].get_text()

    action, fields = form_fields(page, f"/grades/results/{failed_result}/resend")
    assert fields["csrf_token"] and fields["ts"]
    done = browser.post(action, fields, allow_redirects=False)
    assert done.status == 303
    assert outbox(live, item)[-1].status == "pending"

    refused = browser.post(action, {"ts": fields["ts"]}, allow_redirects=False)  # no CSRF token
    assert refused.status == 400


def test_resend_all_failed_queues_every_failed_result(live, browser):
    """Resend all failed queues the course's failed results; a grades.deliver job delivers them."""
    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="all")
    record(live, item, ghost(live, gc.platform_id), 1)
    record(live, item, ghost(live, gc.platform_id), 2)
    deliver(live)
    assert {r.status for r in outbox(live, item)} == {"failed"}

    page = browser.get(f"/grades/?ts={gc.launch_token}")
    action, fields = form_fields(page, "/grades/resend-failed")
    live.app.config["GRADES_DELIVER_AFTER_COMMIT"] = True
    try:
        assert browser.post(action, fields, allow_redirects=False).status == 303
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(r.status != "failed" or r.attempts != 1 for r in outbox(live, item)):
            time.sleep(0.1)
    finally:
        live.app.config["GRADES_DELIVER_AFTER_COMMIT"] = False
    rows = outbox(live, item)
    assert {r.status for r in rows} == {"failed"} and {r.attempts for r in rows} == {1}  # tried again, refused again
    with live.app.app_context():
        job = db.session.execute(
            select(Job).where(Job.course_id == gc.course_id, Job.kind == "grades.deliver")
        ).scalar_one()
        deadline = time.monotonic() + 15
        while job.is_active and time.monotonic() < deadline:
            time.sleep(0.1)
            db.session.refresh(job)
        assert job.status == "succeeded" and job.result["failed"] == 2


def test_students_get_403(live, browser):
    """A student can neither see the grades page nor resend."""
    gc = graded_course(live, browser, students=1)
    student = LmsBrowser(live.tool_url, live.lms_url)
    page = student.launch(gc.flavour, gc.student_subs[0], context=gc.context_id)
    token = page.token()
    assert student.get(f"/grades/?ts={token}").status == 403
    assert student.post("/grades/resend-failed", {"ts": token}).status in (400, 403)


def test_a_coordinator_cannot_resend_another_courses_result(live, browser):
    """Results of another course are not found from this course's session."""
    first = graded_course(live, browser, students=1)
    record(live, line_item(live, first, tag="mine"), ghost(live, first.platform_id), 1)  # gives a form to post
    other_browser = LmsBrowser(live.tool_url, live.lms_url)
    second = graded_course(live, other_browser, students=1)
    item = line_item(live, second, tag="other")
    foreign = record(live, item, ghost(live, second.platform_id, "Their Student"), 1)
    deliver(live)

    page = browser.get(f"/grades/?ts={first.launch_token}")
    assert page.status == 200 and "Gone Student" in page.text and "Their Student" not in page.text
    _, fields = form_fields(page, "/grades/resend-failed")
    answer = browser.post(f"/grades/results/{foreign}/resend", fields, allow_redirects=False)
    assert answer.status == 404
    assert outbox(live, item)[-1].status == "failed"


def test_the_grades_page_needs_a_session(live):
    """Without a tool session the page answers 401."""
    assert requests.get(live.tool_url + "/grades/", timeout=30).status_code == 401


def test_a_deleted_column_is_shown_and_recreated_from_the_page(live, browser):
    """A column the LMS deleted is flagged on the page; "Recreate" restores it and its results go out again."""
    from lti_tool.models import LineItem

    from .test_grades import ALL_AGS, access_token, platform_scores

    gc = graded_course(live, browser, students=1)
    item = line_item(live, gc, tag="gone")
    record(live, item, gc.student_ids[0], 6)
    deliver(live)
    with live.app.app_context():
        url = db.session.get(LineItem, item).platform_url
    token = access_token(live, gc.flavour, ALL_AGS)
    assert requests.delete(url, headers={"Authorization": "Bearer " + token}, timeout=30).status_code == 204
    record(live, item, gc.student_ids[0], 7)
    deliver(live)

    page = browser.get(f"/grades/?ts={gc.launch_token}")
    assert "no longer has this gradebook column" in page.text
    assert "Held: the LMS deleted this column." in page.text  # the student's row says why it waits
    action, fields = form_fields(page, "/grades/line-items/restore")
    assert browser.post(action, fields, allow_redirects=False).status == 303
    deliver(live)

    assert platform_scores(live, item) == {gc.student_subs[0]: 7}
    page = browser.get(f"/grades/?ts={gc.launch_token}")
    assert "no longer has this gradebook column" not in page.text and "✓" in page.text
