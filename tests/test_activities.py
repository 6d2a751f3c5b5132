"""Gradable activities over real HTTP: placed by deep linking or created in the tool, graded by their rule,
and delivered to the demo LMS's gradebook."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.grades import InvalidScore
from lti_tool.grades.activities import participation_fraction, scaled_score
from lti_tool.mentoring.evaluations.checkpoints import create_checkpoint
from lti_tool.mentoring.evaluations.instruments import copy_template
from lti_tool.models import (
    Course,
    EvaluationCheckpoint,
    GradableActivity,
    GradeResult,
    Job,
    LineItem,
    Person,
    Platform,
    ResourceLink,
    utcnow,
)
from lti_tool.sandbox.models import SandboxLineItem, SandboxResourceLink

from .support.browser import LmsBrowser, Page
from .support.demo import ensure_seeded
from .test_discussions import location
from .test_grades import deliver
from .test_program_support import DemoCourse, enter, form_data, fresh_course, open_page, submit

FLAVOUR = "moodle"


@pytest.fixture(autouse=True)
def no_faults(live):
    requests.delete(live.lms_url + "/sandbox/faults", timeout=30)
    yield
    requests.delete(live.lms_url + "/sandbox/faults", timeout=30)


# --- helpers ---------------------------------------------------------------------------------------------


@dataclass
class Placed:
    course: DemoCourse
    links: dict[str, str]  # catalogue kind → the demo LMS's resource link id


def place(live, kinds: list[str], n_students: int = 2, flavour: str = FLAVOUR) -> Placed:
    """A fresh demo course where the instructor adds ``kinds`` by deep linking (each graded one with its column)."""
    browser = LmsBrowser(live.tool_url, live.lms_url)
    ensure_seeded(browser)
    course = fresh_course(live, browser, n_students)
    picker = browser.launch(flavour, course.instructor, course.context_id, message="deep_link")
    assert picker.status == 200, picker.text[:1000]
    form = picker.soup.find("form", attrs={"method": "post"})
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input", attrs={"type": "hidden"})}
    fields["items"] = kinds
    answer = Page(browser.http.post(browser.tool_url + form["action"], data=fields, timeout=30))
    done = browser.follow_forms(answer)
    assert done.status == 200, done.text[:1000]
    with live.app.app_context():
        rows = db.session.execute(select(SandboxResourceLink).where(SandboxResourceLink.flavour == flavour)).scalars()
        links = {
            (r.custom or {}).get("mentoring_kind"): r.link_id
            for r in rows
            if r.course is not None and r.course.context_id == course.context_id
        }
        db.session.remove()
    assert set(kinds) <= set(links), links
    return Placed(course, links)


def launch_link(live, course: DemoCourse, sub: str, link_id: str, flavour: str = FLAVOUR) -> tuple[LmsBrowser, str]:
    browser = LmsBrowser(live.tool_url, live.lms_url)
    page = browser.launch(flavour, sub, course.context_id, link=link_id)
    assert page.status == 200, page.text[:1000]
    token = page.token()
    assert token
    return browser, token


def tool_course_id(live, context_id: str, flavour: str = FLAVOUR) -> int:
    with live.app.app_context():
        course_id = db.session.execute(
            select(Course.id)
            .join(Platform, Platform.id == Course.platform_id)
            .where(Course.context_id == context_id, Platform.issuer.endswith("/sandbox/" + flavour))
        ).scalar_one()
        db.session.remove()
        return course_id


def activity_of_link(live, context_id: str, link_id: str) -> GradableActivity:
    with live.app.app_context():
        activity = db.session.execute(
            select(GradableActivity)
            .join(ResourceLink, ResourceLink.id == GradableActivity.resource_link_id)
            .join(Course, Course.id == ResourceLink.course_id)
            .where(ResourceLink.resource_link_id == link_id, Course.context_id == context_id)
        ).scalar_one()
        db.session.expunge(activity)
        db.session.remove()
        return activity


def person_id(live, sub: str) -> int:
    with live.app.app_context():
        pid = db.session.execute(select(Person.id).where(Person.sub == sub)).scalars().first()
        db.session.remove()
        assert pid is not None
        return pid


def new_checkpoint(live, course_id: int, template: str, audience: str, title: str) -> int:
    with live.app.app_context():
        instrument = copy_template(db.session(), course_id, template)
        now = utcnow()
        checkpoint = create_checkpoint(
            db.session(),
            course_id,
            instrument_id=instrument.id,
            title=title,
            audience=audience,
            opens_at=now - timedelta(days=1),
            due_at=now + timedelta(days=7),
        )
        db.session.commit()
        cid = checkpoint.id
        db.session.remove()
        return cid


def answer_over_http(student: LmsBrowser, token: str, checkpoint_id: int, answers: dict) -> Page:
    """The student submits the checkpoint's form (the evaluations flow stores the response and, in the
    same transaction, its grades)."""
    path = f"/evaluations/checkpoints/{checkpoint_id}/answer"
    page = open_page(student, path, token)
    assert page.status == 200, page.text[:1500]
    values = {f"answer-{key}": str(value) for key, value in answers.items()}
    done = submit(student, page, path, action="submit", **values)
    assert done.status == 200 and "action" not in done.url, done.text[:1500]
    return done


def gradebook(live, context_id: str) -> str:
    page = requests.get(live.lms_url + "/sandbox/gradebook", params={"context": context_id}, timeout=30)
    assert page.status_code == 200
    return page.text


def gradebook_cell(live, context_id: str, column: str, student_name: str) -> str:
    """The text of the demo gradebook cell of a student in the column labelled ``column``."""
    soup = Page(requests.get(live.lms_url + "/sandbox/gradebook", params={"context": context_id}, timeout=30)).soup
    headers = [th.get_text(" ", strip=True) for th in soup.find("thead").find_all("th")]
    index = next(i for i, h in enumerate(headers) if h.startswith(column))
    for tr in soup.find("tbody").find_all("tr"):
        if tr.find("th").get_text(" ", strip=True).startswith(student_name):
            return tr.find_all(["th", "td"])[index].get_text(" ", strip=True)
    raise AssertionError(f"no row for {student_name!r}")


def student_name(live, sub: str) -> str:
    from lti_tool.sandbox.models import SandboxUser

    with live.app.app_context():
        name = db.session.execute(select(SandboxUser.name).where(SandboxUser.sub == sub)).scalar_one()
        db.session.remove()
        return name


# --- pure rules ------------------------------------------------------------------------------------------


def test_instrument_scores_scale_to_the_maximum_and_refuse_above_100_percent():
    """A score fraction scales to the maximum; above 1 it is a clear error, never a silent clamp."""
    assert scaled_score(0.75, 20) == 15
    assert scaled_score(1.0, 7) == 7
    with pytest.raises(InvalidScore, match="above 100%"):
        scaled_score(1.2, 10)
    with pytest.raises(InvalidScore):
        scaled_score(-0.1, 10)


def test_participation_is_weighted_capped_per_component_and_overall():
    """Each component counts up to its target; the weighted mean never passes 1."""
    weights = {"posts": 2, "meetings": 1, "goals": 1}
    targets = {"posts": 10, "meetings": 2, "goals": 4}
    assert participation_fraction({"posts": 5, "meetings": 2, "goals": 0}, weights, targets) == pytest.approx(0.5)
    assert participation_fraction({"posts": 50, "meetings": 9, "goals": 9}, weights, targets) == 1.0
    assert participation_fraction({"posts": 3}, {"posts": 0, "meetings": 0, "goals": 0}, targets) == 0.0


# --- deep-linked activities ------------------------------------------------------------------------------


def test_deep_linked_evaluation_is_graded_by_instrument_score_into_its_own_column(live):
    """Deep link an evaluation → its first launch maps it to the launch's line item → the coordinator picks
    checkpoint and rule → a student submits → the demo LMS gradebook shows the scaled score in that column."""
    placed = place(live, ["evaluation-midterm"])
    course = placed.course
    link_id = placed.links["evaluation-midterm"]
    coordinator, token = launch_link(live, course, course.instructor, link_id)

    activity = activity_of_link(live, course.context_id, link_id)
    assert (activity.kind, activity.rule, activity.source) == ("evaluation", "completion", "deep_link")
    with live.app.app_context():
        item = db.session.get(LineItem, activity.line_item_id)
        link = db.session.get(ResourceLink, activity.resource_link_id)
        assert item.platform_url == link.lineitem_url and item.created_by == "platform"
        platform_items = db.session.execute(select(func_count(SandboxLineItem))).scalar_one()
        db.session.remove()

    course_id = tool_course_id(live, course.context_id)
    checkpoint = new_checkpoint(live, course_id, "self_assessment", "self_assessment", "Mid-course self-assessment")
    page = open_page(coordinator, f"/activities/{activity.id}/edit", token)
    assert page.status == 200 and "Mid-course self-assessment" in page.text
    saved = submit(
        coordinator,
        page,
        f"/activities/{activity.id}/edit",
        rule="instrument_score",
        checkpoint_id=str(checkpoint),
        score_maximum="20",
    )
    assert saved.status == 200 and "Activity saved." in saved.text, saved.text[:2000]

    student = course.students[0]
    student_browser, student_token = launch_link(live, course, student, link_id)  # opened from the course
    # Likert 1..5 on every scored item: 4 everywhere is 75 %.
    answer_over_http(student_browser, student_token, checkpoint, {f"q{i}": 4 for i in range(1, 5)})
    deliver(live)

    cell = gradebook_cell(live, course.context_id, "Mid-course mentoring evaluation", student_name(live, student))
    assert cell.startswith("15.0 / 20.0") and "FullyGraded" in cell, cell
    with live.app.app_context():
        # Results went to the placement's own column: no new column was created on the platform.
        assert db.session.execute(select(func_count(SandboxLineItem))).scalar_one() == platform_items
        db.session.remove()


def func_count(model):
    from sqlalchemy import func

    return func.count(model.id)


@pytest.mark.parametrize("flavour", ["moodle", "canvas"])
def test_reflection_is_pending_manual_then_fully_graded_in_the_demo_gradebook(live, flavour):
    """A coordinator-graded reflection is sent PendingManual on submission; the coordinator reads it, a
    score above the maximum is refused keeping what was typed, then the score arrives FullyGraded."""
    placed = place(live, ["reflection-final"], flavour=flavour)
    course = placed.course
    link_id = placed.links["reflection-final"]
    coordinator, token = launch_link(live, course, course.instructor, link_id, flavour)
    activity = activity_of_link(live, course.context_id, link_id)
    assert activity.rule == "manual"
    course_id = tool_course_id(live, course.context_id, flavour)
    checkpoint = new_checkpoint(live, course_id, "reflection", "reflection", "Final reflection")
    page = open_page(coordinator, f"/activities/{activity.id}/edit", token)
    assert submit(coordinator, page, f"/activities/{activity.id}/edit", checkpoint_id=str(checkpoint)).status == 200

    student = course.students[1]
    student_browser, student_token = launch_link(live, course, student, link_id, flavour)
    sid = person_id(live, student)
    answers = {
        "gained_1": "Confidence presenting my work",
        "gained_2": "A study plan",
        "gained_3": "A network",
        "use_1": "Weekly planning",
        "use_2": "Asking for feedback early",
    }
    with live.app.app_context():
        items = db.session.get(EvaluationCheckpoint, checkpoint).instrument_version.items
        for item in items:
            if item["id"] not in answers and item["type"] in ("short_text", "long_text"):
                answers[item["id"]] = "How to run a research interview"
        db.session.remove()
    answer_over_http(student_browser, student_token, checkpoint, answers)
    deliver(live)
    name = student_name(live, student)
    cell = gradebook_cell(live, course.context_id, "Final reflection", name)
    assert "no score" in cell and "PendingManual" in cell and "Submitted" in cell, cell

    listing = open_page(coordinator, "/activities/", token)
    assert "1 waits for your grade" in listing.text
    page = open_page(coordinator, f"/activities/{activity.id}", token)
    assert page.status == 200
    assert "Waiting for your grade" in page.text and "Confidence presenting my work" in page.text
    refused = submit(coordinator, page, f"/activities/{activity.id}/grade/{sid}", score="150", comment="Thoughtful")
    assert refused.status == 400
    assert "Enter a score from 0 to 100." in refused.text
    kept = form_data(refused, f"/activities/{activity.id}/grade/{sid}")
    assert ("score", "150") in kept and ("comment", "Thoughtful") in kept
    with live.app.app_context():
        result = db.session.execute(select(GradeResult).where(GradeResult.person_id == sid)).scalar_one()
        assert result.grading_progress == "PendingManual"
        db.session.remove()

    graded = submit(coordinator, refused, f"/activities/{activity.id}/grade/{sid}", score="88,5")
    assert graded.status == 200 and "Score saved" in graded.text
    assert "Pending" in graded.soup.select_one("td.sync").get_text()
    deliver(live)
    assert "Sent" in open_page(coordinator, f"/activities/{activity.id}", token).soup.select_one("td.sync").get_text()
    cell = gradebook_cell(live, course.context_id, "Final reflection", name)
    assert cell.startswith("88.5 / 100.0") and "FullyGraded" in cell and "Thoughtful" in cell, cell


# --- activities created in the tool --------------------------------------------------------------------------


def test_coordinator_creates_an_activity_and_its_column_is_created_once(live):
    """Creating an activity creates its gradebook column through AGS; bad input is refused keeping the form."""
    placed_browser = LmsBrowser(live.tool_url, live.lms_url)
    ensure_seeded(placed_browser)
    course = fresh_course(live, placed_browser, 1)
    coordinator, token = enter(live, course, course.instructor)
    page = open_page(coordinator, "/activities/new", token)
    assert page.status == 200

    refused = submit(coordinator, page, "/activities/new", title="Peer check-in", score_maximum="abc")
    assert refused.status == 400
    assert "The maximum score must be a number above 0" in refused.text
    assert ("title", "Peer check-in") in form_data(refused, "/activities/new")

    created = submit(
        coordinator,
        refused,
        "/activities/new",
        title="Peer check-in",
        score_maximum="10",
        kind="participation",
        weight_posts="2",
        target_posts="4",
        weight_meetings="0",
        weight_goals="0",
    )
    assert created.status == 200 and "Peer check-in" in created.text, created.text[:2000]
    with live.app.app_context():
        activity = db.session.execute(
            select(GradableActivity).where(GradableActivity.title == "Peer check-in")
        ).scalar_one()
        assert (activity.kind, activity.rule, activity.source) == ("participation", "participation", "tool")
        assert activity.weights == {"posts": 2.0, "meetings": 0.0, "goals": 0.0}
        url = activity.line_item.platform_url
        db.session.remove()
    listing = open_page(coordinator, "/activities/", token)
    assert "Peer check-in" in listing.text and "created by the tool" in listing.text
    columns = [i for i in gradebook(live, course.context_id).split('<th scope="col">') if i.startswith("Peer check-in")]
    assert len(columns) == 1
    assert url


# --- participation ---------------------------------------------------------------------------------------


def wait_for_job(live, job_id: int, timeout: float = 30) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with live.app.app_context():
            job = db.session.get(Job, job_id)
            db.session.expunge(job)
            db.session.remove()
        if not job.is_active:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def create_participation(coordinator, title: str, **values: str) -> int:
    """Create a participation activity through the coordinator's form; returns its id."""
    page = coordinator.get("/activities/new")
    assert page.status == 200, page.text[:1000]
    fields = {
        "title": title,
        "kind": "participation",
        "score_maximum": "10",
        "rule": "completion",
        "checkpoint_id": "",
        "weight_posts": "1",
        "target_posts": "4",
        "weight_meetings": "0",
        "target_meetings": "1",
        "weight_goals": "0",
        "target_goals": "1",
        **values,
    }
    done = coordinator.submit(page, "main form.stacked", fields)
    assert done.status == 303, done.text[:2000]
    return int(location(done).split("/activities/")[1].split("?")[0])


def test_participation_is_computed_from_real_pair_posts_in_a_job_and_delivered(live):
    """Posts written in a pair's private threads (over HTTP) drive the participation score; the recompute
    runs as a job whose progress the page shows, and the demo gradebook gets one score per participant."""
    from .test_space_support import pair_course, pair_reply, start_pair_thread

    course = pair_course(live, pairs=1, extra_students=1)
    pair = course.pairs[0]
    thread = start_pair_thread(pair.mentor, pair, "Planning the term", "What do you want to work on?")
    for body in ("Let us meet on Friday.", "I shared a reading list."):
        assert pair_reply(pair.mentor, pair, thread, body).status == 303
    assert pair_reply(pair.mentee, pair, thread, "Thank you, Friday works.").status == 303

    activity_id = create_participation(course.coordinator, "Mentoring participation grade")
    show = course.coordinator.get(f"/activities/{activity_id}")
    assert show.status == 200 and "Not computed yet." in show.text
    started = course.coordinator.submit(show, f"form[action*='/activities/{activity_id}/recompute']")
    assert started.status == 303
    job_id = int(location(started).split("job=")[1].split("&")[0].split("#")[0])
    progress = course.coordinator.follow(location(started).replace(live.tool_url, ""))
    assert progress.soup.select_one("#participation-status") is not None
    job = wait_for_job(live, job_id)
    assert job.status == "succeeded", (job.status, job.error)
    assert job.result["people"] == 3 and job.result["changed"] == 3
    deliver(live)

    names = {sub: student_name(live, sub) for sub in (pair.mentor_sub, pair.mentee_sub)}
    mentor_cell = gradebook_cell(live, course.context_id, "Mentoring participation grade", names[pair.mentor_sub])
    mentee_cell = gradebook_cell(live, course.context_id, "Mentoring participation grade", names[pair.mentee_sub])
    assert mentor_cell.startswith("7.5 / 10.0") and "3 messages" in mentor_cell, mentor_cell
    assert mentee_cell.startswith("2.5 / 10.0") and "1 message," in mentee_cell, mentee_cell

    # Recomputing with nothing new sends nothing; one more post changes only its author's score.
    again = course.coordinator.post(f"/activities/{activity_id}/recompute")
    job = wait_for_job(live, int(location(again).split("job=")[1].split("&")[0].split("#")[0]))
    assert job.result["changed"] == 0
    assert pair_reply(pair.mentee, pair, thread, "See you Friday.").status == 303
    third = course.coordinator.post(f"/activities/{activity_id}/recompute")
    job = wait_for_job(live, int(location(third).split("job=")[1].split("&")[0].split("#")[0]))
    assert job.result["changed"] == 1
    deliver(live)
    assert gradebook_cell(live, course.context_id, "Mentoring participation grade", names[pair.mentee_sub]).startswith(
        "5.0 / 10.0"
    )


# --- permissions -------------------------------------------------------------------------------------------


def test_activity_pages_permission_matrix(live):
    """Coordinator: every page; participant and observer: 403 everywhere; another course's coordinator: 404
    for this course's activity ids; the same instructor from another platform: 404; no session: 401."""
    from .support.demo import people
    from .test_discussions import actor, new_course

    context = new_course(live, 2)
    instructor = people(live.app, "instructor", context)[0]
    students = people(live.app, "student", context)
    coordinator = actor(live, instructor, context=context)
    participant = actor(live, students[0], context=context)
    other_course = new_course(live, 1)
    outsider = actor(live, people(live.app, "instructor", other_course)[0], context=other_course)
    other_platform = actor(live, instructor, flavour="canvas", context=context)
    from .test_discussions_permissions import observer_launch

    observer = observer_launch(live, students[1], context)

    activity_id = create_participation(coordinator, "Participation (permissions)")
    pid = person_id(live, students[0])
    pages = [
        ("get", "/activities/"),
        ("get", "/activities/new"),
        ("get", f"/activities/{activity_id}"),
        ("get", f"/activities/{activity_id}/edit"),
        ("post", f"/activities/{activity_id}/recompute"),
        ("post", f"/activities/{activity_id}/edit"),
        ("post", f"/activities/{activity_id}/grade/{pid}"),
        ("post", f"/activities/{activity_id}/delete"),
    ]

    def answer(who, method, path):
        return who.get(path).status if method == "get" else who.post(path, {"title": "x"}).status

    for method, path in pages:
        assert answer(participant, method, path) == 403, (method, path)
        assert answer(observer, method, path) == 403, (method, path)
        own = path.startswith("/activities/") and str(activity_id) not in path
        expected_outsider = 200 if own and method == "get" else 404
        if own and method == "post":
            expected_outsider = 400
        assert answer(outsider, method, path) == expected_outsider, (method, path)
        assert answer(other_platform, method, path) == expected_outsider, (method, path)
    assert coordinator.get(f"/activities/{activity_id}").status == 200
    assert coordinator.get(f"/activities/{activity_id}/edit").status == 200
    # A manual-grade post on a participation activity is no page at all.
    assert coordinator.post(f"/activities/{activity_id}/grade/{pid}", {"score": "1"}).status == 404
    # The outsider's own list never shows this course's activity.
    assert "Participation (permissions)" not in outsider.get("/activities/").text
    no_session = requests.get(live.tool_url + f"/activities/{activity_id}", timeout=30)
    assert no_session.status_code == 401 and "Participation (permissions)" not in no_session.text


def test_a_submission_reaches_the_gradebook_on_its_own_after_the_request(live):
    """With delivery after commit on (the default outside tests), submitting a completion-graded evaluation
    starts a delivery job once the request has committed: full marks arrive with no one else acting."""
    placed = place(live, ["evaluation-midterm"])
    course = placed.course
    link_id = placed.links["evaluation-midterm"]
    coordinator, token = launch_link(live, course, course.instructor, link_id)
    activity = activity_of_link(live, course.context_id, link_id)
    checkpoint = new_checkpoint(
        live, tool_course_id(live, course.context_id), "self_assessment", "self_assessment", "Check-in"
    )
    page = open_page(coordinator, f"/activities/{activity.id}/edit", token)
    assert submit(coordinator, page, f"/activities/{activity.id}/edit", checkpoint_id=str(checkpoint)).status == 200

    student = course.students[0]
    student_browser, student_token = launch_link(live, course, student, link_id)
    live.app.config["GRADES_DELIVER_AFTER_COMMIT"] = True
    try:
        answer_over_http(student_browser, student_token, checkpoint, {f"q{i}": 2 for i in range(1, 5)})
        deadline = time.monotonic() + 20
        cell = ""
        while time.monotonic() < deadline:
            cell = gradebook_cell(
                live, course.context_id, "Mid-course mentoring evaluation", student_name(live, student)
            )
            if cell.startswith("100.0 / 100.0"):
                break
            time.sleep(0.2)
    finally:
        live.app.config["GRADES_DELIVER_AFTER_COMMIT"] = False
    assert cell.startswith("100.0 / 100.0") and "FullyGraded" in cell, cell


def test_renamed_and_deleted_columns_of_an_activity(live):
    """Editing an activity renames its column and changes its maximum on the platform; a column deleted on
    the platform ends its scores in a clear missing state shown with the activity, nothing is lost, and
    recreating it from the Grades page delivers every latest score to the new column."""
    from .test_grades import ALL_AGS
    from .test_grades_views import form_fields
    from .test_sandbox_platform import access_token
    from .test_space_support import pair_course, start_pair_thread

    course = pair_course(live, pairs=1)
    pair = course.pairs[0]
    start_pair_thread(pair.mentor, pair, "Hello", "First message")
    activity_id = create_participation(course.coordinator, "Engagement")
    edit = course.coordinator.get(f"/activities/{activity_id}/edit")
    saved = course.coordinator.submit(
        edit, "main form.stacked", {"title": "Engagement (weeks 1-6)", "score_maximum": "20"}
    )
    assert saved.status == 303, saved.text[:1500]
    with live.app.app_context():
        activity = db.session.get(GradableActivity, activity_id)
        url = activity.line_item.platform_url
        line_item_id = activity.line_item_id
        db.session.remove()
    token = access_token(live, FLAVOUR, ALL_AGS)
    on_platform = requests.get(url, headers={"Authorization": "Bearer " + token}, timeout=30).json()
    assert (on_platform["label"], on_platform["scoreMaximum"]) == ("Engagement (weeks 1-6)", 20.0)

    assert requests.delete(url, headers={"Authorization": "Bearer " + token}, timeout=30).status_code in (200, 204)
    job = course.coordinator.post(f"/activities/{activity_id}/recompute")
    assert wait_for_job(live, int(location(job).split("job=")[1].split("&")[0].split("#")[0])).status == "succeeded"
    deliver(live, wait=0)
    with live.app.app_context():
        assert db.session.get(LineItem, line_item_id).status == "missing"
        kept = db.session.execute(select(GradeResult).where(GradeResult.line_item_id == line_item_id)).scalars().all()
        assert len(kept) == 2
        db.session.remove()
    listing = course.coordinator.get("/activities/")
    assert "Deleted in the LMS" in listing.text
    grades = course.coordinator.get("/grades/")
    assert "no longer has this gradebook column" in grades.text
    assert grades.soup.find("a", string="Graded activity: Engagement (weeks 1-6)") is not None

    action, fields = form_fields(grades, "/grades/line-items/restore")
    restored = course.coordinator.http.http.post(live.tool_url + action, data=fields, timeout=30, allow_redirects=False)
    assert restored.status_code == 303
    deliver(live)
    mentor = student_name(live, pair.mentor_sub)
    cell = gradebook_cell(live, course.context_id, "Engagement (weeks 1-6)", mentor)
    assert cell.startswith("5.0 / 20.0"), cell
    with live.app.app_context():
        item = db.session.get(LineItem, line_item_id)
        assert item.status == "active" and item.label == "Engagement (weeks 1-6)"
        db.session.remove()


def test_participation_counts_meetings_held_and_goal_updates_of_each_member(live):
    """A meeting held (proposed, accepted and recorded over HTTP) counts for both members of the pair; a goal
    the mentee writes counts for the mentee only; posts outside weighted components do not matter."""
    from lti_tool.grades.activities import participation_scores
    from lti_tool.models import MeetingOccurrence

    from .test_goals_support import matched_course, meeting_id_of, new_goal, propose

    course = matched_course(live)
    pair = course.pairs[0]
    new_goal(pair.mentee, pair, title="Finish the thesis outline")
    meeting_id = meeting_id_of(propose(pair.mentor, pair, title="Kick-off"))
    location(pair.mentee.post(f"{pair.base}/meetings/{meeting_id}/respond", {"answer": "accept"}))
    yesterday = utcnow() - timedelta(days=1)
    with live.app.app_context():
        occurrence = db.session.execute(
            select(MeetingOccurrence).where(MeetingOccurrence.meeting_id == meeting_id)
        ).scalar_one()
        occurrence.starts_at, occurrence.ends_at = yesterday, yesterday + timedelta(hours=1)
        occurrence_id = occurrence.id
        db.session.commit()
        db.session.remove()
    location(
        pair.mentor.post(
            f"{pair.base}/meetings/{meeting_id}/occurrences/{occurrence_id}/record",
            {f"outcome-{occurrence_id}": "held", f"notes-{occurrence_id}": "Good start"},
        )
    )

    mentor, mentee = person_id(live, pair.mentor_sub), person_id(live, pair.mentee_sub)
    with live.app.app_context():
        course_id = db.session.execute(select(Course.id).where(Course.context_id == course.context_id)).scalar_one()
        scores = participation_scores(
            db.session(),
            course_id,
            {"posts": 0, "meetings": 1, "goals": 1},
            {"posts": 1, "meetings": 1, "goals": 1},
            [mentor, mentee],
        )
        db.session.remove()
    assert scores[mentor].counts["meetings"] == 1 and scores[mentor].counts["goals"] == 0
    assert scores[mentee].counts["meetings"] == 1 and scores[mentee].counts["goals"] >= 1
    assert scores[mentor].score(10) == 5.0 and scores[mentee].score(10) == 10.0


def test_choosing_the_checkpoint_later_grades_the_answers_already_submitted(live):
    """Students who answered before the coordinator tied the activity to its checkpoint are graded when it
    is chosen (instrument score here); choosing it again grades no one twice."""
    placed = place(live, ["evaluation-midterm"], n_students=2)
    course = placed.course
    link_id = placed.links["evaluation-midterm"]
    coordinator, token = launch_link(live, course, course.instructor, link_id)
    activity = activity_of_link(live, course.context_id, link_id)
    checkpoint = new_checkpoint(
        live, tool_course_id(live, course.context_id), "self_assessment", "self_assessment", "Early check-in"
    )
    for student, point in zip(course.students, (5, 3), strict=True):
        browser, student_token = launch_link(live, course, student, link_id)
        answer_over_http(browser, student_token, checkpoint, {f"q{i}": point for i in range(1, 5)})
    with live.app.app_context():
        assert (
            db.session.execute(select(GradeResult).where(GradeResult.line_item_id == activity.line_item_id)).first()
            is None
        )
        db.session.remove()

    for _ in range(2):
        page = open_page(coordinator, f"/activities/{activity.id}/edit", token)
        saved = submit(
            coordinator,
            page,
            f"/activities/{activity.id}/edit",
            rule="instrument_score",
            checkpoint_id=str(checkpoint),
            score_maximum="10",
        )
        assert saved.status == 200 and "Activity saved." in saved.text
    deliver(live)
    first, second = (student_name(live, s) for s in course.students)
    assert gradebook_cell(live, course.context_id, "Mid-course mentoring evaluation", first).startswith("10.0 / 10.0")
    assert gradebook_cell(live, course.context_id, "Mid-course mentoring evaluation", second).startswith("5.0 / 10.0")
    with live.app.app_context():
        versions = (
            db.session.execute(select(GradeResult.version).where(GradeResult.line_item_id == activity.line_item_id))
            .scalars()
            .all()
        )
        db.session.remove()
    assert sorted(versions) == [1, 1]


def test_two_participation_activities_recompute_in_their_own_jobs(live):
    """Recomputing two participation activities of one course starts one job each (not the other's), and
    each column gets its own scores."""
    from .test_space_support import pair_course, start_pair_thread

    course = pair_course(live, pairs=1)
    pair = course.pairs[0]
    start_pair_thread(pair.mentor, pair, "Hello", "First message")
    first = create_participation(course.coordinator, "Participation A", target_posts="1")
    second = create_participation(course.coordinator, "Participation B", target_posts="2")
    jobs = []
    for activity_id in (first, second):
        started = course.coordinator.post(f"/activities/{activity_id}/recompute")
        jobs.append(int(location(started).split("job=")[1].split("&")[0].split("#")[0]))
    assert jobs[0] != jobs[1]
    assert all(wait_for_job(live, j).status == "succeeded" for j in jobs)
    deliver(live)
    mentor = student_name(live, pair.mentor_sub)
    assert gradebook_cell(live, course.context_id, "Participation A", mentor).startswith("10.0 / 10.0")
    assert gradebook_cell(live, course.context_id, "Participation B", mentor).startswith("5.0 / 10.0")
    page = course.coordinator.get(f"/activities/{second}", job=str(jobs[0]))
    assert page.status == 200 and "data-job-message" not in page.text  # another activity's job is not shown


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": "   "}, "Give the activity a title."),
        ({"score_maximum": "1e309"}, "The maximum score must be a number above 0"),
        ({"score_maximum": "-3"}, "The maximum score must be a number above 0"),
        ({"kind": "quiz"}, "Choose evaluation or participation."),
        ({"rule": "random"}, "This scoring rule does not fit this kind of activity."),
        ({"checkpoint_id": "999999"}, "Choose one of this course's checkpoints."),
        ({"checkpoint_id": "abc"}, "Choose one of this course's checkpoints."),
        ({"kind": "participation", "weight_posts": "abc"}, "A weight is a number from 0 to 100."),
        ({"kind": "participation", "weight_posts": "2", "target_posts": ""}, "A target is a number above 0"),
        (
            {"kind": "participation", "weight_posts": "0", "weight_meetings": "0", "weight_goals": "0"},
            "Give at least one component a weight above 0.",
        ),
    ],
)
def test_bad_activity_input_is_refused_on_the_form_keeping_what_was_typed(live, values, message):
    """Each bad value gets a 400 with its message next to the form, the typed title kept, nothing created."""
    from .support.demo import people
    from .test_discussions import actor, new_course

    context = new_course(live, 1)
    coordinator = actor(live, people(live.app, "instructor", context)[0], context=context)
    page = coordinator.get("/activities/new")
    fields = {"title": "Kept title", "kind": "evaluation", "rule": "completion", "score_maximum": "10", **values}
    refused = coordinator.submit(page, "main form.stacked", fields)
    assert refused.status == 400 and message in refused.soup.get_text(), refused.text[:1500]
    assert refused.soup.find("input", id="title")["value"] == fields["title"]
    with live.app.app_context():
        course_id = db.session.execute(select(Course.id).where(Course.context_id == context)).scalar_one()
        assert (
            db.session.execute(select(GradableActivity).where(GradableActivity.course_id == course_id)).first() is None
        )
        db.session.remove()


def test_cli_recomputes_participation_for_cron(live):
    """`flask grades participation --course N` recomputes that course's participation activities and queues
    the changed scores; `flask grades deliver` sends them."""
    from .test_space_support import pair_course, start_pair_thread

    course = pair_course(live, pairs=1)
    pair = course.pairs[0]
    start_pair_thread(pair.mentor, pair, "Hello", "First message")
    create_participation(course.coordinator, "Participation (cron)", target_posts="2")
    course_id = tool_course_id(live, course.context_id)
    runner = live.app.test_cli_runner()
    done = runner.invoke(args=["grades", "participation", "--course", str(course_id)])
    assert done.exit_code == 0, done.output
    assert "2 participants, 2 changed" in done.output
    again = runner.invoke(args=["grades", "participation", "--course", str(course_id)])
    assert "2 participants, 0 changed" in again.output
    assert runner.invoke(args=["grades", "deliver", "--wait", "5"]).exit_code == 0
    cell = gradebook_cell(live, course.context_id, "Participation (cron)", student_name(live, pair.mentor_sub))
    assert cell.startswith("5.0 / 10.0"), cell


def test_a_mentors_evaluation_of_a_mentee_grades_the_mentee_and_a_rating_of_a_mentor_grades_no_one(live, browser):
    """Instrument score of "mentors about each mentee": the mentee evaluated gets the grade (the mean of the
    evaluations about them), not the mentor who answered. Instrument score of "mentees about their mentor"
    is refused: a mentee's rating of their mentor is nobody's grade."""
    from .test_evaluations_support import answer, copy_template, paired_course, schedule

    world = paired_course(live, browser, mentors=1, mentees=2, capacity=2)
    coordinator, mentor = world.coordinator, world.mentors[0]
    about_mentee = schedule(
        coordinator, copy_template(coordinator, "mentor_of_mentee"), "mentors_about_mentee", "Mentee progress"
    )
    about_mentor = schedule(
        coordinator, copy_template(coordinator, "mentee_of_mentor"), "mentees_about_mentor", "Mentor feedback"
    )

    page = open_page(coordinator.browser, "/activities/new", coordinator.token)
    fields = {"title": "Progress grade", "kind": "evaluation", "rule": "instrument_score", "score_maximum": "10"}
    refused = submit(coordinator.browser, page, "/activities/new", checkpoint_id=str(about_mentor), **fields)
    assert refused.status == 400 and "is not a grade" in refused.soup.get_text()
    created = submit(coordinator.browser, refused, "/activities/new", checkpoint_id=str(about_mentee), **fields)
    assert created.status == 200 and "Activity created" in created.text, created.text[:1500]

    first, second = world.mentees
    for mentee, point in ((first, "5"), (second, "3")):
        answers = {f"q{i}": point for i in range(1, 5)} | {"q5": "Steady", "q6": "Keep going"}
        done = answer(mentor, about_mentee, mentee.person_id, answers)
        assert done.status == 200 and "submitted" in done.url, done.text[:1500]
    deliver(live)

    context = world.course.context_id
    assert gradebook_cell(live, context, "Progress grade", first.name).startswith("10.0 / 10.0")
    assert gradebook_cell(live, context, "Progress grade", second.name).startswith("5.0 / 10.0")
    assert gradebook_cell(live, context, "Progress grade", mentor.name) == "—"
    # An activity created afterwards on the same checkpoint grades the answers already given.
    page = open_page(coordinator.browser, "/activities/new", coordinator.token)
    later = dict(fields, title="Progress completion", rule="completion")
    assert submit(coordinator.browser, page, "/activities/new", checkpoint_id=str(about_mentee), **later).status == 200
    deliver(live)
    assert gradebook_cell(live, context, "Progress completion", mentor.name).startswith("10.0 / 10.0")
    assert gradebook_cell(live, context, "Progress completion", first.name) == "—"
    # The coordinator reads the mentor's words beside the mentee they are about.
    with live.app.app_context():
        activity_id = db.session.execute(
            select(GradableActivity.id).where(GradableActivity.title == "Progress grade")
        ).scalar_one()
        db.session.remove()
    page = open_page(coordinator.browser, f"/activities/{activity_id}", coordinator.token)
    rows = {tr.find("th").get_text(strip=True): tr.get_text(" ", strip=True) for tr in page.soup.select("tbody tr")}
    assert "Steady" in rows[first.name] and mentor.name not in rows


def test_an_empty_tool_activity_can_be_removed_with_its_column_but_not_once_graded(live):
    """Removing a tool-created activity deletes its empty column in the LMS; once anyone has a result the
    removal is refused with the reason and nothing is deleted."""
    from .test_grades import ALL_AGS
    from .test_sandbox_platform import access_token
    from .test_space_support import pair_course, start_pair_thread

    course = pair_course(live, pairs=1)
    pair = course.pairs[0]
    start_pair_thread(pair.mentor, pair, "Hello", "First message")
    empty = create_participation(course.coordinator, "Mistaken column")
    graded = create_participation(course.coordinator, "Real column")
    with live.app.app_context():
        url = db.session.get(GradableActivity, empty).line_item.platform_url
        db.session.remove()
    page = course.coordinator.get(f"/activities/{empty}")
    removed = course.coordinator.submit(page, f"form[action*='/activities/{empty}/delete']")
    assert location(removed).split("?")[0].endswith("/activities/")
    token = access_token(live, FLAVOUR, ALL_AGS)
    assert requests.get(url, headers={"Authorization": "Bearer " + token}, timeout=30).status_code == 404
    assert course.coordinator.get(f"/activities/{empty}").status == 404

    job = course.coordinator.post(f"/activities/{graded}/recompute")
    assert wait_for_job(live, int(location(job).split("job=")[1].split("&")[0].split("#")[0])).status == "succeeded"
    page = course.coordinator.get(f"/activities/{graded}")
    assert page.soup.select_one(f"form[action*='/activities/{graded}/delete']") is None  # not offered
    refused = course.coordinator.post(f"/activities/{graded}/delete")
    assert refused.status == 409 and "so no grade is lost" in refused.soup.get_text()
    assert course.coordinator.get(f"/activities/{graded}").status == 200
