"""Delivery paths: SMTP against a real local SMTP server, retries when it is down, meeting reminders,
followed forum threads in digests, and the ``flask notifications run`` command."""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from lti_tool.extensions import db
from lti_tool.models import Meeting, MeetingOccurrence, utcnow

from .test_notifications_support import day, mailbox, make_pair, outbox_rows, tick, unsubscribe_links


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        server = self.server
        self._say("220 localhost test SMTP")
        sender, recipients = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250-localhost")
                self._say("250-AUTH PLAIN")
                self._say("250 8BITMIME")
            elif verb == "AUTH":
                parts = line.split(" ")
                decoded = base64.b64decode(parts[2]).split(b"\0") if len(parts) > 2 else []
                server.logins.append((decoded[1].decode(), decoded[2].decode()) if len(decoded) == 3 else None)
                self._say("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip(), []
                self._say("250 OK")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b".\n", b""):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                server.messages.append((sender, recipients, b"".join(lines)))
                self._say("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 Bye")
                return
            else:
                self._say("502 Command not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[tuple[str | None, list[str], bytes]] = []
        self.logins: list[tuple[str, str] | None] = []


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def smtp_config(live, smtp_server, monkeypatch):
    """The live app configured for SMTP (MAIL_* as from the environment), restored afterwards."""
    for key, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.server_address[1],
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": "mentoring",
        "MAIL_PASSWORD": "s3cret",
        "MAIL_FROM": "Mentoring Space <mentoring@uni.example>",
        "MAIL_TIMEOUT": 5,
    }.items():
        monkeypatch.setitem(live.app.config, key, value)
    return smtp_server


def test_smtp_delivery_sends_multipart_mail_with_unsubscribe_headers(live, browser, smtp_config):
    """With MAIL_SERVER set, nudges go out over SMTP (login, plain text + HTML, List-Unsubscribe)."""
    base = utcnow() + timedelta(days=200)
    pair = make_pair(live, browser, started=day(base, -30))
    report = tick(live, day(base, 0, 12))
    assert report.delivery.errors == []
    ours = [m for m in smtp_config.messages if pair.mentor_email in m[1] or pair.mentee_email in m[1]]
    assert len(ours) == 2
    assert smtp_config.logins and smtp_config.logins[0] == ("mentoring", "s3cret")
    sender, recipients, raw = next(m for m in ours if pair.mentor_email in m[1])
    assert sender == "<mentoring@uni.example>" and recipients == [pair.mentor_email]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"] == pair.mentor_email
    assert "since your pair last wrote" in message["Subject"]
    assert message["List-Unsubscribe"].startswith("<http") and message["List-Unsubscribe"].endswith("/one-click>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "has been quiet for" in text and "has been quiet for" in html
    assert len(unsubscribe_links(text)) == 2
    rows = outbox_rows(live, pair.course_id, "nudge")
    assert {r.status for r in rows} == {"sent"} and {r.to_address for r in rows} == {
        pair.mentor_email,
        pair.mentee_email,
    }
    # Nothing of this course went to the demo mailbox.
    assert mailbox(live, pair.mentor_email) == []


def test_mail_server_down_is_retried_then_marked_failed(live, browser, monkeypatch):
    """A refused connection leaves the row queued for a retry with backoff, and failed after the last attempt."""
    closed = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens on this port now
    monkeypatch.setitem(live.app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(live.app.config, "MAIL_PORT", port)
    monkeypatch.setitem(live.app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(live.app.config, "NOTIFY_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(live.app.config, "NOTIFY_BACKOFF_BASE", 60)
    base = utcnow() + timedelta(days=210)
    pair = make_pair(live, browser, started=day(base, -30))
    now = day(base, 0, 12)
    report = tick(live, now)
    assert report.delivery.retried >= 2 and report.delivery.sent == 0
    rows = outbox_rows(live, pair.course_id, "nudge")
    assert {r.status for r in rows} == {"queued"} and {r.attempts for r in rows} == {1}
    assert all(r.error and "Connection" in r.error for r in rows)
    assert all(r.next_attempt_at >= now + timedelta(seconds=59) for r in rows)
    tick(live, now + timedelta(seconds=30))  # not due yet
    assert {r.attempts for r in outbox_rows(live, pair.course_id, "nudge")} == {1}
    tick(live, now + timedelta(minutes=2))
    rows = outbox_rows(live, pair.course_id, "nudge")
    assert {r.status for r in rows} == {"failed"} and {r.attempts for r in rows} == {2}


def _meeting(live, pair, starts_at, *, status="accepted", title="First meeting") -> int:
    with live.app.app_context():
        meeting = Meeting(
            course_id=pair.course_id,
            space_kind="pair",
            space_id=pair.mentorship_id,
            proposed_by=pair.mentee_person,
            title=title,
            video_url="https://meet.example.org/room-1",
            starts_at=starts_at,
            duration_minutes=45,
            time_zone="UTC",
            status=status,
        )
        meeting.occurrences.append(
            MeetingOccurrence(position=0, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=45))
        )
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
        db.session.remove()
    return meeting_id


def test_meeting_reminder_goes_to_both_members_once(live, browser):
    """An accepted meeting is reminded to both members within the course's lead time, once; a proposed
    (not accepted) meeting is not."""
    base = utcnow() + timedelta(days=220)
    pair = make_pair(live, browser, started=day(base, -2))
    start = day(base, 2, 15)
    _meeting(live, pair, start)
    _meeting(live, pair, start, status="proposed", title="Not agreed yet")
    tick(live, start - timedelta(hours=30))
    assert outbox_rows(live, pair.course_id, "meeting_reminder") == []
    tick(live, start - timedelta(hours=23))
    tick(live, start - timedelta(hours=22))
    rows = outbox_rows(live, pair.course_id, "meeting_reminder")
    assert sorted(r.person_id for r in rows) == sorted([pair.mentor_person, pair.mentee_person])
    assert {r.status for r in rows} == {"sent"}
    mails = [m for m in mailbox(live, pair.mentee_email) if m["subject"].startswith("Reminder:")]
    assert len(mails) == 1 and "First meeting" in mails[0]["subject"]
    assert "https://meet.example.org/room-1" in mails[0]["text"] and "UTC" in mails[0]["text"]
    assert "Not agreed yet" not in " ".join(m["subject"] for m in mailbox(live, pair.mentee_email))


def test_digest_includes_forum_threads_the_person_follows(live, browser):
    """A reply in a forum thread someone started shows in their digest; threads they never joined do not."""
    from lti_tool.models import ForumTopic, Post, Thread

    base = utcnow() + timedelta(days=230)
    pair = make_pair(live, browser, started=day(base, -2))
    with live.app.app_context():
        topic = ForumTopic(course_id=pair.course_id, title="Careers")
        db.session.add(topic)
        db.session.flush()
        for title, author in (("CV tips", pair.mentor_person), ("Internships", pair.mentee_person)):
            thread = Thread(
                course_id=pair.course_id, space_kind="forum", topic_id=topic.id, title=title, author_id=author
            )
            db.session.add(thread)
            db.session.flush()
            at = day(base, 0, 15)
            post = Post(
                thread_id=thread.id, author_id=pair.mentee_person, body="Reply", body_html="<p>Reply</p>", created_at=at
            )
            db.session.add(post)
            db.session.flush()
            thread.post_count, thread.last_post_id, thread.last_post_at = 1, post.id, at
        db.session.commit()
        db.session.remove()
    tick(live, day(base, 1, 9))
    digest = [m for m in mailbox(live, pair.mentor_email) if "new message" in m["subject"]]
    assert len(digest) == 1
    assert "Forum: “CV tips”" in digest[0]["text"] and "Internships" not in digest[0]["text"]


def test_cli_run_ticks_and_reports(live, browser):
    """`flask notifications run --now …` queues and delivers; `status` counts the outbox."""
    base = utcnow() + timedelta(days=240)
    pair = make_pair(live, browser, started=day(base, -30))
    runner = live.app.test_cli_runner()
    result = runner.invoke(args=["notifications", "run", "--now", day(base, 0, 12).isoformat()])
    assert result.exit_code == 0, result.output
    assert "nudges" in result.output and "sent" in result.output
    assert {r.status for r in outbox_rows(live, pair.course_id, "nudge")} == {"sent"}
    status = runner.invoke(args=["notifications", "status"])
    assert status.exit_code == 0 and "sent" in status.output
    bad = runner.invoke(args=["notifications", "run", "--now", "2026-01-01T08:00:00"])
    assert bad.exit_code != 0


def test_tick_job_runs_through_the_job_system(live, browser):
    """The notifications.tick job (what the in-process timer enqueues) runs a tick and records its result."""
    from lti_tool.jobs import create_only, run_in_context
    from lti_tool.models import Job

    with live.app.app_context():
        job = create_only("notifications.tick")
        assert run_in_context(job.id) == "succeeded"
        db.session.expire_all()
        done = db.session.get(Job, job.id)
        assert done.result is not None and "sent" in done.result
        db.session.remove()


def test_group_threads_feed_digests_and_quiet_groups_are_nudged(live, browser):
    """A post in a group's thread reaches the other members' digests; a silent group's members are nudged."""
    from lti_tool.models import Membership, Participant
    from lti_tool.models.mentorships import GroupMember, MentoringGroup

    from .test_program_support import enter, fresh_course, open_page, participant_of

    base = utcnow() + timedelta(days=250)
    course = fresh_course(live, browser, n_students=4)
    for sub in course.students[:4]:
        person_browser, token = enter(live, course, sub)
        assert open_page(person_browser, "/space/", token).status == 200
    rows = [participant_of(live, course.context_id, sub) for sub in course.students[:4]]
    with live.app.app_context():
        course_id = db.session.get(Membership, rows[0].membership_id).course_id
        people = [db.session.get(Membership, r.membership_id).person_id for r in rows]
        db.session.query(Participant).filter(Participant.id.in_([r.id for r in rows])).update(
            {"time_zone": "UTC"}, synchronize_session=False
        )
        talking = MentoringGroup(course_id=course_id, name="Group A", created_at=day(base, -30))
        quiet = MentoringGroup(course_id=course_id, name="Group B", created_at=day(base, -30))
        talking.members.extend(
            GroupMember(participant_id=r.id, role=role) for r, role in zip(rows[:3], ("mentor", "mentee", "mentee"))
        )
        quiet.members.append(GroupMember(participant_id=rows[3].id, role="mentee"))
        db.session.add_all([talking, quiet])
        db.session.commit()
        group_id = talking.id
        db.session.remove()

    from lti_tool.models import Post, Thread

    with live.app.app_context():
        at = day(base, 0, 15)
        thread = Thread(
            course_id=course_id, space_kind="group", space_id=group_id, title="Group plan", author_id=people[1]
        )
        db.session.add(thread)
        db.session.flush()
        post = Post(thread_id=thread.id, author_id=people[1], body="Hi all", body_html="<p>Hi all</p>", created_at=at)
        db.session.add(post)
        db.session.flush()
        thread.post_count, thread.last_post_id, thread.last_post_at, thread.last_author_id = 1, post.id, at, people[1]
        thread.last_member_post_id, thread.last_member_post_at, thread.last_member_author_id = post.id, at, people[1]
        db.session.commit()
        db.session.remove()

    tick(live, day(base, 1, 9))
    digests = {r.person_id for r in outbox_rows(live, course_id, "digest")}
    assert digests == {people[0], people[2]}
    text = mailbox(live, course.emails[course.students[0]])[0]["text"]
    assert "“Group plan”" in text
    nudged = {r.person_id for r in outbox_rows(live, course_id, "nudge")}
    assert nudged == {people[3]}
    nudge = mailbox(live, course.emails[course.students[3]])[0]
    assert "since your group last wrote" in nudge["subject"] and "Your mentoring group" in nudge["text"]
    assert "Your mentoring group" in text


def test_in_process_timer_enqueues_tick_jobs(live, monkeypatch):
    """With NOTIFY_TICK_SECONDS set, the web process's timer hands ticks to the job runner (embedded default)."""
    import time

    from sqlalchemy import func, select

    from lti_tool.models import Job
    from lti_tool.notifications.scheduler import start_timer

    def ticks() -> int:
        with live.app.app_context():
            n = db.session.execute(select(func.count()).where(Job.kind == "notifications.tick")).scalar_one()
            db.session.remove()
        return n

    before = ticks()
    monkeypatch.setitem(live.app.config, "NOTIFY_TICK_SECONDS", 0.2)
    start_timer(live.app)
    stop = live.app.extensions["notifications_timer"]
    try:
        deadline = time.monotonic() + 10
        while ticks() < before + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        live.app.extensions.pop("notifications_timer", None)
    assert ticks() >= before + 2
    time.sleep(0.5)  # let the last queued tick finish before other tests run
    with live.app.app_context():
        states = set(db.session.execute(select(Job.status).where(Job.kind == "notifications.tick")).scalars())
        db.session.remove()
    assert "failed" not in states
