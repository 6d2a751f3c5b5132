"""A mentee in Bogotá proposes a meeting and her mentor in Tokyo accepts it, each in their own Chromium
context, launched from the demo LMS into its iframe (third-party cookies blocked).

The pair is made in a fresh course by the matching service (``matched_course``). Each page on the way passes
axe-core (no serious or critical violations); a screenshot of the LMS with the accepted meeting in its iframe
is kept in ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from .support.playwright_helpers import assert_accessible, assert_third_party_cookies_blocked, screenshot
from .test_goals_support import matched_course
from .test_space_browser import display_name, go_to_space, open_tool


@pytest.fixture
def contexts(chromium) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def test_mentee_proposes_and_mentor_accepts_a_meeting_in_the_lms_iframe(chromium, contexts, live):
    """Space page → propose (a refused form first, then 19:00 Bogotá) → the mentor sees 9:00 Tokyo → accepts."""
    course = matched_course(live, zones={0: "Asia/Tokyo", 1: "America/Bogota"})
    pair = course.pairs[0]
    mentee_name, mentor_name = display_name(live, pair.mentee_sub), display_name(live, pair.mentor_sub)

    page, mentee, frame = open_tool(chromium, contexts, live, course.context_id, mentee_name)
    go_to_space(mentee, frame, mentor_name, "the pair's space with goals and meetings (mentee)")
    mentee.locator("#meetings").get_by_role("link", name="Propose a meeting").click()
    expect(mentee.get_by_role("heading", name="Propose a meeting", level=1)).to_be_visible()
    expect(mentee.get_by_label("Time zone of these times")).to_have_value("America/Bogota")
    assert_accessible(frame, "the meeting form")

    # A first try ends before it starts: the message is announced and nothing typed is lost.
    mentee.get_by_label("What is it about?").fill("Career plan")
    mentee.get_by_label("Date", exact=True).fill("2027-03-10")
    mentee.get_by_label("Starts at").fill("19:00")
    mentee.get_by_label("Ends at").fill("18:00")
    mentee.get_by_label("Agenda").fill("- my **CV**\n- next steps")
    mentee.get_by_role("button", name="Send proposal").click()
    expect(mentee.get_by_role("alert")).to_contain_text("must end after it starts")
    expect(mentee.get_by_label("What is it about?")).to_have_value("Career plan")
    assert_accessible(frame, "the meeting form with an error")
    mentee.get_by_label("Ends at").fill("19:45")
    mentee.get_by_role("button", name="Send proposal").click()
    expect(mentee.get_by_role("heading", name="Career plan", level=1)).to_be_visible()
    expect(mentee.locator("#meeting-status")).to_contain_text("Waiting for an answer")
    expect(mentee.locator("#my-time")).to_contain_text("7:00")
    expect(mentee.locator(".partner-time")).to_contain_text("9:00")
    assert "ts=" in frame.url
    assert_third_party_cookies_blocked(page.context, page, frame)
    assert_accessible(frame, "the proposed meeting (mentee)")

    page2, mentor, frame2 = open_tool(chromium, contexts, live, course.context_id, mentor_name)
    go_to_space(mentor, frame2, mentee_name, "the pair's space with a proposal waiting (mentor)")
    mentor.locator(".waiting-answer").get_by_role("link", name="Career plan").click()
    expect(mentor.locator("#my-time")).to_contain_text("Mar 11, 2027")
    expect(mentor.locator("#my-time")).to_contain_text("9:00")
    expect(mentor.locator("#agenda strong")).to_have_text("CV")
    assert_accessible(frame2, "the meeting to answer (mentor)")
    mentor.get_by_role("button", name="Accept").click()
    expect(mentor.get_by_role("status")).to_contain_text("You accepted this meeting.")
    expect(mentor.locator("#meeting-status")).to_have_text("Accepted")
    assert_accessible(frame2, "the accepted meeting (mentor)")
    mentor.get_by_role("link", name="Add your meetings to your calendar").click()
    expect(mentor.get_by_role("heading", name="My calendar", level=1)).to_be_visible()
    expect(mentor.locator("#my-meetings")).to_contain_text("Career plan")
    assert_accessible(frame2, "the calendar page (mentor)")
    mentor.get_by_role("link", name="Career plan").click()
    expect(mentor.get_by_role("heading", name="Career plan", level=1)).to_be_visible()
    frame2.evaluate("window.scrollTo(0, 0)")
    screenshot(page2, "meetings-accepted")


def test_mentee_writes_a_goal_and_mentor_comments_in_the_lms_iframe(chromium, contexts, live):
    """Space page → Add a goal (refused once: HTML in the title) → saved with a milestone → the mentor sees it
    and comments; the goal form and the goal page pass axe-core."""
    course = matched_course(live)
    pair = course.pairs[0]
    mentee_name, mentor_name = display_name(live, pair.mentee_sub), display_name(live, pair.mentor_sub)
    page, mentee, frame = open_tool(chromium, contexts, live, course.context_id, mentee_name)
    go_to_space(mentee, frame, mentor_name, "the pair's space (mentee, goals)")
    mentee.locator("#goals").get_by_role("link", name="Add a goal").click()
    expect(mentee.get_by_role("heading", name="Add a goal", level=1)).to_be_visible()
    assert_accessible(frame, "the goal form")
    mentee.get_by_label("Goal", exact=True).fill("<b>Speak</b> at a meetup")
    mentee.get_by_label("Why it matters to you").fill("I want to get *better* at presenting")
    mentee.get_by_label("Milestone 1", exact=True).fill("Write the abstract")
    mentee.get_by_role("button", name="Save goal").click()
    expect(mentee.get_by_role("alert")).to_contain_text("plain text")
    expect(mentee.get_by_label("Milestone 1", exact=True)).to_have_value("Write the abstract")
    assert_accessible(frame, "the goal form with an error")
    mentee.get_by_label("Goal", exact=True).fill("Speak at a meetup")
    mentee.get_by_role("button", name="Save goal").click()
    expect(mentee.get_by_role("heading", name="Speak at a meetup", level=1)).to_be_visible()
    expect(mentee.locator("#milestones")).to_contain_text("Write the abstract")
    assert_accessible(frame, "the goal page (mentee)")

    page2, mentor, frame2 = open_tool(chromium, contexts, live, course.context_id, mentor_name)
    go_to_space(mentor, frame2, mentee_name, "the pair's space (mentor, goals)")
    mentor.locator("#goals").get_by_role("link", name="Speak at a meetup").click()
    mentor.get_by_label("Your comment").fill("Try the **local** Python meetup first")
    mentor.get_by_role("button", name="Post comment").click()
    expect(mentor.locator("#comments article.comment strong")).to_have_text("local")
    assert_accessible(frame2, "the goal page with a comment (mentor)")


def test_mentor_moves_one_date_and_the_mentee_is_told_in_the_lms_iframe(chromium, contexts, live):
    """The mentor (Berlin) opens "Move this date" on the second date of an accepted weekly series, types a
    time that has passed (announced, typed values kept), then Wednesday 16:00; the mentee (Bogotá) sees the
    notice on the space page and "moved from" in her time. Every page on the way passes axe-core."""
    from .test_goals_support import meeting_id_of, propose
    from .test_meetings_move import _occurrences

    course = matched_course(live, zones={0: "Europe/Berlin", 1: "America/Bogota"})
    pair = course.pairs[0]
    mentee_name, mentor_name = display_name(live, pair.mentee_sub), display_name(live, pair.mentor_sub)
    meeting_id = meeting_id_of(
        propose(
            pair.mentor,
            pair,
            title="Weekly check-in",
            date="2027-03-16",
            start="15:00",
            end="15:45",
            time_zone="Europe/Berlin",
            frequency="weekly",
            ends="count",
            count="3",
        )
    )
    pair.mentee.post(f"{pair.base}/meetings/{meeting_id}/respond", {"answer": "accept"})
    second = _occurrences(live, meeting_id)[1].id

    page, mentor, frame = open_tool(chromium, contexts, live, course.context_id, mentor_name)
    go_to_space(mentor, frame, mentee_name, "the pair's space (mentor, before the move)")
    mentor.locator("#next-meeting").get_by_role("link", name="Weekly check-in").click()
    date = mentor.locator(f"#occurrence-{second}")
    date.get_by_text("Move this date").click()
    expect(date.get_by_role("group", name="New time for the date of Mar 23, 2027")).to_be_visible()
    expect(date.get_by_label("Date", exact=True)).to_have_value("2027-03-23")
    assert_accessible(frame, "the meeting with the move form open (mentor)")
    date.get_by_label("Date", exact=True).fill("2020-03-24")
    date.get_by_label("Starts at").fill("16:00")
    date.get_by_label("Note for the others (optional)").fill("Team meeting on Tuesday")
    date.get_by_role("button", name="Save the new time").click()
    date = mentor.locator(f"#occurrence-{second}")
    expect(date.get_by_role("alert")).to_contain_text("already passed")
    expect(date.get_by_label("Date", exact=True)).to_have_value("2020-03-24")
    expect(date.get_by_label("Note for the others (optional)")).to_have_value("Team meeting on Tuesday")
    assert_accessible(frame, "the move form with an error (mentor)")
    date.get_by_label("Date", exact=True).fill("2027-03-24")
    date.get_by_role("button", name="Save the new time").click()
    expect(mentor.get_by_role("status")).to_contain_text("That date was moved.")
    moved = mentor.locator(f"#occurrence-{second}")
    expect(moved).to_contain_text("Mar 24, 2027")
    expect(moved.locator(".moved-from")).to_contain_text("moved from Mar 23, 2027, 3:00:00")
    assert_accessible(frame, "the meeting with a moved date (mentor)")

    page2, mentee, frame2 = open_tool(chromium, contexts, live, course.context_id, mentee_name)
    go_to_space(mentee, frame2, mentor_name, "the pair's space with a moved date (mentee)")
    notice = mentee.locator(".date-moved")
    expect(notice).to_contain_text(f"{mentor_name} moved a date of “Weekly check-in” to Mar 24, 2027, 10:00:00")
    expect(notice).to_contain_text("(it was Mar 23, 2027, 9:00:00")
    notice.get_by_role("link", name="See the meeting").click()
    expect(mentee.locator(f"#occurrence-{second} .moved-from")).to_contain_text("moved from Mar 23, 2027, 9:00:00")
    assert_accessible(frame2, "the meeting with a moved date (mentee)")
    screenshot(page2, "meeting-date-moved")
