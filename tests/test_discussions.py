"""Course-wide forums over real HTTP: Markdown and sanitising, size limits, edits and deletes with history,
unread counts and the "waiting for your reply" marker, keyset pagination, and moderation.

Each test works in a fresh demo LMS course (created through the demo LMS's API), so its people, rules
acceptances and read markers never mix with other tests'. The helpers here are shared by the other
``test_discussions*.py`` and ``test_ground_rules*.py`` modules.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import func, select, update

from lti_tool.extensions import db
from lti_tool.models import ModerationLog, Post, PostRevision, Thread, ThreadReadMarker

from .support.browser import LmsBrowser, Page
from .support.demo import ensure_seeded, people

# --- helpers shared by the discussion tests -------------------------------------------------------------


def new_course(live, students: int = 4) -> str:
    """A new demo LMS course (Dr. Okafor teaches, Mateo assists) with generated, English-speaking students."""
    context_id = "disc-" + uuid.uuid4().hex[:10]
    resp = requests.post(
        live.lms_url + "/sandbox/api/courses", json={"context_id": context_id, "students": students}, timeout=60
    )
    assert resp.status_code == 201, resp.text
    # Generated students get a mix of languages; these tests read the English pages.
    from lti_tool.sandbox.models import SandboxUser

    subs = people(live.app, "student", context_id)
    with live.app.app_context():
        db.session.execute(update(SandboxUser).where(SandboxUser.sub.in_(subs)).values(locale="en"))
        db.session.commit()
        db.session.remove()
    return context_id


@dataclass
class Actor:
    """Someone with a tool session, driving the tool over HTTP like their browser would."""

    live: object
    http: LmsBrowser
    token: str

    def get(self, path: str, **params) -> Page:
        params["ts"] = self.token
        page = self.http.get(path, params=params, allow_redirects=False)
        return page

    def follow(self, path: str, **params) -> Page:
        params["ts"] = self.token
        return self.http.get(path, params=params)

    def post(self, path: str, data: dict | None = None, *, csrf: str | None = None) -> Page:
        fields = {"ts": self.token, "csrf_token": csrf or self.csrf(), **(data or {})}
        return Page(self.http.http.post(self.http.tool_url + path, data=fields, timeout=30, allow_redirects=False))

    def submit(self, page: Page, form_selector: str, values: dict | None = None) -> Page:
        """Submit a form found on ``page`` with its own hidden fields (session, CSRF) and ``values``."""
        form = page.soup.select_one(form_selector)
        assert form is not None, f"no form {form_selector!r} on {page.url}"
        fields = {
            i["name"]: i.get("value", "")
            for i in form.find_all("input")
            if i.get("name") and (i.get("type") not in ("checkbox", "radio") or i.has_attr("checked"))
        }
        for area in form.find_all("textarea"):
            fields.setdefault(area["name"], area.get_text())
        fields.update(values or {})
        action = form.get("action") or page.url
        return Page(self.http.http.post(_absolute(self.http, action), data=fields, timeout=30, allow_redirects=False))

    def csrf(self) -> str:
        """A CSRF token for this session, as the tool's own forms carry it."""
        from flask_wtf.csrf import generate_csrf

        app = self.live.app  # type: ignore[attr-defined]
        with app.test_request_context(f"/?ts={self.token}"):
            return generate_csrf()


def _absolute(http: LmsBrowser, url: str) -> str:
    return url if url.startswith("http") else http.tool_url + url


def actor(live, sub: str, *, flavour: str = "moodle", context: str = "course-101") -> Actor:
    """Launch ``sub`` from the demo LMS into ``context`` (the real OIDC flow) and keep the tool session."""
    http = LmsBrowser(live.tool_url, live.lms_url)
    ensure_seeded(http)
    page = http.launch(flavour, sub, context)
    assert page.status == 200, page.text[:1500]
    token = page.token()
    assert token
    return Actor(live, http, token)


def location(page: Page) -> str:
    assert page.status in (302, 303), (page.status, page.text[:1500])
    return page.response.headers["Location"]


def path_of(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items() if k != "ts"}


def accept_rules(who: Actor) -> None:
    page = who.get("/discussions/rules")
    assert page.status == 200, page.text[:1000]
    if page.soup.select_one("form.accept-rules") is None:
        return
    done = who.submit(page, "form.accept-rules")
    assert location(done).split("?")[0].endswith("/discussions/")


def create_topic(coordinator: Actor, title: str = "General", **extra: str) -> int:
    form = coordinator.get("/discussions/topics/new")
    assert form.status == 200, form.text[:1000]
    done = coordinator.submit(
        form, "main form", {"title": title, "description": "Anything about the program", "position": "1", **extra}
    )
    path, _ = path_of(location(done))
    return int(path.rstrip("/").rsplit("/", 1)[1])


def start_thread(who: Actor, topic_id: int, title: str, body: str) -> int:
    form = who.get(f"/discussions/topics/{topic_id}/threads/new")
    assert form.status == 200, form.text[:1000]
    done = who.submit(form, "main form", {"title": title, "body": body})
    path, _ = path_of(location(done))
    return int(path.rstrip("/").rsplit("/", 1)[1])


def reply(who: Actor, thread_id: int, body: str) -> Page:
    return who.post(f"/discussions/threads/{thread_id}/reply", {"body": body})


def post_ids(page: Page) -> list[int]:
    return [int(a["id"].split("-")[1]) for a in page.soup.select("article.post")]


def article(page: Page, post_id: int):
    found = page.soup.find("article", id=f"post-{post_id}")
    assert found is not None, f"post {post_id} not on {page.url}"
    return found


@dataclass
class Forum:
    context: str
    coordinator: Actor
    alice: Actor
    bob: Actor
    topic_id: int


def forum(live, students: int = 3) -> Forum:
    """A fresh course with a topic, its coordinator and two students who accepted the ground rules."""
    context = new_course(live, students)
    coordinator = actor(live, people(live.app, "instructor", context)[0], context=context)
    subs = people(live.app, "student", context)
    alice, bob = (actor(live, s, context=context) for s in subs[:2])
    topic_id = create_topic(coordinator)
    accept_rules(alice)
    accept_rules(bob)
    return Forum(context, coordinator, alice, bob, topic_id)


def thread_of(live, thread_id: int) -> Thread:
    with live.app.app_context():
        found = db.session.get(Thread, thread_id)
        db.session.expunge(found)
        db.session.remove()
        return found


# --- tests -----------------------------------------------------------------------------------------------


def test_markdown_is_rendered_and_dangerous_html_stripped(live):
    """Bold and links render; <script>, event handlers, javascript: links and styles never reach the page."""
    f = forum(live)
    body = (
        "Hello **mentors** and [our course](https://example.org/course).\n\n"
        "<script>alert('xss')</script> <img src=x onerror=\"alert('img')\"> "
        "[click](javascript:alert('js')) <a href=\"javascript:alert('a')\" onclick=\"alert('c')\">raw</a> "
        '<span style="color:red">styled</span> <iframe src="https://evil.example"></iframe>'
    )
    thread_id = start_thread(f.alice, f.topic_id, "Markdown test", body)
    page = f.bob.get(f"/discussions/threads/{thread_id}")
    assert page.status == 200, page.text[:1000]
    post = page.soup.select_one("article.post .post-body")
    assert post.find("strong").get_text() == "mentors"
    link = post.find("a", string="our course")
    assert link["href"] == "https://example.org/course"
    assert set(link["rel"]) == {"nofollow", "noopener", "noreferrer"}
    assert page.soup.find("script") is None, "no script element anywhere on the page"
    for el in post.find_all(True):
        assert not any(attr.startswith("on") or attr == "style" for attr in el.attrs), el
        assert not el.get("href", "").lower().startswith("javascript:"), el
    assert post.find("iframe") is None and post.find("img") is None
    assert "alert('xss')" not in post.get_text(), "script content is removed with the tag"
    csp = page.response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_oversized_post_is_refused_and_text_kept(live):
    """A reply over 20,000 characters answers 400 with a clear message and the typed text in the form."""
    f = forum(live)
    thread_id = start_thread(f.alice, f.topic_id, "Long posts", "A short first post.")
    text = "Words " * 3400 + "the end."
    assert len(text) > 20_000
    page = reply(f.bob, thread_id, text)
    assert page.status == 400
    alert = page.soup.select_one("[role=alert]")
    assert alert is not None and "at most 20,000 characters" in alert.get_text()
    textarea = page.soup.find("textarea", id="body")
    assert textarea.get_text() == text, "the typed text is kept"
    assert textarea["aria-invalid"] == "true"
    assert thread_of(live, thread_id).post_count == 1, "nothing was saved"
    empty = reply(f.bob, thread_id, "   ")
    assert empty.status == 400 and "cannot be empty" in empty.text


def test_edit_keeps_history_and_delete_shows_deleted(live):
    """The author edits (earlier text kept as a revision, visible to coordinators) and deletes (others see
    "deleted"; the coordinator still sees the history); nobody edits or deletes someone else's post."""
    f = forum(live)
    thread_id = start_thread(f.alice, f.topic_id, "Edits", "First draft")
    page = f.alice.get(f"/discussions/threads/{thread_id}")
    post_id = post_ids(page)[0]
    form = f.alice.get(f"/discussions/posts/{post_id}/edit")
    assert form.status == 200
    done = f.alice.submit(form, "main form", {"body": "Second **draft**"})
    assert location(done)
    shown = f.bob.get(f"/discussions/threads/{thread_id}")
    assert "Second" in article(shown, post_id).get_text() and "First draft" not in shown.text
    assert article(shown, post_id).select_one(".edited") is not None
    history = f.coordinator.get(f"/discussions/posts/{post_id}/history")
    assert history.status == 200 and "First draft" in history.text
    assert f.bob.get(f"/discussions/posts/{post_id}/history").status == 403
    assert f.bob.get(f"/discussions/posts/{post_id}/edit").status == 403
    assert f.bob.post(f"/discussions/posts/{post_id}/delete").status == 403

    assert location(f.alice.post(f"/discussions/posts/{post_id}/delete"))
    for viewer in (f.bob, f.alice):
        gone = viewer.get(f"/discussions/threads/{thread_id}")
        assert "This post was deleted." in article(gone, post_id).get_text()
        assert "Second" not in article(gone, post_id).get_text()
    history = f.coordinator.get(f"/discussions/posts/{post_id}/history")
    assert "First draft" in history.text and "Second" in history.text
    with live.app.app_context():
        kinds = db.session.execute(
            select(PostRevision.kind).where(PostRevision.post_id == post_id).order_by(PostRevision.id)
        ).scalars()
        assert list(kinds) == ["edit", "delete"]
        db.session.remove()
    assert f.alice.get(f"/discussions/posts/{post_id}/edit").status == 403, "a deleted post cannot be edited"


def _topic_row(page: Page, thread_id: int):
    row = page.soup.select_one(f'tr[data-thread-id="{thread_id}"]')
    assert row is not None, f"thread {thread_id} not listed"
    return row


def test_unread_counts_and_waiting_for_reply(live):
    """Unread counts per thread follow the read marker; "waiting for your reply" shows when the last post
    in a thread you took part in is someone else's, and goes away when you answer."""
    f = forum(live)
    thread_id = start_thread(f.alice, f.topic_id, "Introductions", "Hi, I am Alice.")
    topic_path = f"/discussions/topics/{f.topic_id}"

    row = _topic_row(f.bob.get(topic_path), thread_id)
    assert "1 new" in row.select_one(".unread-count").get_text()
    assert row.select_one(".waiting") is None, "Bob has not taken part"
    index = f.bob.get("/discussions/")
    assert "1 thread with new posts" in index.text

    f.bob.get(f"/discussions/threads/{thread_id}")  # reading marks the posts read
    assert "new" not in _topic_row(f.bob.get(topic_path), thread_id).select_one(".unread-count").get_text()

    assert location(reply(f.bob, thread_id, "Hello Alice, I am Bob."))
    alice_row = _topic_row(f.alice.get(topic_path), thread_id)
    assert "1 new" in alice_row.select_one(".unread-count").get_text()
    assert alice_row.select_one(".waiting") is not None, "Bob's reply waits for Alice"
    assert _topic_row(f.bob.get(topic_path), thread_id).select_one(".waiting") is None

    for n in range(3):
        assert location(reply(f.bob, thread_id, f"And one more thing ({n})."))
    assert "4 new" in _topic_row(f.alice.get(topic_path), thread_id).select_one(".unread-count").get_text()
    page = f.alice.get(f"/discussions/threads/{thread_id}")
    assert len(page.soup.select("article.post.unread")) == 4
    assert location(reply(f.alice, thread_id, "Thanks Bob!"))
    alice_row = _topic_row(f.alice.get(topic_path), thread_id)
    assert alice_row.select_one(".waiting") is None
    assert "new" not in alice_row.select_one(".unread-count").get_text()
    assert _topic_row(f.bob.get(topic_path), thread_id).select_one(".waiting") is not None


def _seed_posts(live, thread_id: int, author_sub_person: int, n: int) -> None:
    """Add ``n`` posts quickly (the HTTP path is tested elsewhere), keeping the thread's counters right."""
    from lti_tool.mentoring.discussions import Viewer, forums

    with live.app.app_context():
        thread = db.session.get(Thread, thread_id)
        viewer = Viewer(person_id=author_sub_person, course_id=thread.course_id, role="participant")
        topic = forums.thread_topic(db.session(), thread)
        for i in range(n):
            forums.reply(db.session(), viewer, thread, topic, body=f"Seeded post number {i + 2}")
        db.session.commit()
        db.session.remove()


def _person_id(actor_: Actor) -> int:
    from lti_tool.views.access import signer

    return signer(actor_.live.app).loads(actor_.token).person_id  # type: ignore[attr-defined]


def test_pagination_across_pages_of_a_120_post_thread(live):
    """A 120-post thread shows 50 posts a page; next/previous/last links walk it by post id, no post is
    skipped or repeated, and reading the last page leaves nothing unread."""
    f = forum(live)
    thread_id = start_thread(f.alice, f.topic_id, "Long thread", "Post number 1")
    _seed_posts(live, thread_id, _person_id(f.alice), 119)
    assert thread_of(live, thread_id).post_count == 120

    seen: list[int] = []
    page = f.bob.get(f"/discussions/threads/{thread_id}")
    pages = 0
    while True:
        assert page.status == 200
        pages += 1
        ids = post_ids(page)
        seen.extend(ids)
        assert f"Posts {len(seen) - len(ids) + 1}–{len(seen)} of 120" in page.text
        nxt = page.soup.find("a", rel="next")
        if nxt is None:
            break
        path, params = path_of(nxt["href"])
        page = f.bob.get(path, **params)
    assert pages == 3
    assert len(seen) == 120 and seen == sorted(set(seen))
    assert "Post number 1" in f.bob.get(f"/discussions/threads/{thread_id}").text

    last = f.bob.get(f"/discussions/threads/{thread_id}", last="1")
    assert post_ids(last) == seen[-50:]
    prev = last.soup.find("a", rel="prev")
    path, params = path_of(prev["href"])
    assert post_ids(f.bob.get(path, **params)) == seen[-100:-50]
    row = _topic_row(f.bob.get(f"/discussions/topics/{f.topic_id}"), thread_id)
    assert "new" not in row.select_one(".unread-count").get_text()
    with live.app.app_context():
        marker = db.session.execute(
            select(ThreadReadMarker.last_read_post_id).where(
                ThreadReadMarker.thread_id == thread_id, ThreadReadMarker.person_id == _person_id(f.bob)
            )
        ).scalar_one()
        assert marker == seen[-1]
        db.session.remove()


def test_report_hide_and_lock_are_logged(live):
    """A participant reports a post; the coordinator sees the report, hides the post (participants see
    "hidden by a coordinator") and locks the thread; each action is in the moderation log."""
    f = forum(live)
    thread_id = start_thread(f.alice, f.topic_id, "Heated", "Something rude")
    post_id = post_ids(f.bob.get(f"/discussions/threads/{thread_id}"))[0]

    form = f.bob.get(f"/discussions/posts/{post_id}/report")
    assert form.status == 200
    refused = f.bob.submit(form, "main form", {"reason": ""})
    assert refused.status == 400
    assert location(f.bob.submit(form, "main form", {"reason": "Offensive language"}))

    flagged = article(f.coordinator.get(f"/discussions/threads/{thread_id}"), post_id).select_one(".reported")
    assert flagged is not None and "1 open report" in flagged.get_text()
    assert article(f.alice.get(f"/discussions/threads/{thread_id}"), post_id).select_one(".reported") is None
    reports = f.coordinator.get("/discussions/moderation")
    assert "Offensive language" in reports.text and "Something rude" in reports.text
    assert "1 open report" in f.coordinator.get("/discussions/").text

    hide_form = f.coordinator.get(f"/discussions/posts/{post_id}/hide")
    assert location(f.coordinator.submit(hide_form, "main form.card", {"reason": "Breaks the etiquette rules"}))
    for participant in (f.alice, f.bob):
        page = participant.get(f"/discussions/threads/{thread_id}")
        text = article(page, post_id).get_text()
        assert "hidden by a coordinator" in text and "Something rude" not in text
    assert "Something rude" in f.coordinator.get(f"/discussions/threads/{thread_id}").text
    assert "No open reports." in f.coordinator.get("/discussions/moderation").text

    thread_page = f.coordinator.get(f"/discussions/threads/{thread_id}")
    locked = f.coordinator.submit(thread_page, f'form[action*="/threads/{thread_id}/lock"]', {"reason": "Cooling down"})
    assert location(locked)
    assert reply(f.bob, thread_id, "Can I still post?").status == 403
    bob_page = f.bob.get(f"/discussions/threads/{thread_id}")
    assert "This thread is locked" in bob_page.text and bob_page.soup.find("textarea") is None
    assert location(reply(f.coordinator, thread_id, "Coordinators still can."))

    log = f.coordinator.get("/discussions/moderation")
    assert "Breaks the etiquette rules" in log.text and "Cooling down" in log.text
    places = [a.get_text() for a in log.soup.select("table.moderation-log a")]
    assert places.count("Heated") == 2, "each entry names the thread it concerns"
    with live.app.app_context():
        actions = db.session.execute(
            select(ModerationLog.action, func.count())
            .group_by(ModerationLog.action)
            .where(ModerationLog.target_id.in_([post_id, thread_id]))
        ).all()
        assert {"hide_post", "lock_thread"} <= {a for a, _ in actions}
        assert db.session.execute(select(Post.hidden_at).where(Post.id == post_id)).scalar_one() is not None
        db.session.remove()


def test_times_are_shown_in_the_viewers_time_zone(live):
    """Times are stored in UTC and shown in the viewer's own time zone when their profile has one."""
    from lti_tool.models import Person

    f = forum(live)
    thread_id = start_thread(f.alice, f.topic_id, "Time zones", "What time is it?")
    bob_id = _person_id(f.bob)
    with live.app.app_context():
        db.session.get(Person, bob_id).timezone = "Asia/Tokyo"
        db.session.commit()
        db.session.remove()
    page = f.bob.get(f"/discussions/threads/{thread_id}")
    stamp = page.soup.select_one("article.post time")
    assert stamp["datetime"].endswith("+00:00"), "the machine-readable time is UTC"
    assert "JST" in stamp.get_text() or "GMT+9" in stamp.get_text() or "+09" in stamp.get_text()
    utc_page = f.alice.get(f"/discussions/threads/{thread_id}")
    assert "UTC" in utc_page.soup.select_one("article.post time").get_text()
    assert re.search(r"\d", stamp.get_text())


def test_topic_pages_and_locked_topics(live):
    """A topic of 30 threads lists 25, latest activity first, then the rest behind "Older threads"; a
    locked topic takes no new threads or replies from participants but stays readable."""
    from lti_tool.mentoring.discussions import Viewer, forums

    f = forum(live)
    first = start_thread(f.alice, f.topic_id, "Thread 0", "Hello 0")
    with live.app.app_context():
        viewer = Viewer(_person_id(f.alice), thread_of(live, first).course_id, "participant")
        topic = forums.get_topic(db.session(), viewer, f.topic_id)
        for i in range(1, 30):
            forums.start_thread(db.session(), viewer, topic, title=f"Thread {i}", body=f"Hello {i}")
        db.session.commit()
        db.session.remove()
    page = f.bob.get(f"/discussions/topics/{f.topic_id}")
    titles = [a.get_text() for a in page.soup.select("tr.thread-row th a")]
    assert titles == [f"Thread {i}" for i in range(29, 4, -1)]
    older = page.soup.find("a", rel="next")
    path, params = path_of(older["href"])
    rest = f.bob.get(path, **params)
    assert [a.get_text() for a in rest.soup.select("tr.thread-row th a")] == [f"Thread {i}" for i in range(4, -1, -1)]
    assert rest.soup.find("a", rel="next") is None

    edit = f.coordinator.get(f"/discussions/topics/{f.topic_id}/edit")
    assert location(f.coordinator.submit(edit, "main form", {"locked": "1"}))
    assert f.bob.get(f"/discussions/topics/{f.topic_id}").status == 200
    assert f.bob.get(f"/discussions/topics/{f.topic_id}/threads/new").status == 403
    assert f.bob.post(f"/discussions/topics/{f.topic_id}/threads/new", {"title": "t", "body": "b"}).status == 403
    assert reply(f.bob, first, "Still there?").status == 403
    assert location(reply(f.coordinator, first, "Coordinators can still post."))
    assert f.bob.get(f"/discussions/threads/{first}").status == 200
    assert f"Locked topic {f.topic_id}" in f.coordinator.get("/discussions/moderation").text


def test_stale_page_links_show_the_last_page(live):
    """A page link past the end of a thread (posts deleted, an old bookmark) shows the last page, not nothing."""
    f = forum(live)
    thread_id = start_thread(f.alice, f.topic_id, "Short", "Only post")
    page = f.bob.get(f"/discussions/threads/{thread_id}", after="999999999")
    assert page.status == 200 and len(post_ids(page)) == 1
    assert f.bob.get(f"/discussions/threads/{thread_id}", before="0").status == 200
    assert f.bob.get(f"/discussions/threads/{thread_id}", after="-5").status == 200


def test_returning_reader_is_offered_the_new_posts(live):
    """Someone who read a long thread and comes back after new posts gets a link straight to them."""
    f = forum(live)
    thread_id = start_thread(f.alice, f.topic_id, "Long and growing", "Post number 1")
    _seed_posts(live, thread_id, _person_id(f.alice), 59)
    f.bob.get(f"/discussions/threads/{thread_id}")  # Bob reads the first page (posts 1–50) and leaves
    first = f.bob.get(f"/discussions/threads/{thread_id}")
    jump = first.soup.select_one("a.unread-jump")
    assert jump is not None, "posts 51–60 are new to Bob and not on the first page"
    path, params = path_of(jump["href"])
    new_posts = f.bob.get(path, **params)
    assert len(new_posts.soup.select("article.post.unread")) == 10
    assert "Posts 51–60 of 60" in new_posts.text
    assert f.bob.get(f"/discussions/threads/{thread_id}").soup.select_one("a.unread-jump") is None
