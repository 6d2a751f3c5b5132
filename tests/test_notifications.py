"""Email notifications over real HTTP: digests, nudges and reminders reach the demo mailbox once each;
preferences and unsubscribe links work; two ticks at once send one mail."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from bs4 import BeautifulSoup

from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.models.notifications import NotificationPreference
from lti_tool.notifications import KINDS, UnknownKind, notify

from .test_notifications_support import (
    day,
    mailbox,
    make_pair,
    outbox_rows,
    pair_post,
    set_person,
    tick,
    unsubscribe_links,
)
from .test_program_support import enter, labelled, open_page, submit


def test_digest_of_unread_pair_messages_reaches_the_demo_mailbox(live, browser):
    """A mentee's two new posts become one daily digest to the mentor, listed in the demo LMS mailbox."""
    base = utcnow() + timedelta(days=30)
    pair = make_pair(live, browser, started=day(base, -10))
    thread = pair_post(live, pair, pair.mentee_person, "Hello!", day(base, 0, 10))
    pair_post(live, pair, pair.mentee_person, "Here is my plan.", day(base, 0, 11), thread_id=thread)

    report = tick(live, day(base, 1, 9))
    assert report.delivery.sent >= 1
    mails = mailbox(live, pair.mentor_email)
    digests = [m for m in mails if "new messages" in m["subject"]]
    assert len(digests) == 1, mails
    assert "2 new messages" in digests[0]["subject"]
    assert "“Our plan” — 2 new messages" in digests[0]["text"]
    assert "UTC" in digests[0]["text"]
    assert len(unsubscribe_links(digests[0]["text"])) == 2
    html = requests.get(digests[0]["html_url"], timeout=30)
    assert html.status_code == 200 and "Our plan" in html.text and "/notifications/unsubscribe/" in html.text
    only = requests.get(live.lms_url + "/sandbox/mailbox", params={"to": pair.mentee_email}, timeout=30)
    assert only.status_code == 200 and pair.mentor_email not in only.text
    # The author gets no digest of their own posts.
    assert not [m for m in mailbox(live, pair.mentee_email) if "new message" in m["subject"]]

    # Later the same day: nothing new is due; the next day with nothing unread: no mail.
    tick(live, day(base, 1, 15))
    tick(live, day(base, 2, 9))
    assert len([m for m in mailbox(live, pair.mentor_email) if "new messages" in m["subject"]]) == 1
    assert [r.status for r in outbox_rows(live, pair.course_id, "digest")] == ["sent"]


def test_digest_waits_for_the_morning_in_the_recipients_zone(live, browser):
    """A daily digest is due after 08:00 in the recipient's zone, not UTC's."""
    base = utcnow() + timedelta(days=40)
    pair = make_pair(live, browser, started=day(base, -3), zone="America/New_York")
    pair_post(live, pair, pair.mentee_person, "Question about week 2", day(base, 0, 20))
    tick(live, day(base, 1, 11))  # 06:00 or 07:00 in New York
    assert outbox_rows(live, pair.course_id, "digest") == []
    tick(live, day(base, 1, 14))  # 09:00 or 10:00 in New York
    rows = outbox_rows(live, pair.course_id, "digest")
    assert len(rows) == 1 and rows[0].status == "sent"
    text = mailbox(live, pair.mentor_email)[0]["text"]
    assert "America/New_York" in text and ("EST" in text or "EDT" in text)


def test_two_ticks_at_once_send_each_mail_once(live, browser):
    """Two concurrent ticks (two workers) queue and send the digest and the nudges once."""
    base = utcnow() + timedelta(days=50)
    pair = make_pair(live, browser, started=day(base, -20))
    pair_post(live, pair, pair.mentee_person, "Anyone there?", day(base, -9, 10))
    now = day(base, 0, 12)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(10)
            tick(live, now)
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    tick(live, now)  # a third, later tick changes nothing either
    nudges = outbox_rows(live, pair.course_id, "nudge")
    assert sorted(r.person_id for r in nudges) == sorted([pair.mentor_person, pair.mentee_person])
    assert all(r.status == "sent" for r in nudges)
    assert len([m for m in mailbox(live, pair.mentee_email) if "since your pair last wrote" in m["subject"]]) == 1
    assert len([m for m in mailbox(live, pair.mentor_email) if "since your pair last wrote" in m["subject"]]) == 1


def test_silent_pair_nudge_timing_follows_the_coordinators_setting(live, browser):
    """With silence set to 3 days: no nudge at 2 days, one to each member at 3, none again until a new
    silence period after a new post; 0 turns nudges off."""
    base = utcnow() + timedelta(days=60)
    pair = make_pair(live, browser, started=day(base, 0, 12))
    coordinator, token = enter(live, pair.course, pair.course.instructor)
    page = open_page(coordinator, "/notifications/course", token)
    assert page.status == 200, page.text[:1000]
    saved = submit(coordinator, page, "/notifications/course", silence_days="3", reminder_hours="24")
    assert saved.status == 200 and saved.soup.find(id="saved") is not None

    tick(live, day(base, 2, 13))
    assert outbox_rows(live, pair.course_id, "nudge") == []
    tick(live, day(base, 3, 13))
    first = outbox_rows(live, pair.course_id, "nudge")
    assert len(first) == 2
    tick(live, day(base, 5, 13))
    assert len(outbox_rows(live, pair.course_id, "nudge")) == 2  # same silence period
    text = [m for m in mailbox(live, pair.mentee_email) if "since your pair last wrote" in m["subject"]][0]["text"]
    assert "has been quiet for 3 days" in text

    pair_post(live, pair, pair.mentor_person, "How are you getting on?", day(base, 6, 9))
    tick(live, day(base, 8, 13))
    assert len(outbox_rows(live, pair.course_id, "nudge")) == 2
    tick(live, day(base, 9, 10))
    assert len(outbox_rows(live, pair.course_id, "nudge")) == 4

    page = open_page(coordinator, "/notifications/course", token)
    log = page.soup.find(id="mail-log")
    assert log is not None and len(log.select("tr[data-kind=nudge]")) == 4
    off = submit(coordinator, page, "/notifications/course", silence_days="0", reminder_hours="24")
    assert off.status == 200
    tick(live, day(base, 20, 13))
    assert len(outbox_rows(live, pair.course_id, "nudge")) == 4


def test_course_settings_refuse_bad_numbers_and_participants(live, browser):
    """Out-of-range numbers are refused with the typed value kept; participants get 403."""
    base = utcnow() + timedelta(days=70)
    pair = make_pair(live, browser, started=base)
    coordinator, token = enter(live, pair.course, pair.course.instructor)
    page = open_page(coordinator, "/notifications/course", token)
    bad = submit(coordinator, page, "/notifications/course", silence_days="-2", reminder_hours="lots")
    assert bad.status == 400
    assert bad.soup.find(id="silence_days")["value"] == "-2"
    assert bad.soup.find(id="reminder_hours")["value"] == "lots"
    assert bad.soup.find(id="silence_days-error") is not None
    student, student_token = enter(live, pair.course, pair.mentee_sub)
    assert open_page(student, "/notifications/course", student_token).status == 403


def test_preferences_page_saves_choices_and_is_linked(live, browser):
    """A participant finds "Email settings" in the nav and on the home page, turns nudges off and picks
    a weekly digest; the next silence nudge is recorded as not sent."""
    base = utcnow() + timedelta(days=80)
    pair = make_pair(live, browser, started=day(base, -30))
    student, token = enter(live, pair.course, pair.mentee_sub)
    home = open_page(student, "/space/", token)
    assert home.soup.select_one("nav a[href*='/notifications/preferences']") is not None
    assert home.soup.select_one("main a[href*='/notifications/preferences']") is not None
    page = open_page(student, "/notifications/preferences", token)
    assert page.status == 200 and labelled(page.soup) == []
    assert page.soup.find(id="digest-daily").has_attr("checked")
    assert page.soup.find(id="kind-nudge").has_attr("checked")
    kinds = [k for k in KINDS if k not in ("digest", "nudge")]
    saved = submit(student, page, "/notifications/preferences", digest_frequency="weekly", kinds=kinds)
    assert saved.status == 200 and saved.soup.find(id="saved") is not None
    assert saved.soup.find(id="digest-weekly").has_attr("checked")
    assert not saved.soup.find(id="kind-nudge").has_attr("checked")
    bad = submit(student, saved, "/notifications/preferences", digest_frequency="hourly")
    assert bad.status == 400 and bad.soup.find(id="digest_frequency-error") is not None

    tick(live, day(base, 0, 12))
    rows = {r.person_id: r for r in outbox_rows(live, pair.course_id, "nudge")}
    assert rows[pair.mentee_person].status == "skipped" and rows[pair.mentee_person].skip_reason == "unsubscribed"
    assert rows[pair.mentor_person].status == "sent"


def test_unsubscribe_link_works_without_a_session_and_checks_csrf(live, browser):
    """The link in a mail opens a confirmation page without any tool session; its POST needs the form's
    CSRF token; unsubscribing from all stops every later mail; a tampered token is a 400."""
    base = utcnow() + timedelta(days=90)
    pair = make_pair(live, browser, started=day(base, -30))
    tick(live, day(base, 0, 12))
    mail = [m for m in mailbox(live, pair.mentor_email) if "since your pair last wrote" in m["subject"]][0]
    kind_link, all_link = unsubscribe_links(mail["text"])

    person = requests.Session()  # a mail client's browser: no LMS, no tool session
    page = person.get(kind_link, timeout=30)
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    form = soup.find("form", action=lambda a: a and "/notifications/unsubscribe/" in a)
    assert form is not None and soup.find(id="scope-kind") is not None
    # Without the CSRF token the POST is refused and nothing changes.
    refused = person.post(kind_link, data={"scope": "all"}, timeout=30)
    assert refused.status_code == 400
    csrf = form.find("input", attrs={"name": "csrf_token"})["value"]
    done = person.post(kind_link, data={"scope": "kind", "csrf_token": csrf}, timeout=30)
    assert done.status_code == 200 and "unsubscribed" in done.text
    with live.app.app_context():
        pref = db.session.query(NotificationPreference).filter_by(person_id=pair.mentor_person).one()
        assert pref.disabled_kinds == ["nudge"] and not pref.unsubscribed_all
        db.session.remove()

    page = person.get(all_link, timeout=30)
    csrf = BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "csrf_token"})["value"]
    assert person.post(all_link, data={"scope": "all", "csrf_token": csrf}, timeout=30).status_code == 200
    pair_post(live, pair, pair.mentee_person, "New message", day(base, 1, 9))
    tick(live, day(base, 2, 12))
    assert [
        r.skip_reason for r in outbox_rows(live, pair.course_id, "digest") if r.person_id == pair.mentor_person
    ] in (
        [],
        ["unsubscribed"],
    )

    token = kind_link.rsplit("/", 1)[1]
    tampered = kind_link[: -len(token)] + token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert requests.get(tampered, timeout=30).status_code == 400
    assert requests.post(tampered + "/one-click", data={"List-Unsubscribe": "One-Click"}, timeout=30).status_code == 400
    assert requests.get(live.tool_url + "/notifications/unsubscribe/not-a-token", timeout=30).status_code == 400


def test_one_click_unsubscribe_header_target(live, browser):
    """RFC 8058: POST List-Unsubscribe=One-Click to the header's URL unsubscribes without a form."""
    base = utcnow() + timedelta(days=100)
    pair = make_pair(live, browser, started=day(base, -30))
    tick(live, day(base, 0, 12))
    kind_link = unsubscribe_links(mailbox(live, pair.mentee_email)[0]["text"])[0]
    assert requests.post(kind_link + "/one-click", data={}, timeout=30).status_code == 400
    answer = requests.post(kind_link + "/one-click", data={"List-Unsubscribe": "One-Click"}, timeout=30)
    assert answer.status_code == 200
    redirected = requests.get(kind_link + "/one-click", timeout=30, allow_redirects=False)
    assert redirected.status_code == 303 and redirected.headers["Location"].endswith(kind_link.rsplit("/", 1)[1])
    with live.app.app_context():
        pref = db.session.query(NotificationPreference).filter_by(person_id=pair.mentee_person).one()
        assert "nudge" in pref.disabled_kinds
        db.session.remove()


def test_withheld_email_is_skipped_with_the_reason(live, browser):
    """When the platform withholds a person's email, their mail is recorded as not sent, and why."""
    base = utcnow() + timedelta(days=110)
    pair = make_pair(live, browser, started=day(base, -30))
    set_person(live, pair.mentee_person, email=None)
    tick(live, day(base, 0, 12))
    rows = {r.person_id: r for r in outbox_rows(live, pair.course_id, "nudge")}
    assert rows[pair.mentee_person].status == "skipped" and rows[pair.mentee_person].skip_reason == "no_email"
    assert rows[pair.mentor_person].status == "sent"
    coordinator, token = enter(live, pair.course, pair.course.instructor)
    log = open_page(coordinator, "/notifications/course", token).soup.find(id="mail-log")
    assert "does not share this person's email address" in log.get_text()
    student, student_token = enter(live, pair.course, pair.mentee_sub)
    # The next launch sends the address again (public privacy in this course).
    assert open_page(student, "/notifications/preferences", student_token).soup.find(id="no-email") is None


def test_notify_api_renders_in_the_recipients_language_and_zone(live, browser):
    """notify() queues once per key; the mail shows the date in the recipient's zone and language."""
    base = utcnow() + timedelta(days=120)
    pair = make_pair(live, browser, started=base, zone="Europe/Paris")
    set_person(live, pair.mentee_person, locale="fr-FR")
    due = day(base, 7, 17)
    with live.app.app_context():
        with pytest.raises(UnknownKind):
            notify(
                db.session,
                course_id=pair.course_id,
                person_id=pair.mentee_person,
                kind="spam",
                key="x",
                subject="s",
                body="b",
            )
        kwargs = dict(
            course_id=pair.course_id,
            person_id=pair.mentee_person,
            kind="evaluation_reminder",
            key="checkpoint-1",
            subject="Your evaluation is due %(due)s",
            body="Please fill in the evaluation of %(pair)s by %(due)s.",
            params={"due": due, "pair": "Aiko & Liam"},
        )
        assert notify(db.session, **kwargs) is not None
        assert notify(db.session, **kwargs) is None
        db.session.commit()
        db.session.remove()
    tick(live, day(base, 0, 12))
    rows = outbox_rows(live, pair.course_id, "evaluation_reminder")
    assert len(rows) == 1 and rows[0].status == "sent"
    mail = mailbox(live, pair.mentee_email)[0]
    assert "Aiko & Liam" in mail["text"]
    local = due.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert f"{local:%H:%M}" in mail["text"] and "CET" in mail["text"] or "CEST" in mail["text"]
    months_fr = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
    assert any(m in mail["subject"] for m in months_fr), mail["subject"]


def test_weekly_digest_comes_once_a_week(live, browser):
    """A weekly digest gathers a week of messages: one mail, then none until seven days have passed."""
    base = utcnow() + timedelta(days=130)
    pair = make_pair(live, browser, started=day(base, -2))
    mentor, token = enter(live, pair.course, pair.mentor_sub)
    page = open_page(mentor, "/notifications/preferences", token)
    kinds = [k for k in KINDS if k != "digest"]
    assert submit(mentor, page, "/notifications/preferences", digest_frequency="weekly", kinds=kinds).status == 200
    thread = pair_post(live, pair, pair.mentee_person, "Week one", day(base, 0, 10))
    tick(live, day(base, 0, 12))
    assert len(outbox_rows(live, pair.course_id, "digest")) == 1
    pair_post(live, pair, pair.mentee_person, "Week one, again", day(base, 2, 10), thread_id=thread)
    tick(live, day(base, 3, 12))
    assert len(outbox_rows(live, pair.course_id, "digest")) == 1
    tick(live, day(base, 7, 12))
    rows = outbox_rows(live, pair.course_id, "digest")
    assert len(rows) == 2 and rows[1].context["total"] == 1
