"""The mentoring space over real HTTP: a pair's hub, private threads with unread and "waiting" markers,
read-only history of an ended pairing, the coordinators' Pairs overview (metadata only), moderation of pair
threads, reports in unmoderated programs, and structured prompts (the Five Cs and a weekly schedule)."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import ModerationLog

from .support.demo import people
from .test_discussions import accept_rules, location, path_of
from .test_space_support import (
    end_pair,
    last_post_id,
    make_group,
    pair_course,
    pair_reply,
    set_moderated,
    start_pair_thread,
)

SECRET = "Pair-secret-91c4"


def test_pair_members_talk_in_their_private_thread(live):
    """Home card → space page; a thread and a reply with unread and "waiting" markers; coordinators see counts."""
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
    mentor_home = pair.mentor.get("/space/")
    assert mentor_home.soup.select_one("#spaces-card .unread-count").get_text(strip=True) == "1 new"
    assert pair.mentee.get("/space/").soup.select_one("#spaces-card .unread-count") is None
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
    assert pair_row.select_one(".reply-time").get_text(strip=True).endswith("seconds")  # the mentor answered
    by_silence = course.coordinator.get("/spaces/", sort="silent")
    assert by_silence.status == 200 and "longest silence first" in by_silence.soup.find("caption").get_text()
    assert SECRET not in overview.text and "Hello mentor" not in overview.text
    coordinator_space = course.coordinator.get(f"{pair.base}/")
    assert coordinator_space.status == 200
    assert coordinator_space.soup.find(id="metadata-only") is not None
    assert SECRET not in coordinator_space.text and "Hello mentor" not in coordinator_space.text
    assert course.coordinator.get(f"{pair.base}/threads/{thread_id}").status == 403


def test_rules_gate_sends_members_to_the_rules_and_back(live):
    """A member who has not accepted the current rules is sent to them (actions: 403) and comes back after."""
    course = pair_course(live)
    pair = course.pairs[0]
    set_moderated(course.coordinator, True)  # a new version: members must accept again
    page = pair.mentor.get(f"{pair.base}/")
    assert page.status == 303
    path, query = path_of(location(page))
    assert path == "/discussions/rules" and query == {"space": f"pair-{pair.space_id}"}
    assert pair.mentor.post(f"{pair.base}/threads/new", {"title": "x", "body": "y"}).status == 403
    rules = pair.mentor.get("/discussions/rules", space=f"pair-{pair.space_id}")
    done = pair.mentor.submit(rules, "form.accept-rules")
    assert path_of(location(done))[0] == f"{pair.base}/"
    space = pair.mentor.get(f"{pair.base}/")
    assert space.status == 200
    assert "is moderated" in space.soup.find(id="confidentiality").get_text()


def test_ended_pairing_keeps_a_read_only_history(live):
    """After the pairing ends its threads stay readable, every write is 403, and a member can still report."""
    course = pair_course(live)
    pair = course.pairs[0]
    thread_id = start_pair_thread(pair.mentor, pair, "Before the end", f"Old message {SECRET}")
    post_id = last_post_id(live, thread_id)
    end_pair(live, pair.space_id)
    home = pair.mentee.get("/space/")
    assert "ended" in home.soup.find(id="spaces-card").get_text()
    page = pair.mentee.get(f"{pair.base}/")
    assert page.status == 200 and page.soup.find(id="space-ended") is not None
    assert "Start a thread" not in page.soup.find(id="threads").get_text()
    thread = pair.mentee.get(f"{pair.base}/threads/{thread_id}")
    assert thread.status == 200 and SECRET in thread.text
    assert thread.soup.select_one("form.reply-form") is None
    assert pair_reply(pair.mentee, pair, thread_id, "too late").status == 403
    assert pair.mentee.post(f"{pair.base}/threads/new", {"title": "New", "body": "New"}).status == 403
    assert pair.mentor.post(f"{pair.base}/posts/{post_id}/edit", {"body": "rewritten"}).status == 403
    assert pair.mentor.post(f"{pair.base}/posts/{post_id}/delete", {}).status == 403
    # A member can still report what was said.
    reported = pair.mentee.post(f"{pair.base}/posts/{post_id}/report", {"reason": "Looking back, not ok"})
    assert reported.status == 303


def test_edit_delete_and_history_in_a_pair_thread(live):
    """Authors edit (oversized text kept, HTML sanitised) and delete their posts; the history is theirs only."""
    course = pair_course(live)
    pair = course.pairs[0]
    thread_id = start_pair_thread(pair.mentee, pair, "Drafts", "First version")
    post_id = last_post_id(live, thread_id)
    form = pair.mentee.get(f"{pair.base}/posts/{post_id}/edit")
    assert form.status == 200
    too_long = pair.mentee.post(f"{pair.base}/posts/{post_id}/edit", {"body": "x" * 20_001})
    assert too_long.status == 400 and "at most 20,000 characters" in too_long.text
    assert too_long.soup.find("textarea", id="body").get_text() == "x" * 20_001
    edited = pair.mentee.post(f"{pair.base}/posts/{post_id}/edit", {"body": "Second <script>x</script> version"})
    assert location(edited)
    thread = pair.mentee.get(f"{pair.base}/threads/{thread_id}")
    body = thread.soup.select_one(f"#post-{post_id} .post-body")
    assert "Second" in body.get_text() and body.find("script") is None
    history = pair.mentee.get(f"{pair.base}/posts/{post_id}/history")
    assert history.status == 200 and "First version" in history.text
    assert pair.mentor.get(f"{pair.base}/posts/{post_id}/history").status == 403
    assert pair.mentor.post(f"{pair.base}/posts/{post_id}/edit", {"body": "not mine"}).status == 403
    assert location(pair.mentee.post(f"{pair.base}/posts/{post_id}/delete", {}))
    thread = pair.mentor.get(f"{pair.base}/threads/{thread_id}")
    assert "This post was deleted." in thread.text and "Second" not in thread.text


def test_moderated_program_coordinator_reads_hides_and_locks_with_a_log(live):
    """Moderated: the coordinator reads the pair thread, hides a post and locks the thread, both logged."""
    course = pair_course(live, moderated=True)
    pair = course.pairs[0]
    coordinator = course.coordinator
    thread_id = start_pair_thread(pair.mentor, pair, "Moderated thread", f"Rude words {SECRET}")
    post_id = last_post_id(live, thread_id)
    space = coordinator.get(f"{pair.base}/")
    assert space.status == 200 and "Moderated thread" in space.text
    page = coordinator.get(f"{pair.base}/threads/{thread_id}")
    assert page.status == 200 and SECRET in page.text
    assert page.soup.select_one("form.lock-form") is not None
    assert coordinator.get(f"{pair.base}/posts/{post_id}/hide").status == 200
    hidden = coordinator.post(f"{pair.base}/posts/{post_id}/hide", {"hidden": "1", "reason": "Tone"})
    assert location(hidden)
    member_view = pair.mentee.get(f"{pair.base}/threads/{thread_id}")
    assert SECRET not in member_view.text and "This post was hidden by a coordinator." in member_view.text
    locked = coordinator.post(f"{pair.base}/threads/{thread_id}/lock", {"locked": "1", "reason": "Cool down"})
    assert location(locked)
    assert pair_reply(pair.mentee, pair, thread_id, "Can I still write?").status == 403
    assert pair.mentee.post(f"{pair.base}/threads/{thread_id}/lock", {"locked": "0"}).status == 403
    assert location(pair_reply(coordinator, pair, thread_id, "Coordinator here: let's keep it kind."))
    seen = pair.mentee.get(f"{pair.base}/threads/{thread_id}", last=1)
    assert seen.soup.select("article.post")[-1].select_one(".moderator-post").get_text() == "coordinator"
    assert len(seen.soup.select(".moderator-post")) == 1
    log = coordinator.get("/discussions/moderation")
    text = log.soup.find("table", class_="moderation-log").get_text(" ", strip=True)
    assert f"Hid post {post_id}" in text and f"Locked thread {thread_id}" in text
    assert "Tone" in text and "Cool down" in text
    with live.app.app_context():
        actions = (
            db.session.execute(select(ModerationLog.action).where(ModerationLog.target_id.in_([post_id, thread_id])))
            .scalars()
            .all()
        )
        db.session.remove()
    assert {"hide_post", "lock_thread"} <= set(actions)


def test_unmoderated_report_shows_the_coordinator_only_that_post(live):
    """Unmoderated: a reported post (and only it) reaches the coordinator, who may hide it but not lock or read."""
    course = pair_course(live)
    pair = course.pairs[0]
    coordinator = course.coordinator
    thread_id = start_pair_thread(pair.mentor, pair, "Private talk", f"Fine message {SECRET}")
    fine_post = last_post_id(live, thread_id)
    assert location(pair_reply(pair.mentor, pair, thread_id, "A message to report: Reported-7b"))
    bad_post = last_post_id(live, thread_id)
    assert coordinator.get(f"{pair.base}/posts/{bad_post}/hide").status == 403  # not reported yet
    form = pair.mentee.get(f"{pair.base}/posts/{bad_post}/report")
    assert form.status == 200
    empty = pair.mentee.post(f"{pair.base}/posts/{bad_post}/report", {"reason": ""})
    assert empty.status == 400 and "cannot be empty" in empty.text
    assert location(pair.mentee.post(f"{pair.base}/posts/{bad_post}/report", {"reason": "Made me uneasy"}))
    moderation = coordinator.get("/discussions/moderation")
    assert "Reported-7b" in moderation.text and "Made me uneasy" in moderation.text
    assert SECRET not in moderation.text
    assert moderation.soup.select_one(".private-report") is not None
    space = coordinator.get(f"{pair.base}/")
    assert space.soup.find(id="reported") is not None and SECRET not in space.text
    assert coordinator.get(f"{pair.base}/threads/{thread_id}").status == 403
    assert coordinator.get(f"{pair.base}/posts/{fine_post}/hide").status == 403
    assert coordinator.post(f"{pair.base}/posts/{fine_post}/hide", {"hidden": "1", "reason": "x"}).status == 403
    hide = coordinator.get(f"{pair.base}/posts/{bad_post}/hide")
    assert hide.status == 200 and "Reported-7b" in hide.text and SECRET not in hide.text
    done = coordinator.post(f"{pair.base}/posts/{bad_post}/hide", {"hidden": "1", "reason": "Reported, agreed"})
    assert path_of(location(done))[0] == "/discussions/moderation"
    assert "Reported-7b" not in pair.mentee.get(f"{pair.base}/threads/{thread_id}").text
    assert coordinator.post(f"{pair.base}/threads/{thread_id}/lock", {"locked": "1"}).status == 403


def test_five_cs_guide_the_pair_to_the_mentees_commitment(live):
    """The Five Cs in order, stale forms refused, the Conclusions closed by the mentee with their commitment."""
    course = pair_course(live)
    pair = course.pairs[0]
    coordinator = course.coordinator
    settings = coordinator.get("/spaces/prompts")
    assert settings.status == 200
    assert location(coordinator.submit(settings, "form.prompt-settings", {"kind": "five_cs"}))
    page = pair.mentee.get(f"{pair.base}/")
    assert "Challenges" in page.soup.find(id="current-stage").get_text()
    start = page.soup.select_one("#prompt a.button")
    form = pair.mentee.follow(path_of(start["href"])[0], prompt="challenges")
    assert form.soup.find("input", id="title")["value"] == "Challenges"
    for expected_next in ("Choices", "Consequences", "Creative solutions", "Conclusions"):
        page = pair.mentor.get(f"{pair.base}/")
        done = pair.mentor.submit(page, "form.prompt-done")
        assert location(done)
        page = pair.mentee.get(f"{pair.base}/")
        assert expected_next in page.soup.find(id="current-stage").get_text()
    # Stale form: a stage that is no longer current is refused with a message.
    stale = pair.mentor.post(f"{pair.base}/prompts/done", {"key": "challenges"})
    assert stale.status == 400 and "not the current one" in stale.text
    mentor_page = pair.mentor.get(f"{pair.base}/")
    assert mentor_page.soup.find("textarea", id="commitment") is None
    assert pair.mentor.post(f"{pair.base}/prompts/done", {"key": "conclusions", "commitment": "x"}).status == 400
    empty = pair.mentee.post(f"{pair.base}/prompts/done", {"key": "conclusions", "commitment": "  "})
    assert empty.status == 400 and "commitment to action" in empty.soup.find(id="prompt-error").get_text()
    long = pair.mentee.post(f"{pair.base}/prompts/done", {"key": "conclusions", "commitment": "y" * 2001})
    assert long.status == 400 and long.soup.find("textarea", id="commitment").get_text() == "y" * 2001
    assert mentor_page.soup.find(id="commitment-status") is None  # one mentee: no list of who has written
    commitment = "I will <b>apply</b> to three internships by Friday"
    done = pair.mentee.post(f"{pair.base}/prompts/done", {"key": "conclusions", "commitment": commitment})
    assert path_of(location(done))[1]["notice"] == "stage_done"  # the mentee's commitment closes it, as before
    for who in (pair.mentee, pair.mentor):
        page = who.get(f"{pair.base}/")
        assert page.soup.find(id="prompts-finished") is not None
        shown = page.soup.find(id="commitment-shown")
        assert commitment in shown.get_text() and shown.find("b") is None
    overview = coordinator.get("/spaces/")
    assert "5 of 5" in overview.soup.select_one(f"tr[data-space='pair-{pair.space_id}']").get_text()
    assert commitment not in coordinator.get(f"{pair.base}/").text  # unmoderated: not for coordinators


def test_weekly_schedule_written_by_the_coordinator(live):
    """Bad schedule input is refused field by field and kept; weeks open by date; guidance is sanitised Markdown."""
    course = pair_course(live)
    pair = course.pairs[0]
    coordinator = course.coordinator
    settings = coordinator.get("/spaces/prompts")
    bad = coordinator.post(
        "/spaces/prompts",
        {"kind": "weekly", "week-0": "1", "date-0": "2026-13-40", "topic-0": "Getting to know each other",
         "guidance-0": "Share **three** things", "week-1": "1", "topic-1": "", "guidance-1": "kept text"},
    )  # fmt: skip
    assert bad.status == 400
    summary = bad.soup.find(id="form-errors").get_text()
    assert "YYYY-MM-DD" in summary and "needs a topic" in summary and "used once" in summary
    assert bad.soup.find("textarea", id="guidance-1").get_text() == "kept text"
    assert bad.soup.find("input", id="topic-0")["value"] == "Getting to know each other"
    assert settings.status == 200
    saved = coordinator.post(
        "/spaces/prompts",
        {"kind": "weekly", "week-0": "1", "date-0": "", "topic-0": "Getting to know each other",
         "guidance-0": "Share **three** things <script>alert(1)</script>", "week-1": "2", "date-1": "2099-01-05",
         "topic-1": "Far future week", "guidance-1": ""},
    )  # fmt: skip
    assert location(saved)
    page = pair.mentee.get(f"{pair.base}/")
    prompt = page.soup.find(id="prompt")
    assert "Getting to know each other" in prompt.find(id="current-stage").get_text()
    assert prompt.select_one(".prompt-guidance strong") is not None and prompt.find("script") is None
    assert location(pair.mentee.submit(page, "form.prompt-done"))
    page = pair.mentee.get(f"{pair.base}/")
    assert page.soup.find(id="current-stage") is None
    assert "2099-01-05" in page.soup.find(id="prompt").get_text()


def test_a_peer_group_shares_a_space_and_every_peer_commits_to_close_the_five_cs(live):
    """Group spaces (kind ``group``) use the same pages: three peers talk; a fourth student gets 404. In a
    peer group every member writes a commitment to action; the last one closes the Five Cs."""
    course = pair_course(live, pairs=0, extra_students=4)
    peers = [course.extra[f"student{i}"] for i in range(3)]
    outsider = course.extra["student3"]
    subs = people(live.app, "student", course.context_id)
    group_id = make_group(live, course.context_id, {sub: "peer" for sub in subs[:3]}, name="Study circle")
    for who in peers + [outsider]:
        accept_rules(who)
    base = f"/spaces/group/{group_id}"
    home = peers[0].get("/space/")
    assert "Study circle" in home.soup.find(id="spaces-card").get_text()
    page = peers[0].get(f"{base}/")
    assert page.status == 200 and "Mentoring group: Study circle" in page.soup.find("h1").get_text()
    assert page.soup.find(id="members").get_text().count("Peer") == 3
    form = peers[0].get(f"{base}/threads/new")
    done = peers[0].submit(form, "form.thread-form", {"title": "Circle", "body": f"Hello all {SECRET}"})
    thread_path = path_of(location(done))[0]
    for who in peers[1:]:
        listing = who.get(f"{base}/")
        assert listing.soup.select_one("tr.thread-row .waiting") is not None
        assert SECRET in who.get(thread_path).text
    assert outsider.get(f"{base}/").status == 404
    assert outsider.get(thread_path).status == 404
    assert "Study circle" not in outsider.get("/space/").text
    settings = course.coordinator.get("/spaces/prompts")
    assert location(course.coordinator.submit(settings, "form.prompt-settings", {"kind": "five_cs"}))
    for _ in range(4):
        assert location(peers[1].submit(peers[1].get(f"{base}/"), "form.prompt-done"))
    assert location(
        peers[2].post(f"{base}/prompts/done", {"key": "conclusions", "commitment": "We each teach one topic"})
    )
    page = peers[0].get(f"{base}/")
    assert "We each teach one topic" in page.soup.find(id="commitment-shown").get_text()
    assert page.soup.find(id="prompts-finished") is None
    assert "1 of 3 commitments written" in page.soup.find(id="commitment-status").get_text()
    for peer, text in ((peers[0], "I teach statistics"), (peers[1], "I teach essay writing")):
        assert location(peer.post(f"{base}/prompts/done", {"key": "conclusions", "commitment": text}))
    page = peers[2].get(f"{base}/")
    assert page.soup.find(id="prompts-finished") is not None
    assert len(page.soup.select("#commitment-shown figure.commitment-of")) == 3
    overview = course.coordinator.get("/spaces/")
    assert overview.soup.select_one(f"tr[data-space='group-{group_id}']") is not None


def test_a_long_pair_thread_is_paginated(live):
    """120 posts: pages of 50 by post id, first/previous/next/last links, the reader's marker follows."""
    from datetime import timedelta

    from sqlalchemy import insert, update

    from lti_tool.models import Post, Thread, utcnow

    course = pair_course(live)
    pair = course.pairs[0]
    thread_id = start_pair_thread(pair.mentee, pair, "Long one", "Post number 1")
    with live.app.app_context():
        mentee_person = db.session.execute(select(Thread.author_id).where(Thread.id == thread_id)).scalar_one()
        start = utcnow()
        db.session.execute(
            insert(Post),
            [
                {
                    "thread_id": thread_id,
                    "author_id": mentee_person,
                    "body": f"Post number {i}",
                    "body_html": f"<p>Post number {i}</p>",
                    "created_at": start + timedelta(seconds=i),
                    "revision_count": 0,
                }
                for i in range(2, 121)
            ],
        )
        last = db.session.execute(select(db.func.max(Post.id)).where(Post.thread_id == thread_id)).scalar_one()
        db.session.execute(
            update(Thread)
            .where(Thread.id == thread_id)
            .values(post_count=120, last_post_id=last, last_post_at=start + timedelta(seconds=120))
        )
        db.session.commit()
        db.session.remove()
    first = pair.mentor.get(f"{pair.base}/threads/{thread_id}")
    assert first.status == 200
    posts = first.soup.select("article.post")
    assert len(posts) == 50 and "Post number 1" in posts[0].get_text() and "Post number 50" in posts[-1].get_text()
    assert "Posts 1–50 of 120" in first.soup.select_one("nav.pager").get_text()
    next_link = first.soup.select_one("nav.pager a[rel=next]")
    path, query = path_of(next_link["href"])
    second = pair.mentor.get(path, **query)
    assert "Post number 51" in second.soup.select("article.post")[0].get_text()
    listing = pair.mentor.get(f"{pair.base}/")
    assert listing.soup.select_one(f"tr[data-thread-id='{thread_id}'] .unread-count").get_text(strip=True) == "20 new"
    last_page = pair.mentor.get(f"{pair.base}/threads/{thread_id}", last=1)
    assert "Post number 120" in last_page.soup.select("article.post")[-1].get_text()
    assert pair.mentor.get(f"{pair.base}/").soup.select_one(".unread-count").get_text(strip=True) == "0"
