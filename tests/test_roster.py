"""Roster sync over real HTTP: the demo LMS's NRPS, the job runner, the People page and its progress JSON."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import delete, func, insert, select, update

from lti_tool.extensions import db
from lti_tool.models import Course, Job, Membership, Person, utcnow
from lti_tool.sandbox.models import SandboxCourse, SandboxEnrolment, SandboxUser
from lti_tool.sandbox.seed import INACTIVE_STUDENT_SUB, INSTRUCTOR_SUB, STUDENT_SUBS, TA_SUB

from .support.demo import COURSE, ensure_seeded

FLAVOUR = "moodle"


@pytest.fixture(autouse=True)
def _seeded(browser):
    ensure_seeded(browser)


@pytest.fixture
def auto_sync(live, monkeypatch):
    """Turn on the first-launch sync (off for the rest of the suite, whose courses it would change)."""
    monkeypatch.setitem(live.app.config, "ROSTER_SYNC_ON_LAUNCH", True)


@pytest.fixture
def no_faults(live):
    """Clear the demo LMS's injected faults after the test, whatever happens."""
    yield
    requests.delete(live.lms_url + "/sandbox/faults", timeout=10)


def create_course(live, context_id: str, students: int, privacy: str = "public") -> None:
    resp = requests.post(
        live.lms_url + "/sandbox/api/courses",
        json={"context_id": context_id, "students": students, "privacy": privacy},
        timeout=120,
    )
    assert resp.status_code == 201, resp.text


def launch(browser, context_id: str, user: str = INSTRUCTOR_SUB, flavour: str = FLAVOUR):
    page = browser.launch(flavour, user, context_id)
    assert page.status == 200, page.text[:1500]
    return page, page.token()


def course_id(app, token: str) -> int:
    """The course a tool-session token is bound to (the course the launch landed in)."""
    from lti_tool.views.access import signer

    return signer(app).loads(token).course_id


def wait_for_job(browser, job_id: int, token: str, timeout: float = 60.0) -> dict:
    """Poll GET /jobs/<id> until the job has finished (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        resp = browser.http.get(f"{browser.tool_url}/jobs/{job_id}", params={"ts": token}, timeout=10)
        assert resp.status_code == 200, resp.text[:500]
        body = resp.json()
        if body["finished"]:
            return body
        assert time.monotonic() < deadline, f"job {job_id} still {body['status']} after {timeout}s: {body}"
        time.sleep(0.05)


def click_sync(browser, token: str) -> int:
    """Press "Sync roster now" on the People page (its form: CSRF token + tool session); returns the job id."""
    people = browser.get(f"/space/people?ts={token}")
    assert people.status == 200
    form = people.soup.find("form", action=lambda a: a and "/space/people/sync" in a)
    assert form is not None, "the People page has the sync form"
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    assert fields.get("csrf_token") and fields.get("ts")
    resp = browser.http.post(browser.tool_url + form["action"], data=fields, timeout=30, allow_redirects=False)
    assert resp.status_code == 303, resp.text[:500]
    return int(parse_qs(urlsplit(resp.headers["Location"]).query)["job"][0])


def memberships(app, course_id: int) -> dict[str, tuple[str, bool, str, str | None]]:
    """sub → (program role, active, source, name) of every membership of the course."""
    with app.app_context():
        rows = db.session.execute(
            select(Person.sub, Membership.program_role, Membership.is_active, Membership.source, Person.name)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.course_id == course_id)
        ).all()
    return {sub: (role, active, source, name) for sub, role, active, source, name in rows}


def generated_subs(app, context_id: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                select(SandboxUser.sub)
                .join(SandboxEnrolment, SandboxEnrolment.user_id == SandboxUser.id)
                .join(SandboxCourse, SandboxCourse.id == SandboxEnrolment.course_id)
                .where(SandboxCourse.context_id == context_id, SandboxEnrolment.role == "student")
                .order_by(SandboxEnrolment.id)
            ).scalars()
        )


def latest_job(app, course_id: int) -> Job | None:
    with app.app_context():
        job = db.session.execute(
            select(Job).where(Job.course_id == course_id).order_by(Job.id.desc()).limit(1)
        ).scalar_one_or_none()
        if job is not None:
            db.session.expunge(job)
        return job


def test_first_coordinator_launch_syncs_course_roster(live, browser, auto_sync):
    """The instructor's first launch syncs course-101: 14 active members with their roles, the dropout inactive."""
    _, token = launch(browser, COURSE)
    course = course_id(live.app, token)
    job = latest_job(live.app, course)
    assert job is not None and job.kind == "roster.sync", "the launch started a roster sync"
    body = wait_for_job(browser, job.id, token)
    assert body["status"] == "succeeded", body
    members = memberships(live.app, course)
    active = {sub: v for sub, v in members.items() if v[1]}
    assert len(active) == 14
    assert active[INSTRUCTOR_SUB][0] == "coordinator"
    assert active[TA_SUB][0] == "coordinator"
    assert {sub for sub, v in active.items() if v[0] == "participant"} == set(STUDENT_SUBS)
    assert members[INACTIVE_STUDENT_SUB][1] is False, "NRPS lists the dropout as Inactive"
    assert body["result"]["active"] == 14 and body["result"]["inactive"] == 1

    people = browser.get(f"/space/people?ts={token}")
    assert "Left the course" in people.text
    assert "Last synced" in people.text
    # Another coordinator launch does not start another sync.
    launch(browser, COURSE)
    assert latest_job(live.app, course).id == job.id


def test_sync_now_button_shows_progress(live, browser, no_faults):
    """ "Sync roster now" starts a job; the page has a polite status region and /jobs/<id> reports progress."""
    create_course(live, "roster-button", 30)
    _, token = launch(browser, "roster-button")
    people = browser.get(f"/space/people?ts={token}")
    assert "not been synced" in people.text
    # Slow the LMS down so that the job is still running when we look at it.
    requests.post(
        live.lms_url + "/sandbox/faults", json={"latency_ms": 300, "endpoints": ["nrps"]}, timeout=10
    ).raise_for_status()
    job_id = click_sync(browser, token)
    assert click_sync(browser, token) == job_id, "a second click joins the running sync"
    page = browser.get(f"/space/people?ts={token}")
    region = page.soup.find(id="roster-sync-status")
    assert region is not None and region["aria-live"] == "polite" and region["role"] == "status"
    assert f"/jobs/{job_id}" in region.get("data-job-url", ""), "the script knows which job to poll"
    assert page.soup.find("script", src=lambda s: s and "job-progress.js" in s)
    assert page.soup.find(attrs={"data-job-reload": True}).find("a"), "a reload link for pages without JS"

    first = browser.http.get(f"{browser.tool_url}/jobs/{job_id}", params={"ts": token}, timeout=10).json()
    assert first["id"] == job_id and first["kind"] == "roster.sync"
    assert first["status"] in {"queued", "running", "succeeded"}
    assert set(first["progress"]) == {"done", "total", "percent"}
    body = wait_for_job(browser, job_id, token)
    assert body["status"] == "succeeded"
    assert body["progress"]["done"] == 32 and body["progress"]["percent"] == 100
    assert body["result"]["members"] == 32 and body["result"]["added"] >= 31

    after = browser.get(f"/space/people?ts={token}")
    assert "Last synced" in after.text
    assert len(after.soup.select("table tbody tr")) == 32
    assert not after.soup.find(id="roster-sync-status").get("data-job-url"), "nothing left to poll"
    assert click_sync(browser, token) != job_id, "after it finished, a click starts a new sync"


def test_student_cannot_start_a_sync(live, browser):
    """A student's session gets 403 on the sync endpoint (with a valid CSRF token)."""
    from flask_wtf.csrf import generate_csrf

    _, token = launch(browser, COURSE, user=STUDENT_SUBS[0])
    with live.app.test_request_context("/space/", query_string={"ts": token}):
        csrf = generate_csrf()
    resp = browser.http.post(
        browser.tool_url + "/space/people/sync", data={"ts": token, "csrf_token": csrf}, timeout=10
    )
    assert resp.status_code == 403


def test_withheld_names_become_pseudonyms(live, browser):
    """A course whose LMS withholds names syncs people without names, shown as stable pseudonyms."""
    create_course(live, "roster-anonymous", 5, privacy="anonymous")
    _, token = launch(browser, "roster-anonymous")
    assert wait_for_job(browser, click_sync(browser, token), token)["status"] == "succeeded"
    course = course_id(live.app, token)
    students = generated_subs(live.app, "roster-anonymous")
    members = memberships(live.app, course)
    assert all(members[sub][3] is None for sub in students), "no names stored"
    with live.app.app_context():
        emails = db.session.execute(select(Person.email).where(Person.sub.in_(students))).scalars().all()
    assert emails == [None] * 5
    page = browser.get(f"/space/people?ts={token}")
    for sub in students:
        assert f"Participant {sub[-6:].upper()}" in page.text

    # The LMS starts sharing names: the next sync fills them in.
    with live.app.app_context():
        db.session.execute(
            update(SandboxCourse).where(SandboxCourse.context_id == "roster-anonymous").values(privacy="public")
        )
        db.session.commit()
    assert wait_for_job(browser, click_sync(browser, token), token)["status"] == "succeeded"
    assert all(memberships(live.app, course)[sub][3] for sub in students)


def _enrolment(app, context_id: str, sub: str, *, remove: bool) -> None:
    with app.app_context():
        course_id = db.session.execute(
            select(SandboxCourse.id).where(SandboxCourse.context_id == context_id)
        ).scalar_one()
        user_id = db.session.execute(select(SandboxUser.id).where(SandboxUser.sub == sub)).scalar_one()
        if remove:
            db.session.execute(
                delete(SandboxEnrolment).where(
                    SandboxEnrolment.course_id == course_id, SandboxEnrolment.user_id == user_id
                )
            )
        else:
            db.session.execute(
                insert(SandboxEnrolment).values(course_id=course_id, user_id=user_id, role="student", active=True)
            )
        db.session.commit()


def test_removed_member_becomes_inactive_and_returns(live, browser):
    """A member the LMS no longer lists becomes inactive (kept, not deleted) and active again when re-enrolled."""
    create_course(live, "roster-leave", 6)
    _, token = launch(browser, "roster-leave")
    assert wait_for_job(browser, click_sync(browser, token), token)["status"] == "succeeded"
    course = course_id(live.app, token)
    leaver = generated_subs(live.app, "roster-leave")[2]
    assert memberships(live.app, course)[leaver][1] is True

    _enrolment(live.app, "roster-leave", leaver, remove=True)
    body = wait_for_job(browser, click_sync(browser, token), token)
    assert body["status"] == "succeeded" and body["result"]["deactivated"] == 1
    assert memberships(live.app, course)[leaver][1] is False
    page = browser.get(f"/space/people?ts={token}")
    assert page.text.count("Left the course") == 1

    _enrolment(live.app, "roster-leave", leaver, remove=False)
    body = wait_for_job(browser, click_sync(browser, token), token)
    assert body["status"] == "succeeded" and body["result"]["reactivated"] == 1
    assert memberships(live.app, course)[leaver][1] is True
    assert len(memberships(live.app, course)) == 8, "one membership per person throughout"


def test_paging_follows_link_next(live, browser, monkeypatch):
    """A 250-student course read 100 members per page takes three pages, each found by Link: rel="next"."""
    monkeypatch.setitem(live.app.config, "ROSTER_PAGE_SIZE", 100)
    create_course(live, "roster-paged", 250)
    _, token = launch(browser, "roster-paged")
    before = requests.get(live.lms_url + "/sandbox/stats", timeout=10).json()["counters"].get("nrps_requests", 0)
    body = wait_for_job(browser, click_sync(browser, token), token)
    after = requests.get(live.lms_url + "/sandbox/stats", timeout=10).json()["counters"].get("nrps_requests", 0)
    assert body["status"] == "succeeded"
    assert body["result"]["pages"] == 3 and body["result"]["members"] == 252
    assert after - before == 3
    course = course_id(live.app, token)
    assert sum(1 for v in memberships(live.app, course).values() if v[1]) == 252


def test_five_thousand_member_course_syncs(live, browser, capsys):
    """A 5,000-student course created on the demo LMS syncs completely (time printed, not asserted)."""
    create_course(live, "roster-5000", 5000)
    _, token = launch(browser, "roster-5000")
    started = time.monotonic()
    body = wait_for_job(browser, click_sync(browser, token), token, timeout=180)
    elapsed = time.monotonic() - started
    assert body["status"] == "succeeded", body
    assert body["result"]["members"] == 5002 and body["result"]["pages"] == 51
    course = course_id(live.app, token)
    with live.app.app_context():
        count = db.session.execute(
            select(func.count()).select_from(Membership).where(Membership.course_id == course)
        ).scalar_one()
    assert count == 5002
    with capsys.disabled():
        print(f"\n[roster] 5,002 members synced in {elapsed:.2f}s ({5002 / elapsed:.0f} members/s, job {body['id']})")


def test_job_of_another_course_is_not_found(live, browser):
    """GET /jobs/<id> answers 404 for a job of another course, and for a student's look at a coordinator's job."""
    create_course(live, "roster-other", 2)
    _, token = launch(browser, "roster-other")
    job_id = click_sync(browser, token)
    wait_for_job(browser, job_id, token)
    _, token_101 = launch(browser, COURSE)
    resp = browser.http.get(f"{browser.tool_url}/jobs/{job_id}", params={"ts": token_101}, timeout=10)
    assert resp.status_code == 404
    _, student = launch(browser, "roster-other", user=generated_subs(live.app, "roster-other")[0])
    resp = browser.http.get(f"{browser.tool_url}/jobs/{job_id}", params={"ts": student}, timeout=10)
    assert resp.status_code == 404
    assert browser.http.get(f"{browser.tool_url}/jobs/{job_id}", timeout=10).status_code == 401


def test_platform_error_marks_the_job_failed(live, browser, no_faults):
    """NRPS answering 503 fails the job with a message naming the status; the page shows the failure."""
    create_course(live, "roster-503", 3)
    _, token = launch(browser, "roster-503")
    requests.post(
        live.lms_url + "/sandbox/faults", json={"fail_next": 1, "status": 503, "endpoints": ["nrps"]}, timeout=10
    ).raise_for_status()
    body = wait_for_job(browser, click_sync(browser, token), token)
    assert body["status"] == "failed"
    assert "503" in body["message"] and "refused" in body["message"]
    assert body["result"] is None and "Traceback" not in str(body)
    course = course_id(live.app, token)
    job = latest_job(live.app, course)
    assert job.error and "503" in job.error, "the technical detail is kept on the row"
    assert job.dedupe_key is None, "a failed job frees the course for the next sync"
    page = browser.get(f"/space/people?ts={token}")
    assert "The last sync failed" in page.text
    # The LMS is back: the next sync works.
    assert wait_for_job(browser, click_sync(browser, token), token)["status"] == "succeeded"


def test_missing_nrps_url_marks_the_job_failed(live, browser):
    """A course without an NRPS link fails its sync with a message telling the coordinator what to do."""
    create_course(live, "roster-no-nrps", 1)
    _, token = launch(browser, "roster-no-nrps")
    course = course_id(live.app, token)
    with live.app.app_context():
        db.session.execute(update(Course).where(Course.id == course).values(nrps_url=None))
        db.session.commit()
    body = wait_for_job(browser, click_sync(browser, token), token)
    assert body["status"] == "failed"
    assert "Names and Roles" in body["message"]


def test_abandoned_running_job_is_marked_failed(live, browser):
    """A running job with no sign of life for longer than JOBS_STALE_MINUTES is failed on the next look."""
    create_course(live, "roster-stale", 1)
    _, token = launch(browser, "roster-stale")
    course = course_id(live.app, token)
    old = utcnow() - timedelta(minutes=live.app.config["JOBS_STALE_MINUTES"] + 5)
    with live.app.app_context():
        job = Job(
            course_id=course,
            kind="roster.sync",
            status="running",
            params={},
            dedupe_key=f"roster.sync:course:{course}",
            created_at=old,
            started_at=old,
            heartbeat_at=old,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    body = browser.http.get(f"{browser.tool_url}/jobs/{job_id}", params={"ts": token}, timeout=10).json()
    assert body["status"] == "failed" and "abandoned" in body["message"]
    # Its course is free again: a new sync starts.
    new_id = click_sync(browser, token)
    assert new_id != job_id
    assert wait_for_job(browser, new_id, token)["status"] == "succeeded"


def test_sync_needs_the_csrf_token(live, browser):
    """A sync POST without the page's CSRF token is refused and starts nothing."""
    create_course(live, "roster-csrf", 1)
    _, token = launch(browser, "roster-csrf")
    course = course_id(live.app, token)
    resp = browser.http.post(browser.tool_url + "/space/people/sync", data={"ts": token}, timeout=10)
    assert resp.status_code == 400
    assert latest_job(live.app, course) is None
