"""The program pages in real Chromium inside the demo LMS iframe: time zone detection and axe-core checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .support.playwright_helpers import assert_accessible, screenshot

STUDENT = "Kwame Mensah"
INSTRUCTOR = "Dr. Ada Okafor"
TOOL_FRAME = 'iframe[name="tool-frame"]'


@pytest.fixture
def lms_page(chromium, live) -> Iterator[Page]:
    """The demo LMS course page in a fresh context whose clock runs in Brazil (America/Sao_Paulo)."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="America/Sao_Paulo"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live.lms_url}/sandbox/")
    yield page
    context.close()


def _open(page: Page, person: str):
    page.get_by_role("button", name=f"Open as {person}").click()
    tool = page.frame_locator(TOOL_FRAME)
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    frame = page.frame(name="tool-frame")
    assert frame is not None
    return tool, frame


def test_profile_detects_the_time_zone_and_stays_accessible(lms_page, live):
    """The profile page preselects the browser's time zone and passes axe-core, also when it shows errors."""
    page = lms_page
    tool, frame = _open(page, STUDENT)
    tool.get_by_role("navigation").get_by_role("link", name="My profile").click()
    expect(tool.get_by_role("heading", name="Your profile", level=1)).to_be_visible()
    zone = tool.get_by_label("Your time zone")
    if frame.locator("select[data-detect-time-zone]").count():
        expect(zone).to_have_value("America/Sao_Paulo")
    assert_accessible(frame, "the profile page")
    screenshot(page, "program-profile")

    zone.select_option("Europe/Lisbon")
    tool.locator("#slot0_day").select_option(label="Tuesday")
    tool.get_by_label("From").first.fill("20:00")
    tool.get_by_label("To", exact=True).first.fill("19:00")
    tool.get_by_role("button", name="Save profile").click()
    expect(tool.locator("#slot0-error")).to_have_text("The slot must end after it starts.")
    expect(zone).to_have_value("Europe/Lisbon")
    assert_accessible(frame, "the profile page with errors")


def test_coordinator_pages_are_accessible(lms_page, live):
    """The settings page (also with an error) and the mentors page pass axe-core inside the LMS iframe."""
    page = lms_page
    tool, frame = _open(page, INSTRUCTOR)
    tool.get_by_role("navigation").get_by_role("link", name="Program settings").click()
    expect(tool.get_by_role("heading", name="Program settings", level=1)).to_be_visible()
    assert_accessible(frame, "the program settings page")
    screenshot(page, "program-settings")
    tool.get_by_label("Group size (people)").fill("many")
    tool.get_by_role("button", name="Save settings").click()
    expect(tool.locator("#group_size-error")).to_have_text("Enter a whole number from 2 to 20.")
    expect(tool.get_by_label("Group size (people)")).to_have_value("many")
    assert_accessible(frame, "the program settings page with an error")

    tool.get_by_role("navigation").get_by_role("link", name="Mentors").click()
    expect(tool.get_by_role("heading", name="Mentors", level=1)).to_be_visible()
    assert_accessible(frame, "the mentors page")
    screenshot(page, "program-mentors")
