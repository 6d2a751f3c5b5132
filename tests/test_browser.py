"""Mentoring Space in a real browser, inside the demo LMS's iframe, with third-party cookies blocked.

Debian's Chromium (Playwright drives it; never ``playwright install``) opens the demo LMS course page at
``http://localhost:PORT/sandbox/`` and launches the tool at ``http://127.0.0.1:PORT`` in its iframe, a
different site. Every page visited is checked with axe-core, and full-page screenshots of the LMS with the
tool inside are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Frame, FrameLocator, Page, expect

from .support.playwright_helpers import (
    assert_accessible,
    assert_third_party_cookies_blocked,
    new_context,
    screenshot,
)

STUDENT = "Liam O'Brien"
INSTRUCTOR = "Dr. Ada Okafor"
TOOL_FRAME = 'iframe[name="tool-frame"]'
SESSION_ENDED = re.compile("session has ended", re.IGNORECASE)


@pytest.fixture
def lms_page(chromium, live) -> Iterator[Page]:
    """The demo LMS course page in a fresh browser context (no cookies from earlier tests)."""
    context = new_context(chromium)
    page = context.new_page()
    page.goto(f"{live.lms_url}/sandbox/")
    yield page
    context.close()


def open_tool_as(page: Page, live, person: str) -> tuple[FrameLocator, Frame]:
    """Click "Open as <person>" and wait for the tool's first page inside the iframe (after the whole
    OIDC login → platform auth → launch hand-off)."""
    page.get_by_role("button", name=f"Open as {person}").click()
    tool = page.frame_locator(TOOL_FRAME)
    # Four hand-offs (start, login, platform auth, launch): allow for a busy CI machine.
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    frame = page.frame(name="tool-frame")
    assert frame is not None
    assert frame.url.startswith(f"{live.tool_url}/space/"), frame.url
    assert "ts=" in frame.url, f"the tool page carries no session token: {frame.url}"
    return tool, frame


def assert_session_intact(tool: FrameLocator, frame: Frame, live) -> None:
    expect(tool.locator("body")).not_to_contain_text(SESSION_ENDED)
    assert frame.url.startswith(live.tool_url), frame.url
    assert "ts=" in frame.url, f"the link lost the session token: {frame.url}"


def test_student_opens_the_tool_in_the_lms_iframe_and_follows_a_link_without_cookies(lms_page, live):
    """A student launches from the LMS course page; the tool's own links keep the session with no cookie."""
    page = lms_page
    assert_accessible(page, "the demo LMS course page")

    tool, frame = open_tool_as(page, live, STUDENT)
    expect(tool.get_by_text(f"Welcome, {STUDENT}.")).to_be_visible()
    expect(tool.locator("header .who")).to_contain_text(STUDENT)
    assert_third_party_cookies_blocked(page.context, page, frame)
    assert_accessible(page, "the demo LMS page with the tool open")
    assert_accessible(frame, "the tool's home page (student)")
    screenshot(page, "student-home")

    tool.get_by_role("navigation").get_by_role("link", name="About this space").click()
    expect(tool.get_by_role("heading", name="About this space", level=1)).to_be_visible()
    assert_session_intact(tool, frame, live)
    expect(tool.locator("header .who")).to_contain_text(STUDENT)
    assert "/space/about" in frame.url
    assert_third_party_cookies_blocked(page.context, page, frame)
    assert_accessible(frame, "the tool's About page (student)")
    screenshot(page, "student-about")


def test_instructor_launches_and_opens_people(lms_page, live):
    """An instructor launches as coordinator and opens People, where they are listed."""
    page = lms_page
    tool, frame = open_tool_as(page, live, INSTRUCTOR)
    expect(tool.get_by_text("You coordinate the mentoring program of this course.")).to_be_visible()
    assert_third_party_cookies_blocked(page.context, page, frame)
    assert_accessible(frame, "the tool's home page (coordinator)")
    screenshot(page, "instructor-home")

    tool.get_by_role("navigation").get_by_role("link", name="People").click()
    expect(tool.get_by_role("heading", name="People in this course", level=1)).to_be_visible()
    assert_session_intact(tool, frame, live)
    assert "/space/people" in frame.url
    expect(tool.get_by_role("rowheader", name=INSTRUCTOR)).to_be_visible()
    assert_accessible(frame, "the tool's People page (coordinator)")
    screenshot(page, "instructor-people")
