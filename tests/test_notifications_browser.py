"""Email settings, course emails, the resource library and the demo mailbox in real Chromium: axe-core checks
inside the LMS iframe (and on the unsubscribe page a mail opens)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from lti_tool.models import utcnow

from .support.playwright_helpers import assert_accessible, screenshot
from .test_notifications_support import day, mailbox, make_pair, tick, unsubscribe_links

TOOL_FRAME = 'iframe[name="tool-frame"]'


@pytest.fixture
def pair_page(chromium, live, browser) -> Iterator[tuple[Page, object]]:
    """A fresh course with a pair, its demo LMS course page open in Chromium."""
    pair = make_pair(live, browser, started=utcnow() - timedelta(days=1))
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live.lms_url}/sandbox/?context={pair.course.context_id}")
    yield page, pair
    context.close()


def _open(page: Page, name: str):
    page.get_by_role("button", name=f"Open as {name}").first.click()
    tool = page.frame_locator(TOOL_FRAME)
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    frame = page.frame(name="tool-frame")
    assert frame is not None
    return tool, frame


def _name_of(live, sub: str) -> str:
    from sqlalchemy import select

    from lti_tool.extensions import db
    from lti_tool.sandbox.models import SandboxUser

    with live.app.app_context():
        name = db.session.execute(select(SandboxUser.name).where(SandboxUser.sub == sub)).scalar_one()
        db.session.remove()
    return name


def test_coordinator_pages_are_accessible(pair_page, live):
    """Resources (list, page, form with an error), email settings and course emails pass axe-core."""
    page, pair = pair_page
    tool, frame = _open(page, _name_of(live, pair.course.instructor))
    nav = tool.get_by_role("navigation", name="Mentoring space")
    nav.get_by_role("link", name="Resources").click()
    expect(tool.get_by_role("heading", name="Resources", level=1)).to_be_visible()
    assert_accessible(frame, "the resource library (coordinator)")
    screenshot(page, "resources-coordinator")
    tool.get_by_role("link", name="E-mentoring etiquette", exact=True).click()
    expect(tool.get_by_role("heading", name="E-mentoring etiquette", level=1)).to_be_visible()
    assert_accessible(frame, "a resource page")
    nav.get_by_role("link", name="Resources").click()
    tool.get_by_role("link", name="Add a link").click()
    tool.get_by_label("Title").fill("Bad link")
    tool.get_by_label("Web address (for a link)").fill("javascript:alert(1)")
    tool.get_by_role("button", name="Save").click()
    expect(tool.locator("#url-error")).to_be_visible()
    expect(tool.get_by_label("Web address (for a link)")).to_have_value("javascript:alert(1)")
    assert_accessible(frame, "the resource form with an error")

    nav.get_by_role("link", name="Email settings").click()
    expect(tool.get_by_role("heading", name="Email settings", level=1)).to_be_visible()
    assert_accessible(frame, "the email settings page")
    tool.locator("#course-emails-link").click()
    expect(tool.get_by_role("heading", name="Course emails", level=1)).to_be_visible()
    tool.get_by_label("Nudge a pair after this many days without a message").fill("lots")
    tool.get_by_role("button", name="Save").click()
    expect(tool.locator("#silence_days-error")).to_be_visible()
    assert_accessible(frame, "the course emails page with an error")
    screenshot(page, "notifications-course")


def test_participant_pages_mailbox_and_unsubscribe_are_accessible(pair_page, live):
    """A mentee's library and email settings, the demo mailbox with a real mail, and the unsubscribe page."""
    page, pair = pair_page
    tool, frame = _open(page, _name_of(live, pair.mentee_sub))
    nav = tool.get_by_role("navigation", name="Mentoring space")
    nav.get_by_role("link", name="Resources").click()
    expect(tool.get_by_role("heading", name="Resources", level=1)).to_be_visible()
    expect(tool.get_by_role("link", name="Asking good questions")).to_have_count(0)
    assert_accessible(frame, "the resource library (mentee)")
    nav.get_by_role("link", name="Email settings").click()
    tool.get_by_label("Once a week").check()
    tool.get_by_role("button", name="Save email settings").click()
    expect(tool.locator("#saved")).to_be_visible()
    expect(tool.get_by_label("Once a week")).to_be_checked()
    assert_accessible(frame, "the email settings page (saved)")
    screenshot(page, "notifications-preferences")

    tick(live, day(utcnow(), 40, 12))  # the pair has been silent: both are nudged
    page.get_by_role("link", name="Demo mailbox").first.click()
    expect(page.get_by_role("heading", name="Demo mailbox")).to_be_visible()
    assert_accessible(page, "the demo mailbox")
    link = unsubscribe_links(mailbox(live, pair.mentee_email)[0]["text"])[0]
    page.goto(link)
    expect(page.get_by_role("heading", name="Unsubscribe", level=1)).to_be_visible()
    assert_accessible(page, "the unsubscribe page")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("#unsubscribed")).to_be_visible()
    assert_accessible(page, "the unsubscribe confirmation")
