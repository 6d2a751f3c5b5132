"""The demo LMS's own pages and scripts in a real browser (Debian's Chromium via Playwright).

Checks what only a browser can: the dynamic registration dialog closing on the tool's
``org.imsglobal.lti.close`` message, the LTI client-side postMessage storage answered to the tool frame's
origin, the hand-off forms submitting themselves under the strict CSP, and axe-core on each LMS page.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .support.playwright_helpers import assert_accessible, new_context

TOOL_FRAME = 'iframe[name="tool-frame"]'


@pytest.fixture
def page(chromium) -> Iterator[Page]:
    context = new_context(chromium)
    errors: list[str] = []
    tab = context.new_page()
    tab.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    yield tab
    context.close()
    assert not errors, f"CSP violations: {errors}"


@pytest.mark.parametrize("path", ["/sandbox/?flavour=canvas", "/sandbox/gradebook", "/sandbox/mailbox"])
def test_lms_pages_are_accessible(page, live, path):
    """The course, gradebook and mailbox pages have no serious or critical axe-core violations."""
    page.goto(live.lms_url + path)
    assert_accessible(page, path)


def test_dynamic_registration_dialog_closes_on_the_tools_message(page, live):
    """Add tool by URL opens the tool in a dialog; its close message shuts the dialog and lists the new tool."""
    page.goto(f"{live.lms_url}/sandbox/blackboard/tools")
    assert_accessible(page, "the tools page")
    rows_before = page.locator("table.data tbody tr").count()
    page.get_by_label("Tool registration URL").fill(live.tool_url + "/lti/register")
    page.get_by_role("button", name="Add tool").click()
    dialog = page.locator("#registration-dialog")
    expect(dialog).to_be_visible()
    frame = page.frame_locator("#registration-frame")
    frame.get_by_role("button", name="Close and return to the LMS").click()
    expect(page.locator("#registration-dialog")).to_have_count(0)
    assert page.url == f"{live.lms_url}/sandbox/blackboard/tools"
    expect(page.locator("table.data tbody tr")).to_have_count(rows_before + 1)


def test_platform_storage_answers_the_tool_frame_per_origin(page, live):
    """lti.capabilities, lti.put_data and lti.get_data are answered to the tool frame's own origin."""
    page.goto(live.lms_url + "/sandbox/?flavour=canvas")
    page.locator(TOOL_FRAME).evaluate("(f, url) => { f.src = url; }", live.tool_url + "/.well-known/jwks.json")
    page.wait_for_function(
        "() => document.querySelector('iframe[name=\"tool-frame\"]').contentWindow.length !== undefined"
    )
    frame = page.frame(name="tool-frame")
    frame.wait_for_url(live.tool_url + "/.well-known/jwks.json")
    ask = """async (messages) => {
        const answers = [];
        for (const message of messages) {
            answers.push(await new Promise(resolve => {
                const listener = event => {
                    if (event.data && event.data.message_id === message.message_id) {
                        window.removeEventListener("message", listener);
                        resolve({origin: event.origin, data: event.data});
                    }
                };
                window.addEventListener("message", listener);
                window.parent.postMessage(message, "*");
            }));
        }
        return answers;
    }"""
    answers = frame.evaluate(
        ask,
        [
            {"subject": "lti.capabilities", "message_id": "m1"},
            {"subject": "lti.put_data", "message_id": "m2", "key": "state-1", "value": "nonce-1"},
            {"subject": "lti.get_data", "message_id": "m3", "key": "state-1"},
            {"subject": "lti.get_data", "message_id": "m4", "key": "unknown"},
            {"subject": "lti.unknown", "message_id": "m5"},
        ],
    )
    assert all(a["origin"] == live.lms_url for a in answers)
    capabilities = {m["subject"] for m in answers[0]["data"]["supported_messages"]}
    assert {"lti.put_data", "lti.get_data"} <= capabilities
    assert answers[1]["data"]["subject"] == "lti.put_data.response"
    assert answers[2]["data"] == {
        "subject": "lti.get_data.response",
        "message_id": "m3",
        "key": "state-1",
        "value": "nonce-1",
    }
    assert answers[3]["data"]["error"]["code"] == "bad_request"
    assert answers[4]["data"]["error"]["code"] == "unsupported_subject"


def test_deep_linking_adds_a_graded_activity_from_the_course_page(page, live):
    """An instructor picks a graded item in the tool; the LMS confirms, lists it, and adds a gradebook column."""
    page.goto(live.lms_url + "/sandbox/?flavour=blackboard")
    page.get_by_role("link", name="Add activity (deep linking)").click()
    tool = page.frame_locator(TOOL_FRAME)
    tool.get_by_role("checkbox", name="Mentoring space").uncheck()
    tool.get_by_role("checkbox", name="Final reflection").check()
    tool.get_by_role("button", name="Add to course").click()
    expect(tool.get_by_role("heading", name="Added to Mentoring 101")).to_be_visible()
    expect(tool.get_by_text("Graded · out of 100.0")).to_be_visible()
    assert_accessible(page.frame(name="tool-frame"), "the deep linking confirmation")
    tool.get_by_role("link", name="Back to the course").click()
    expect(page.get_by_role("heading", name="Mentoring 101", level=1)).to_be_visible()
    expect(page.locator(".activity-title", has_text="Final reflection").first).to_be_visible()
    page.get_by_role("navigation", name="Demo LMS").get_by_role("link", name="Gradebook").click()
    expect(page.get_by_role("columnheader", name="Final reflection").first).to_be_visible()
