"""A student accepts the ground rules and posts in a forum, in Chromium, inside the demo LMS's iframe.

Third-party cookies are blocked (the tool runs on 127.0.0.1 inside the LMS page on localhost), every page
on the way is checked with axe-core (no serious or critical violations), and a screenshot of the LMS with
the thread in its iframe is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .support.demo import people
from .support.playwright_helpers import (
    assert_accessible,
    assert_third_party_cookies_blocked,
    new_context,
    screenshot,
)
from .test_discussions import actor, create_topic

STUDENT = "Kwame Mensah"
TOOL_FRAME = 'iframe[name="tool-frame"]'


@pytest.fixture
def lms_page(chromium, live) -> Iterator[Page]:
    context = new_context(chromium)
    page = context.new_page()
    page.goto(f"{live.lms_url}/sandbox/")
    yield page
    context.close()


def test_student_accepts_rules_and_posts_in_the_lms_iframe(lms_page, live):
    """Discussions → ground rules → accept → topic → new thread with Markdown → the post, rendered."""
    topic_title = f"Introductions {uuid.uuid4().hex[:4]}"
    coordinator = actor(live, people(live.app, "instructor")[0])
    create_topic(coordinator, topic_title)

    page = lms_page
    page.get_by_role("button", name=f"Open as {STUDENT}").click()
    tool = page.frame_locator(TOOL_FRAME)
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    frame = page.frame(name="tool-frame")
    assert frame is not None

    tool.get_by_role("navigation").get_by_role("link", name="Discussions").click()
    expect(tool.get_by_role("heading", name="Ground rules", level=1)).to_be_visible()
    expect(tool.get_by_text("Safety comes before confidentiality", exact=False)).to_be_visible()
    assert "ts=" in frame.url, frame.url
    assert_third_party_cookies_blocked(page.context, page, frame)
    assert_accessible(frame, "the ground rules (student)")

    tool.get_by_role("button", name="I accept these ground rules").click()
    expect(tool.get_by_role("heading", name="Discussions", level=1)).to_be_visible()
    expect(tool.get_by_role("status")).to_contain_text("Thank you for accepting the ground rules.")
    assert_accessible(frame, "the discussion topics (student)")

    tool.get_by_role("link", name=topic_title).click()
    expect(tool.get_by_role("heading", name=topic_title, level=1)).to_be_visible()
    tool.get_by_role("link", name="Start a thread").click()
    expect(tool.get_by_role("heading", name=f"Start a thread in {topic_title}")).to_be_visible()
    assert_accessible(frame, "the new thread form (student)")
    tool.get_by_label("Title").fill("Hello from Kwame")
    tool.get_by_label("Your post").fill("I am **excited** to start. See [my notes](https://example.org/notes).")
    tool.get_by_role("button", name="Post thread").click()

    expect(tool.get_by_role("heading", name="Hello from Kwame", level=1)).to_be_visible()
    post = tool.locator("article.post").first
    expect(post.locator("strong")).to_have_text("excited")
    expect(post.get_by_role("link", name="my notes")).to_have_attribute("rel", "nofollow noopener noreferrer")
    expect(post.get_by_role("heading", level=3)).to_contain_text(STUDENT)
    assert "ts=" in frame.url and frame.url.startswith(live.tool_url), frame.url
    assert_third_party_cookies_blocked(page.context, page, frame)
    assert_accessible(frame, "the thread with the student's post")

    # A refused reply keeps the text and announces the problem.
    tool.get_by_label("Your reply").fill("   ")
    tool.get_by_role("button", name="Post reply").click()
    expect(tool.get_by_role("alert")).to_contain_text("cannot be empty")
    assert_accessible(frame, "the thread with a refused reply")
    tool.get_by_label("Your reply").fill("Looking forward to meeting everyone.")
    tool.get_by_role("button", name="Post reply").click()
    expect(tool.locator("article.post")).to_have_count(2)
    frame.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "discussions-thread")


def test_coordinator_pages_are_accessible(lms_page, live):
    """The coordinator creates a topic, reads who accepted the rules, opens the rules editor and the
    moderation page, and locks a thread: each page passes axe-core."""
    page = lms_page
    page.get_by_role("button", name="Open as Dr. Ada Okafor").click()
    tool = page.frame_locator(TOOL_FRAME)
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    frame = page.frame(name="tool-frame")
    assert frame is not None

    tool.get_by_role("navigation").get_by_role("link", name="Discussions").click()
    expect(tool.get_by_role("heading", name="Discussions", level=1)).to_be_visible()
    assert_accessible(frame, "the discussion topics (coordinator)")
    tool.get_by_role("link", name="New topic").click()
    title = f"Announcements {uuid.uuid4().hex[:4]}"
    tool.get_by_label("Title").fill(title)
    tool.get_by_label("Description").fill("News from the coordinators")
    assert_accessible(frame, "the topic form")
    tool.get_by_role("button", name="Save topic").click()
    expect(tool.get_by_role("heading", name=title, level=1)).to_be_visible()
    tool.get_by_role("link", name="Start a thread").click()
    tool.get_by_label("Title").fill("Welcome")
    tool.get_by_label("Your post").fill("Welcome to the program!")
    tool.get_by_role("button", name="Post thread").click()
    expect(tool.get_by_role("heading", name="Moderate this thread")).to_be_visible()
    assert_accessible(frame, "a thread with moderation controls")
    tool.get_by_label("Reason (recorded in the moderation log)").fill("Announcements only")
    tool.get_by_role("button", name="Lock thread").click()
    expect(tool.get_by_role("button", name="Unlock thread")).to_be_visible()

    tool.get_by_role("link", name="Discussions", exact=True).first.click()
    tool.get_by_role("main").get_by_role("link", name="Ground rules").click()
    expect(tool.get_by_role("heading", name="Who accepted")).to_be_visible()
    assert_accessible(frame, "the ground rules with acceptances (coordinator)")
    tool.get_by_role("link", name="Edit the ground rules").click()
    expect(tool.get_by_role("heading", name="Edit the ground rules", level=1)).to_be_visible()
    assert_accessible(frame, "the ground rules editor")
    tool.get_by_role("navigation").get_by_role("link", name="Discussions").click()
    tool.get_by_role("link", name="Moderation").click()
    expect(tool.get_by_role("heading", name="Moderation log")).to_be_visible()
    expect(tool.locator("table.moderation-log")).to_contain_text("Announcements only")
    assert_accessible(frame, "the moderation page")
    frame.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "discussions-moderation")
