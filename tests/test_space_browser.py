"""A mentee and a mentor exchange messages in their private pair thread, each in their own Chromium
context, launched from the demo LMS into its iframe (issue 3, item 10).

The pair is made in a fresh course as the matching approval makes it (``test_space_support.make_pair``),
with the Five Cs prompts switched on. Each page on the way passes axe-core (no serious or critical
violations); screenshots of the LMS with the space in its iframe are kept in ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Frame, FrameLocator, expect
from sqlalchemy import select

from lti_tool.extensions import db

from .support.playwright_helpers import assert_accessible, assert_third_party_cookies_blocked, new_context, screenshot
from .test_discussions import location
from .test_space_support import pair_course

TOOL_FRAME = 'iframe[name="tool-frame"]'


def display_name(live, sub: str) -> str:
    from lti_tool.sandbox.models import SandboxUser

    with live.app.app_context():
        name = db.session.execute(select(SandboxUser.name).where(SandboxUser.sub == sub)).scalar_one()
        db.session.remove()
    return name


@pytest.fixture
def contexts(chromium) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def open_tool(chromium, contexts: list[BrowserContext], live, context_id: str, name: str):
    """A new browser context on the demo LMS course page; launch the tool as ``name``."""
    context = new_context(chromium)
    contexts.append(context)
    page = context.new_page()
    page.goto(f"{live.lms_url}/sandbox/?context={context_id}")
    page.get_by_role("button", name=f"Open as {name}").click()
    tool = page.frame_locator(TOOL_FRAME)
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    frame = page.frame(name="tool-frame")
    assert frame is not None
    return page, tool, frame


def go_to_space(tool: FrameLocator, frame: Frame, partner: str, label: str) -> None:
    card = tool.locator("#spaces-card")
    expect(card).to_contain_text(partner)
    card.get_by_role("link", name=partner).click()
    expect(tool.get_by_role("heading", level=1)).to_contain_text("Mentoring space of")
    assert "ts=" in frame.url, frame.url
    assert_accessible(frame, label)


def test_mentee_and_mentor_exchange_messages_in_the_lms_iframe(chromium, contexts, live):
    """Two browsers in the LMS iframe: a thread from the prompt, unread and waiting markers both ways, a stage done."""
    course = pair_course(live)
    pair = course.pairs[0]
    settings = course.coordinator.get("/spaces/prompts")
    assert location(course.coordinator.submit(settings, "form.prompt-settings", {"kind": "five_cs"}))
    mentee_name, mentor_name = display_name(live, pair.mentee_sub), display_name(live, pair.mentor_sub)

    # The mentee opens the space from the home page and starts a thread from the current prompt.
    mentee_page, mentee, mentee_frame = open_tool(chromium, contexts, live, course.context_id, mentee_name)
    go_to_space(mentee, mentee_frame, mentor_name, "the pair's space (mentee)")
    assert_third_party_cookies_blocked(mentee_page.context, mentee_page, mentee_frame)
    expect(mentee.locator("#confidentiality")).to_contain_text("not moderated")
    expect(mentee.locator("#current-stage")).to_contain_text("Challenges")
    mentee.get_by_role("link", name="Start a thread on this").click()
    expect(mentee.get_by_label("Title")).to_have_value("Challenges")
    assert_accessible(mentee_frame, "the new private thread form")
    mentee.get_by_label("Your post").fill("My challenge: I **freeze** in interviews. Any advice?")
    mentee.get_by_role("button", name="Post thread").click()
    expect(mentee.get_by_role("heading", name="Challenges", level=1)).to_be_visible()
    expect(mentee.locator("article.post").first.locator("strong")).to_have_text("freeze")
    assert_accessible(mentee_frame, "the private thread (mentee)")

    # The mentor sees the new message and that it waits for their reply, then answers.
    mentor_page, mentor, mentor_frame = open_tool(chromium, contexts, live, course.context_id, mentor_name)
    go_to_space(mentor, mentor_frame, mentee_name, "the pair's space with a new message (mentor)")
    row = mentor.locator("tr.thread-row").first
    expect(row.locator(".unread-count")).to_have_text("1 new")
    expect(row.locator(".waiting")).to_have_text("waiting for your reply")
    mentor_frame.evaluate("document.getElementById('threads').scrollIntoView()")
    screenshot(mentor_page, "space-mentor-unread")
    row.get_by_role("link", name="Challenges").click()
    expect(mentor.locator("article.post.unread")).to_have_count(1)
    expect(mentor.locator("article.post .badge.new")).to_have_text("new")
    mentor.get_by_label("Your reply").fill("Practise out loud with me next week: we'll do a mock interview.")
    mentor.get_by_role("button", name="Post reply").click()
    expect(mentor.locator("article.post")).to_have_count(2)
    assert_accessible(mentor_frame, "the private thread after the mentor's reply")
    mentor_frame.evaluate("window.scrollTo(0, 0)")
    screenshot(mentor_page, "space-thread-mentor")

    # Back in the mentee's browser: the reply is new and waits for them.
    mentee.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Mentoring space of").click()
    row = mentee.locator("tr.thread-row").first
    expect(row.locator(".unread-count")).to_have_text("1 new")
    expect(row.locator(".waiting")).to_be_visible()
    mentee_frame.evaluate("document.getElementById('threads').scrollIntoView()")
    screenshot(mentee_page, "space-mentee-reply-waiting")
    row.get_by_role("link", name="Challenges").click()
    expect(mentee.locator("article.post.unread")).to_have_count(1)
    expect(mentee.locator("article.post.unread")).to_contain_text("mock interview")
    mentee.get_by_label("Your reply").fill("Deal, thank you!")
    mentee.get_by_role("button", name="Post reply").click()
    expect(mentee.locator("article.post")).to_have_count(3)
    mentee.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Mentoring space of").click()
    expect(mentee.locator("tr.thread-row .waiting")).to_have_count(0)
    mentee.get_by_role("button", name="Mark “Challenges” done and move on").click()
    expect(mentee.get_by_role("status")).to_contain_text("Stage marked done")
    expect(mentee.locator("#current-stage")).to_contain_text("Choices")
    assert_accessible(mentee_frame, "the space after a stage is done")
    mentee_frame.evaluate("document.getElementById('space-title').scrollIntoView()")
    screenshot(mentee_page, "space-mentee-prompt")


def test_coordinator_pairs_overview_and_prompts_pages(chromium, contexts, live):
    """The coordinator's Pairs overview (metadata only) and the prompts page pass axe-core."""
    course = pair_course(live)
    page, tool, frame = open_tool(chromium, contexts, live, course.context_id, "Dr. Ada Okafor")
    tool.locator("#spaces-card").get_by_role("link", name="Pairs overview").click()
    expect(tool.get_by_role("heading", name="Pairs", level=1)).to_be_visible()
    expect(tool.locator("#pairs-table tbody tr")).to_have_count(1)
    assert_accessible(frame, "the pairs overview")
    frame.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "space-pairs-overview")
    tool.locator("#pairs-table tbody tr a").first.click()
    expect(tool.locator("#metadata-only")).to_be_visible()
    assert_accessible(frame, "a pair's space seen by an unmoderated coordinator")
    tool.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Pairs").click()
    tool.get_by_role("link", name="Prompts for pairs").click()
    expect(tool.get_by_role("heading", name="Prompts for pairs", level=1)).to_be_visible()
    assert_accessible(frame, "the prompts page")
    tool.get_by_label("A weekly schedule").check()
    tool.get_by_label("Week number").fill("1")
    tool.get_by_label("Starts on (optional)").fill("2026-01-05")
    tool.get_by_label("Topic", exact=True).fill("Getting to know each other")
    tool.get_by_label("Guidance (optional, Markdown)").fill("Share *three* things about yourself.")
    tool.get_by_role("button", name="Save prompts").click()
    expect(tool.get_by_role("status")).to_contain_text("Saved.")
    expect(tool.get_by_label("Topic", exact=True).first).to_have_value("Getting to know each other")
    assert_accessible(frame, "the prompts page with a weekly schedule")
    frame.evaluate("document.getElementById('weeks').scrollIntoView()")
    screenshot(page, "space-prompts")


def test_group_mentee_writes_a_commitment_in_the_lms_iframe(chromium, contexts, live):
    """A group at the Five Cs' Conclusions: a mentee sees who has written a commitment, writes theirs from
    the form and can change it while the others have not; the page passes axe-core in each state."""
    from .test_space_commitments import commit, group_at_conclusions

    group = group_at_conclusions(live)
    assert location(commit(group.mentees[1], group, "I will update my CV by Friday"))
    name = display_name(live, group.mentee_subs[0])
    page, tool, frame = open_tool(chromium, contexts, live, group.context_id, name)
    card = tool.locator("#spaces-card")
    card.get_by_role("link", name="Career circle").click()
    expect(tool.get_by_role("heading", level=1)).to_contain_text("Mentoring group: Career circle")
    status = tool.locator("#commitment-status")
    expect(status).to_contain_text("1 of 3 commitments written")
    expect(status.locator("li.not-committed")).to_have_count(2)
    assert_accessible(frame, "a group's Conclusions stage before the mentee's commitment")
    tool.get_by_label("My commitment to action").fill("I will ask two alumni for a chat")
    tool.get_by_role("button", name="Save my commitment", exact=True).click()
    expect(tool.get_by_role("status")).to_contain_text("Your commitment is saved")
    expect(status).to_contain_text("2 of 3 commitments written")
    expect(tool.get_by_label("My commitment to action")).to_have_value("I will ask two alumni for a chat")
    expect(tool.locator("#commitment-shown figure")).to_have_count(2)
    assert_accessible(frame, "a group's Conclusions stage after the mentee's commitment")
    tool.locator("#prompt").scroll_into_view_if_needed()
    screenshot(page, "space-group-commitments")
