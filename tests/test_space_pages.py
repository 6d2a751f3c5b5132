"""The mentoring space over real HTTP: a pair's hub, private threads with unread and "waiting" markers,
read-only history of an ended pairing, the coordinators' Pairs overview (metadata only), moderation of pair
threads, reports in unmoderated programs, and structured prompts (the Five Cs and a weekly schedule)."""

from __future__ import annotations

from .test_discussions import location, path_of
from .test_space_support import pair_course, pair_reply, start_pair_thread

SECRET = "Pair-secret-91c4"


def test_pair_members_talk_in_their_private_thread(live):
    course = pair_course(live)
    pair = course.pairs[0]
    home = pair.mentee.get("/space/")
    card = home.soup.find(id="spaces-card")
    assert card is not None, home.text[:2000]
    link = card.find("a")
    assert path_of(link["href"])[0] == f"{pair.base}/"

    page = pair.mentee.get(f"{pair.base}/")
    assert page.status == 200, page.text[:2000]
    members = page.soup.find(id="members").get_text(" ", strip=True)
    assert "Mentor" in members and "Mentee" in members
    assert "not moderated" in page.soup.find(id="confidentiality").get_text()
    assert page.soup.find(id="no-threads") is not None

    thread_id = start_pair_thread(pair.mentee, pair, "Hello mentor", f"First message {SECRET}")
    listing = pair.mentor.get(f"{pair.base}/")
    row = listing.soup.select_one(f"tr[data-thread-id='{thread_id}']")
    assert row is not None
    assert row.select_one(".unread-count").get_text(strip=True) == "1 new"
    assert row.select_one(".waiting") is not None

    thread = pair.mentor.get(f"{pair.base}/threads/{thread_id}")
    assert thread.status == 200 and SECRET in thread.text
    assert location(pair_reply(pair.mentor, pair, thread_id, "Welcome, glad to meet you"))
    after = pair.mentor.get(f"{pair.base}/")
    row = after.soup.select_one(f"tr[data-thread-id='{thread_id}']")
    assert row.select_one(".waiting") is None
    assert row.select_one(".unread-count").get_text(strip=True) == "0"
    mentee_view = pair.mentee.get(f"{pair.base}/")
    row = mentee_view.soup.select_one(f"tr[data-thread-id='{thread_id}']")
    assert row.select_one(".waiting") is not None

    overview = course.coordinator.get("/spaces/")
    assert overview.status == 200, overview.text[:2000]
    pair_row = overview.soup.select_one(f"tr[data-space='pair-{pair.space_id}']")
    assert pair_row.select_one(".post-count").get_text(strip=True) == "2"
    assert SECRET not in overview.text and "Hello mentor" not in overview.text
    coordinator_space = course.coordinator.get(f"{pair.base}/")
    assert coordinator_space.status == 200
    assert coordinator_space.soup.find(id="metadata-only") is not None
    assert SECRET not in coordinator_space.text and "Hello mentor" not in coordinator_space.text
    assert course.coordinator.get(f"{pair.base}/threads/{thread_id}").status == 403
