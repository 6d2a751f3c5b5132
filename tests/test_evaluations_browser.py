"""A mentee answers an evaluation of their mentor in Chromium, inside the demo LMS's iframe.

Third-party cookies are blocked, the home card, the answer form (also with errors) and the submitted
answers are checked with axe-core (no serious or critical violations), and a screenshot of the LMS with
the form in its iframe is kept in ``test-artifacts/``.
"""

from __future__ import annotations

from playwright.sync_api import expect

from .support.playwright_helpers import (
    assert_accessible,
    assert_third_party_cookies_blocked,
    new_context,
    screenshot,
)
from .test_evaluations_support import copy_template, paired_course, schedule

TOOL_FRAME = 'iframe[name="tool-frame"]'
WAIT = 15_000  # ms; generous: the machine running the suite may be busy


def test_mentee_answers_an_evaluation_in_the_lms_iframe(chromium, live, browser):
    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    mentee, mentor = world.mentees[0], world.mentors[0]
    checkpoint = schedule(
        world.coordinator, copy_template(world.coordinator, "mentee_of_mentor"), "mentees_about_mentor"
    )

    context = new_context(chromium)
    try:
        page = context.new_page()
        page.goto(f"{live.lms_url}/sandbox/?context={world.course.context_id}")
        page.get_by_role("button", name=f"Open as {mentee.name}").click()
        tool = page.frame_locator(TOOL_FRAME)
        expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=WAIT)
        frame = page.frame(name="tool-frame")
        assert frame is not None
        assert_third_party_cookies_blocked(page.context, page, frame)

        card = tool.locator("#your-evaluations")
        expect(card).to_contain_text("Mid-course", timeout=WAIT)
        expect(card).to_contain_text(mentor.name, timeout=WAIT)
        assert_accessible(frame, "the home page with the evaluations card")
        card.get_by_role("link", name=f"Mid-course – {mentor.name}").click()
        expect(tool.get_by_role("heading", name=f"Mid-course: {mentor.name}", level=1)).to_be_visible(timeout=WAIT)
        assert f"/evaluations/checkpoints/{checkpoint}/answer/{mentor.person_id}" in frame.url
        assert_accessible(frame, "the answer form")

        # Keyboard and labels: answer the first question by its label, then submit with the rest missing.
        tool.get_by_role("group", name="My mentor makes time for our conversations. (required)").get_by_label(
            "4"
        ).check()
        tool.get_by_label("What has helped you most so far?").fill("<b>Weekly</b> check-ins")
        tool.get_by_role("button", name="Submit").click()
        expect(tool.locator("#error-summary")).to_be_visible(timeout=WAIT)
        expect(tool.locator("#answer-q2-error")).to_have_text("This question needs an answer.", timeout=WAIT)
        expect(tool.locator("#answer-q1-4")).to_be_checked(timeout=WAIT)
        helped = tool.get_by_label("What has helped you most so far?")
        expect(helped).to_have_value("<b>Weekly</b> check-ins", timeout=WAIT)
        assert_accessible(frame, "the answer form with errors")

        for item, point in (("q2", 5), ("q3", 4), ("q4", 5), ("q5", 3)):
            tool.locator(f"#answer-{item}-{point}").check()
        tool.get_by_label("Every two weeks").check()
        screenshot(page, "evaluation-answer-form")
        tool.get_by_role("button", name="Submit").click()
        expect(tool.get_by_role("status")).to_contain_text("Your answers are submitted.", timeout=WAIT)
        # Shown as text, escaped.
        expect(tool.locator(".answer-text")).to_have_text("<b>Weekly</b> check-ins", timeout=WAIT)
        assert_accessible(frame, "the submitted answers")
        screenshot(page, "evaluation-submitted")
    finally:
        context.close()


def test_coordinator_evaluation_pages_are_accessible(chromium, live, browser):
    """Overview, instrument page, question editor (also with an error), checkpoint results (also archived)
    and checkpoint form pass axe-core."""
    from .test_evaluations_support import MENTEE_ANSWERS, answer

    world = paired_course(live, browser, mentors=1, mentees=1, capacity=1)
    instrument = copy_template(world.coordinator, "mentee_of_mentor")
    checkpoint = schedule(world.coordinator, instrument, "mentees_about_mentor")
    assert answer(world.mentees[0], checkpoint, world.mentors[0].person_id, MENTEE_ANSWERS).status == 200

    context = new_context(chromium)
    try:
        page = context.new_page()
        page.goto(f"{live.lms_url}/sandbox/?context={world.course.context_id}")
        page.get_by_role("button", name="Open as Dr. Ada Okafor").click()
        tool = page.frame_locator(TOOL_FRAME)
        expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=WAIT)
        frame = page.frame(name="tool-frame")
        assert frame is not None

        tool.get_by_role("navigation").get_by_role("link", name="Evaluations").click()
        expect(tool.get_by_role("heading", name="Evaluations", level=1)).to_be_visible(timeout=WAIT)
        assert_accessible(frame, "the evaluations overview")
        screenshot(page, "evaluations-overview")

        tool.locator("#instrument-list a").first.click()
        expect(tool.locator("#version-table")).to_be_visible(timeout=WAIT)
        expect(tool.locator("#instrument-usage")).to_contain_text("Responses to any version: 1", timeout=WAIT)
        assert_accessible(frame, "the instrument page with its archive section")
        tool.get_by_role("link", name="Edit", exact=True).click()
        expect(tool.locator("#version-warning")).to_contain_text("Saving creates version 2", timeout=WAIT)
        assert_accessible(frame, "the question editor")
        tool.get_by_label("Scale: number of points").first.fill("40")
        tool.get_by_role("button", name="Save instrument").click()
        expect(tool.locator("#item-0-points-error")).to_have_text("A scale has from 2 to 11 points.", timeout=WAIT)
        assert_accessible(frame, "the question editor with an error")

        tool.get_by_role("navigation").get_by_role("link", name="Evaluations").click()
        expect(tool.locator("#checkpoint-table")).to_be_visible(timeout=WAIT)
        tool.locator("#checkpoint-table a").first.click()
        expect(tool.locator("#submitted-count")).to_have_text("1 of 1", timeout=WAIT)
        expect(tool.locator("#checkpoint-dependents")).to_contain_text("Submitted responses: 1", timeout=WAIT)
        assert_accessible(frame, "the checkpoint results")
        screenshot(page, "evaluation-results")
        tool.get_by_role("button", name="Archive this checkpoint").press("Enter")
        expect(tool.locator("#archived-state")).to_be_visible(timeout=WAIT)
        expect(tool.get_by_role("status").first).to_contain_text("its responses and grades are kept", timeout=WAIT)
        assert_accessible(frame, "an archived checkpoint")
        tool.get_by_role("button", name="Restore this checkpoint").press("Enter")
        expect(tool.get_by_role("status").first).to_contain_text("Restored", timeout=WAIT)
        # By keyboard: once, on a loaded CI machine, a pointer click on this link sent no request at all;
        # Enter on the focused link does not depend on where the link is drawn at that instant.
        tool.get_by_role("link", name="Edit dates").press("Enter")
        expect(tool.get_by_role("heading", name="Edit checkpoint", level=1)).to_be_visible(timeout=WAIT)
        assert_accessible(frame, "the checkpoint form")
    finally:
        context.close()
