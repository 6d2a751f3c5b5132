"""The matching review page in real Chromium inside the demo LMS iframe: pairs with reasons, editing a pair,
the "I know" confirmation, and a group proposal; every state passes axe-core, screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from .support.playwright_helpers import assert_accessible, new_context, screenshot
from .test_matching_edits import _setup
from .test_matching_groups import _group_program
from .test_program_support import enter, open_page

TOOL_FRAME = 'iframe[name="tool-frame"]'
INSTRUCTOR = "Dr. Ada Okafor"


@pytest.fixture
def contexts(chromium) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def _open_matching(chromium, contexts, live, context_id: str):
    context = new_context(chromium)
    contexts.append(context)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto(f"{live.lms_url}/sandbox/?context={context_id}")
    page.get_by_role("button", name=f"Open as {INSTRUCTOR}").click()
    tool = page.frame_locator(TOOL_FRAME)
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    tool.get_by_role("navigation").get_by_role("link", name="Matching").click()
    expect(tool.get_by_role("heading", name="Matching", level=1)).to_be_visible()
    frame = page.frame(name="tool-frame")
    assert frame is not None
    return page, tool, frame


def test_review_page_edit_and_confirm_in_the_lms_iframe(chromium, contexts, live, browser):
    course, _coordinator, _token, ids = _setup(live, browser)
    page, tool, frame = _open_matching(chromium, contexts, live, course.context_id)
    tool.get_by_role("button", name="Run matching").click()
    expect(tool.locator("#matching-notice")).to_contain_text("Matching finished.")
    expect(tool.locator("#pair-table tbody tr")).to_have_count(3)
    assert_accessible(frame, "the matching review page")

    # Take one pair out, then give its mentee another mentor from the disclosure: score and reasons shown.
    tool.locator("#pair-table tbody tr").first.get_by_role("button", name="Remove").click()
    expect(tool.locator("#matching-notice")).to_have_text("Removed from the proposal.")
    details = tool.locator("details.pair-edit").first
    details.locator("summary").click()
    expect(details.locator(".candidate-reasons li").first).to_be_visible()
    assert_accessible(frame, "the matching review page with a pair being edited")
    screenshot(page, "matching-review-edit")
    spanish = tool.locator(f"#unmatched-{ids[course.students[5]]}")
    expect(spanish).to_contain_text("no mentor speaks any of their languages")
    spanish.get_by_role("button", name="Add pair").click()
    expect(tool.locator("#matching-error")).to_contain_text("I know")
    assert_accessible(frame, "the matching review page with a rule warning")
    spanish = tool.locator(f"#unmatched-{ids[course.students[5]]}")
    spanish.get_by_label("I know, make this change anyway").check()
    spanish.get_by_role("button", name="Add pair").click()
    expect(tool.locator("#matching-notice")).to_contain_text("pinned")
    expect(tool.locator("#pair-table tbody tr td[data-state=pinned]")).to_have_count(1)
    screenshot(page, "matching-review-pinned")
    tool.get_by_role("button", name="Approve").click()
    expect(tool.locator("#matching-notice")).to_have_text("Pairs approved.")
    tool.get_by_role("link", name="Pairing history").click()
    expect(tool.get_by_role("heading", name="Pairing history", level=1)).to_be_visible()
    expect(tool.locator("#history-table tbody tr")).to_have_count(3)
    assert_accessible(frame, "the pairing history page")


def test_group_review_page_in_the_lms_iframe(chromium, contexts, live, browser):
    course, _coordinator, _token = _group_program(live, browser, n_students=6, structure="group", group_size="3")
    for index in (0, 1):
        student, token = enter(live, course, course.students[index])
        page = open_page(student, "/program/profile", token)
        from .test_program_support import submit

        assert submit(student, page, "/program/profile", offer_mentor="1", capacity="2", time_zone="UTC").status == 200
    coordinator, token = enter(live, course, course.instructor)
    mentors = open_page(coordinator, "/program/mentors", token)
    from .test_matching_groups import _post
    from .test_program_support import participant_of

    for index in (0, 1):
        row = participant_of(live, course.context_id, course.students[index])
        mentors = _post(coordinator, mentors, f"/program/mentors/{row.id}/decision", decision="approve")
    for index in range(2, 6):
        student, token = enter(live, course, course.students[index])
        open_page(student, "/space/", token)

    page, tool, frame = _open_matching(chromium, contexts, live, course.context_id)
    tool.get_by_role("button", name="Run matching").click()
    expect(tool.locator("section.match-group")).to_have_count(2)
    assert_accessible(frame, "the group review page")
    tool.locator("section.match-group").first.scroll_into_view_if_needed()
    screenshot(page, "matching-review-groups")


def test_including_roster_students_in_the_lms_iframe(chromium, contexts, live, browser):
    """The coordinator opens "Or choose whom to include", ticks a student by their label and includes them;
    the list, the refusal of an empty choice and the result all pass axe-core."""
    from .test_program_support import fresh_course
    from .test_roster import click_sync, wait_for_job

    course = fresh_course(live, browser, n_students=3)
    coordinator, token = enter(live, course, course.instructor)
    assert wait_for_job(coordinator, click_sync(coordinator, token), token)["status"] == "succeeded"
    review = open_page(coordinator, "/matching/", token)
    first = review.soup.select_one("#include-chosen-form fieldset label").get_text(strip=True)

    page, tool, frame = _open_matching(chromium, contexts, live, course.context_id)
    expect(tool.locator("#not-yet-in-program")).to_contain_text("3 students in the course roster")
    tool.locator("#include-some summary").click()
    chooser = tool.get_by_role("group", name="Students to include in matching")
    expect(chooser.get_by_role("checkbox")).to_have_count(3)
    assert_accessible(frame, "the matching review page with roster students to include")
    screenshot(page, "matching-include-roster")
    tool.get_by_role("button", name="Include the chosen students").click()
    expect(tool.locator("#matching-error")).to_contain_text("Choose at least one person to include.")
    assert_accessible(frame, "the matching review page refusing an empty choice")
    tool.get_by_role("group", name="Students to include in matching").get_by_label(first).check()
    tool.get_by_role("button", name="Include the chosen students").click()
    expect(tool.locator("#matching-notice")).to_have_text(
        "1 person from the course roster is now included in matching."
    )
    expect(tool.locator("#not-yet-in-program")).to_contain_text("2 students in the course roster")
    assert_accessible(frame, "the matching review page after including a student")
