"""A coordinator creates a graded activity in Chromium, inside the demo LMS's iframe (third-party cookies
blocked): the list, the form (also with errors) and the activity page pass axe-core, by label and keyboard."""

from __future__ import annotations

from playwright.sync_api import expect

from .support.browser import LmsBrowser
from .support.playwright_helpers import (
    assert_accessible,
    assert_third_party_cookies_blocked,
    new_context,
    screenshot,
)
from .test_program_support import fresh_course

TOOL_FRAME = 'iframe[name="tool-frame"]'
INSTRUCTOR = "Dr. Ada Okafor"


def test_coordinator_creates_a_participation_activity_in_the_lms_iframe(chromium, live):
    course = fresh_course(live, LmsBrowser(live.tool_url, live.lms_url), 2)
    context = new_context(chromium)
    try:
        page = context.new_page()
        page.goto(f"{live.lms_url}/sandbox/?context={course.context_id}")
        page.get_by_role("button", name=f"Open as {INSTRUCTOR}").click()
        tool = page.frame_locator(TOOL_FRAME)
        expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
        frame = page.frame(name="tool-frame")
        assert frame is not None
        assert_third_party_cookies_blocked(page.context, page, frame)

        tool.get_by_role("navigation").get_by_role("link", name="Graded activities").click()
        expect(tool.get_by_role("heading", name="Graded activities", level=1)).to_be_visible()
        expect(tool.get_by_text("No graded activity yet.")).to_be_visible()
        assert_accessible(frame, "the graded activities list (empty)")

        tool.get_by_role("link", name="New graded activity").click()
        expect(tool.get_by_role("heading", name="New graded activity", level=1)).to_be_visible()
        tool.get_by_label("Title (also the column's name in the gradebook)").fill("Mentoring participation")
        tool.get_by_role("radio", name="Participation").check()
        tool.get_by_label("Maximum score").fill("ten")
        tool.get_by_role("button", name="Create activity and gradebook column").click()
        expect(tool.locator(".error-summary")).to_be_visible()
        expect(tool.locator("#score_maximum-error")).to_contain_text("The maximum score must be a number above 0")
        expect(tool.get_by_label("Title (also the column's name in the gradebook)")).to_have_value(
            "Mentoring participation"
        )
        assert_accessible(frame, "the activity form with an error")

        tool.get_by_label("Maximum score").fill("10")
        tool.get_by_role("group", name="Messages posted in pair threads").get_by_label("Target for full credit").fill(
            "5"
        )
        tool.get_by_label("Maximum score").press("Enter")
        expect(tool.get_by_role("heading", name="Mentoring participation", level=1)).to_be_visible()
        expect(tool.get_by_role("status").first).to_contain_text("Activity created")
        expect(tool.get_by_role("button", name="Recompute and send")).to_be_visible()
        assert_accessible(frame, "the participation activity page")
        screenshot(page, "activity-participation")
    finally:
        context.close()


def test_coordinator_changes_a_rule_and_watches_the_regrade_in_the_lms_iframe(chromium, live, browser):
    """Changing an evaluation activity's rule shows the regrade's progress on the activity page (polled in
    the iframe) until its message says what changed; the page with the override badge passes axe-core."""
    from .test_activities_regrade import post_form
    from .test_evaluations_support import answer, copy_template, paired_course, schedule

    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    coordinator, mentee, mentor = world.coordinator, world.mentees[0], world.mentors[0]
    checkpoint = schedule(coordinator, copy_template(coordinator, "self_assessment"), "self_assessment", "Check")
    created = post_form(
        coordinator,
        "/activities/new",
        title="Check grade",
        kind="evaluation",
        rule="completion",
        score_maximum="10",
        checkpoint_id=str(checkpoint),
    )
    activity = int(created.response.headers["Location"].split("/activities/")[1].split("?")[0])
    for who in (mentee, mentor):
        assert answer(who, checkpoint, None, {f"q{i}": "4" for i in range(1, 5)}).status == 200
    graded = post_form(
        coordinator, f"/activities/{activity}/grade/{mentor.person_id}", on=f"/activities/{activity}", score="6"
    )
    assert graded.status == 303

    context = new_context(chromium)
    try:
        page = context.new_page()
        page.goto(f"{live.lms_url}/sandbox/?context={world.course.context_id}")
        page.get_by_role("button", name=f"Open as {INSTRUCTOR}").click()
        tool = page.frame_locator(TOOL_FRAME)
        expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
        frame = page.frame(name="tool-frame")
        assert frame is not None
        tool.get_by_role("navigation").get_by_role("link", name="Graded activities").click()
        tool.get_by_role("link", name="Check grade").click()
        expect(tool.get_by_text("Given by a coordinator: kept when the activity is regraded")).to_be_visible()
        tool.get_by_role("link", name="Edit the activity").press("Enter")
        tool.get_by_role("radio", name="Instrument score, scaled to the maximum").check()
        tool.get_by_role("button", name="Save activity").press("Enter")
        status = tool.locator("#regrade-status")
        expect(status).to_contain_text(
            "Scores changed and sent to the LMS: 1; already right: 0; given by a coordinator and kept as they were: 1.",
            timeout=30_000,
        )
        assert_accessible(frame, "the activity page after a regrade")
        screenshot(page, "activity-regraded")
    finally:
        context.close()
