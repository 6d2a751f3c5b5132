"""The coordinator's dashboard and a pair's timeline in Chromium inside the demo LMS iframe: axe-core checks
and screenshots in ``test-artifacts/`` (``dashboard.png``, ``dashboard-timeline.png``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from .support.playwright_helpers import assert_accessible, new_context, screenshot
from .test_dashboard_activity import hold_meeting, set_goal
from .test_dashboard_support import paired_course, sandbox_name, set_approved_at, write_posts

TOOL_FRAME = 'iframe[name="tool-frame"]'


@pytest.fixture
def lms_context(chromium) -> Iterator:
    context = new_context(chromium)
    yield context
    context.close()


def test_dashboard_and_timeline_in_the_lms_iframe(lms_context, live, browser):
    """A course with active, silent and never-started pairs and an unmatched mentee: the dashboard (figures,
    at-risk list, charts, pairs) and a pair's timeline pass axe-core inside the LMS iframe."""
    scenario = paired_course(live, browser, mentors=2, mentees=5, capacity=2)
    assert len(scenario.pairs) == 4
    now = datetime.now(UTC)
    first, second, third, fourth = scenario.pairs
    for pair in scenario.pairs:
        set_approved_at(live, pair, now - timedelta(days=40))
    write_posts(
        live,
        scenario.course_id,
        first,
        [
            ("mentee", now - timedelta(days=30)),
            ("mentor", now - timedelta(days=29, hours=20)),
            ("mentee", now - timedelta(days=9)),
            ("mentor", now - timedelta(days=8, hours=22)),
            ("mentee", now - timedelta(days=2)),
            ("mentor", now - timedelta(days=1, hours=21)),
        ],
    )
    write_posts(
        live, scenario.course_id, second, [("mentor", now - timedelta(days=33)), ("mentee", now - timedelta(days=31))]
    )
    write_posts(
        live, scenario.course_id, third, [("mentee", now - timedelta(days=6)), ("mentor", now - timedelta(days=5))]
    )
    hold_meeting(live, scenario, first, days_ago=12)
    hold_meeting(live, scenario, third, days_ago=4, title="Portfolio review")
    set_goal(live, scenario, first, title="Draft a CV", due_in_days=12)
    set_goal(live, scenario, second, title="Apply for two internships", due_in_days=-4)
    instructor = sandbox_name(live, scenario.course.instructor)

    page: Page = lms_context.new_page()
    page.goto(f"{live.lms_url}/sandbox/?context={scenario.course.context_id}")
    page.get_by_role("button", name=f"Open as {instructor}").click()
    tool = page.frame_locator(TOOL_FRAME)
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    frame = page.frame(name="tool-frame")
    assert frame is not None

    tool.get_by_role("navigation").get_by_role("link", name="Dashboard").click()
    expect(tool.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(tool.locator("#stat-pairs .stat-value")).to_have_text("4")
    expect(tool.locator(f"#risk-pair-{second.id}")).to_contain_text("No contact for 31 days")
    expect(tool.locator(f"#risk-pair-{fourth.id}")).to_contain_text("No contact since they were matched")
    expect(tool.locator("#risk-table tr[data-person]")).to_have_count(1)
    expect(tool.get_by_role("img", name="Posts in pair threads per week")).to_be_visible()
    assert "ts=" in frame.url
    assert_accessible(frame, "the coordinator's dashboard")
    tool.locator("#chart-contact summary").click()
    expect(tool.locator("#chart-contact table")).to_be_visible()
    assert_accessible(frame, "the dashboard with a chart's numbers open")
    tool.locator("#chart-contact summary").click()
    frame.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "dashboard")
    _full_page(lms_context, frame.url, "dashboard-page")

    tool.locator(f"#pair-{first.id} th a").click()
    expect(tool.get_by_role("heading", level=1)).to_contain_text(" with ")
    expect(tool.locator("#timeline li")).to_have_count(1 + 6 + 2 + 1)  # approved, posts, meeting, goal
    expect(tool.locator("#privacy-note")).to_contain_text("not moderated")
    assert_accessible(frame, "a pair's timeline")
    screenshot(page, "dashboard-timeline")
    _full_page(lms_context, frame.url, "dashboard-timeline-page")


def _full_page(context, url: str, name: str) -> None:
    """The tool page on its own, top level and full length (the LMS shot shows only the iframe's viewport)."""
    from .support.playwright_helpers import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page = context.new_page()
    try:
        page.goto(url)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        page.close()
