"""The People page's roster sync in a real browser, inside the demo LMS's iframe without cookies:
job-progress.js polls the job and updates the polite status region without reloading the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Page, expect

from .support.playwright_helpers import (
    ARTIFACTS,
    assert_accessible,
    new_context,
    screenshot,
)

INSTRUCTOR = "Dr. Ada Okafor"
TOOL_FRAME = 'iframe[name="tool-frame"]'
CONTEXT = "roster-browser"


@pytest.fixture
def slow_nrps(live):
    """Each NRPS page takes a while, so the sync is still running when the page first shows it."""
    requests.post(
        live.lms_url + "/sandbox/faults", json={"latency_ms": 400, "endpoints": ["nrps"]}, timeout=10
    ).raise_for_status()
    yield
    requests.delete(live.lms_url + "/sandbox/faults", timeout=10)


@pytest.fixture
def lms_page(chromium, live) -> Iterator[Page]:
    resp = requests.post(
        live.lms_url + "/sandbox/api/courses", json={"context_id": CONTEXT, "students": 200}, timeout=60
    )
    assert resp.status_code == 201, resp.text
    context = new_context(chromium)
    page = context.new_page()
    page.goto(f"{live.lms_url}/sandbox/?context={CONTEXT}")
    yield page
    context.close()


def test_sync_progress_updates_in_place(lms_page, live, slow_nrps):
    """Pressing "Sync roster now" shows a progress bar that the script moves to "Roster synced" in place."""
    page = lms_page
    page.get_by_role("button", name=f"Open as {INSTRUCTOR}").click()
    tool = page.frame_locator(TOOL_FRAME)
    expect(tool.get_by_role("heading", name="Mentoring space", exact=True)).to_be_visible(timeout=15_000)
    tool.get_by_role("navigation").get_by_role("link", name="People").click()
    expect(tool.get_by_role("heading", name="People in this course", level=1)).to_be_visible()
    expect(tool.get_by_text("The roster has not been synced with the LMS yet.")).to_be_visible()

    tool.get_by_role("button", name="Sync roster now").click()
    status = tool.locator("#roster-sync-status")
    expect(status.locator("progress")).to_be_visible()
    frame = page.frame(name="tool-frame")
    assert frame is not None and "job=" in frame.url
    url_while_running = frame.url
    ARTIFACTS.mkdir(exist_ok=True)
    tool.locator("#roster-sync").screenshot(path=ARTIFACTS / "roster-sync-running.png")
    assert_accessible(frame, "the People page with a sync running")
    expect(status).to_contain_text("Roster synced: 202 active members", timeout=30_000)
    expect(status.locator("progress")).to_have_count(0)
    assert frame.url == url_while_running, "the script updated the page in place, no reload"
    expect(tool.locator("#roster-last-sync")).to_have_text("Last synced just now.")
    expect(tool.get_by_role("link", name="Show the updated list")).to_be_visible()
    tool.locator("#roster-sync").screenshot(path=ARTIFACTS / "roster-sync-done.png")
    screenshot(page, "roster-synced")

    tool.get_by_role("link", name="Show the updated list").click()
    expect(tool.locator("#roster-last-sync")).to_contain_text("Last synced")
    expect(tool.locator("table tbody tr")).to_have_count(202)
