"""Deliver the outbox: claim due rows, render each mail in its recipient's language and zone, send it.

Runs in an app context (a job, the CLI, or a test), never in a request. Any number of senders may run at
once: each row is claimed by a conditional UPDATE (:func:`.outbox.claim`), a claimed row left by a crashed
sender is picked up again after its lease. A failed attempt is retried with backoff, then marked failed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Course, Membership, Person, utcnow
from ..models.notifications import NotificationOutbox, NotificationPreference
from . import outbox
from .mailer import Mail, Mailer, mailer_for
from .recipients import language_of, zone_of, zones_of
from .tokens import ALL, make_token

log = logging.getLogger(__name__)

# Kinds with their own mail templates; every other kind was queued with notify() and carries its text.
TEMPLATED_KINDS = {outbox.KIND_DIGEST, outbox.KIND_NUDGE, outbox.KIND_MEETING_REMINDER}


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "skipped": self.skipped, "retried": self.retried, "failed": self.failed}


def unsubscribe_url(config: Mapping[str, Any], person_id: int, course_id: int, kind: str) -> str:
    token = make_token(str(config["SECRET_KEY"]), person_id, course_id, kind)
    return f"{config['PUBLIC_URL']}/notifications/unsubscribe/{token}"


class _Formatter:
    """Times in the recipient's zone, in the recipient's language (inside ``force_locale``)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def __call__(self, value: str | datetime | None, format: str = "medium") -> str:
        if value is None:
            return ""
        instant = datetime.fromisoformat(value) if isinstance(value, str) else value
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        local = instant.astimezone(self.zone)
        return f"{format_datetime(local, format, rebase=False)} {local.tzname()}"


def _generic_parts(context: Mapping[str, Any], when: _Formatter) -> dict[str, str]:
    params: dict[str, Any] = {}
    for name, value in (context.get("params") or {}).items():
        if isinstance(value, dict) and outbox.DATETIME_MARK in value:
            params[name] = when(value[outbox.DATETIME_MARK])
        else:
            params[name] = value

    def tr(msgid: str | None) -> str:
        if not msgid:
            return ""
        text = _(msgid)
        try:
            return text % params if params else text
        except (KeyError, ValueError, TypeError):
            return _(msgid)

    return {"subject": tr(context.get("subject")), "body": tr(context.get("body")), "action": tr(context.get("action"))}


def render(
    session: Session,
    row: NotificationOutbox,
    person: Person,
    config: Mapping[str, Any],
    *,
    course: Course | None = None,
    zone: ZoneInfo | None = None,
) -> Mail:
    """The mail for ``row``: subject, plain text and HTML in the recipient's language, times in their zone."""
    course = course or session.get(Course, row.course_id)
    course_name = (course.title or course.label or course.context_id) if course else ""
    zone = zone or zone_of(session, person.id, row.course_id)
    language = language_of(person, tuple(config.get("LANGUAGES") or ("en",)))
    kind_url = unsubscribe_url(config, person.id, row.course_id, row.kind)
    all_url = unsubscribe_url(config, person.id, row.course_id, ALL)
    when = _Formatter(zone)
    with force_locale(language):
        values: dict[str, Any] = {
            "row": row,
            "c": row.context or {},
            "person": person,
            "course_name": course_name,
            "when": when,
            "zone_name": str(zone),
            "unsubscribe_kind_url": kind_url,
            "unsubscribe_all_url": all_url,
            "kind_label": _(outbox.KINDS.get(row.kind, row.kind)),
            "lang": language,
        }
        template = row.kind if row.kind in TEMPLATED_KINDS else "generic"
        if template == "generic":
            values.update(_generic_parts(row.context or {}, when))
        subject = render_template(f"mail/{template}_subject.txt", **values).strip()
        values["subject"] = subject
        text = render_template(f"mail/{template}.txt", **values)
        html = render_template(f"mail/{template}.html", **values)
    return Mail(
        to=person.email or "",
        subject=" ".join(subject.split())[:300],
        text=text,
        html=html,
        headers={
            # RFC 2369 and RFC 8058: mail clients POST "List-Unsubscribe=One-Click" there; a GET shows the
            # confirmation page.
            "List-Unsubscribe": f"<{kind_url}/one-click>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def deliver_due(
    session: Session,
    config: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    mailer: Mailer | None = None,
    limit: int | None = None,
) -> DeliveryReport:
    """Send every due outbox row once (safe beside other senders). Commits as it goes."""
    config = config if config is not None else current_app.config
    now = now or utcnow()
    report = DeliveryReport()
    batch_size = int(limit or config.get("NOTIFY_BATCH", 200))
    lease = float(config.get("NOTIFY_LEASE_SECONDS", 300))
    max_attempts = int(config.get("NOTIFY_MAX_ATTEMPTS", 5))
    backoff = float(config.get("NOTIFY_BACKOFF_BASE", 60))
    chosen = mailer if mailer is not None else mailer_for(config, session)
    # Batch after batch until nothing is due; a failed row's retry is due later, so this ends.
    for _round in range(int(config.get("NOTIFY_MAX_BATCHES", 50))):
        ids = outbox.claim(session, now=now, limit=batch_size, lease_seconds=lease)
        if not ids:
            break
        if not _deliver_batch(session, chosen, ids, config, now, max_attempts, backoff, report):
            break
    return report


def _deliver_batch(
    session: Session,
    mailer: Mailer | None,
    ids: list[int],
    config: Mapping[str, Any],
    now: datetime,
    max_attempts: int,
    backoff: float,
    report: DeliveryReport,
) -> bool:
    """Deliver claimed rows over one connection; False when the mail server could not be reached."""
    if mailer is None:
        for row_id in ids:
            outbox.mark_skipped(session, row_id, "no_mail_server")
            report.skipped += 1
        return True
    try:
        opened = mailer.__enter__()
    except Exception as err:  # the server is down: every claimed row is retried later
        log.warning("mail server unavailable: %s", err)
        for row_id in ids:
            _failed(session, row_id, f"{type(err).__name__}: {err}", now, max_attempts, backoff, report)
        return False
    try:
        batch = _load_batch(session, ids)
        for row_id in ids:
            _deliver_one(session, opened, row_id, batch, config, now, max_attempts, backoff, report)
    finally:
        mailer.__exit__(None, None, None)
    return True


def _failed(
    session: Session, row_id: int, error: str, now: datetime, max_attempts: int, backoff: float, report: DeliveryReport
) -> None:
    row = session.get(NotificationOutbox, row_id)
    attempts = row.attempts if row is not None else max_attempts
    retry_at = now + timedelta(seconds=backoff * (2 ** max(0, attempts - 1)))
    status = outbox.mark_attempt_failed(
        session, row_id, error=error, attempts=attempts, max_attempts=max_attempts, retry_at=retry_at
    )
    report.errors.append(error)
    if status == "failed":
        report.failed += 1
    else:
        report.retried += 1


@dataclass
class _Batch:
    """What delivering a batch of claimed rows needs, loaded in a few queries rather than per row."""

    rows: dict[int, tuple[NotificationOutbox, Person]]
    courses: dict[int, Course]
    members: set[tuple[int, int]]  # (course_id, person_id) of active memberships
    prefs: dict[tuple[int, int], outbox.Preference]
    zones: dict[tuple[int, int], ZoneInfo]


def _load_batch(session: Session, ids: list[int]) -> _Batch:
    pairs = session.execute(
        select(NotificationOutbox, Person)
        .join(Person, Person.id == NotificationOutbox.person_id)
        .where(NotificationOutbox.id.in_(ids))
    ).all()
    rows = {row.id: (row, person) for row, person in pairs}
    course_ids = {row.course_id for row, _p in rows.values()}
    person_ids = {row.person_id for row, _p in rows.values()}
    courses = {c.id: c for c in session.execute(select(Course).where(Course.id.in_(course_ids))).scalars()}
    members = {
        (cid, pid)
        for cid, pid in session.execute(
            select(Membership.course_id, Membership.person_id).where(
                Membership.course_id.in_(course_ids),
                Membership.person_id.in_(person_ids),
                Membership.is_active.is_(True),
            )
        ).all()
    }
    prefs = {
        (p.course_id, p.person_id): outbox.preference_of(p)
        for p in session.execute(
            select(NotificationPreference).where(
                NotificationPreference.course_id.in_(course_ids), NotificationPreference.person_id.in_(person_ids)
            )
        ).scalars()
    }
    zones: dict[tuple[int, int], ZoneInfo] = {}
    for cid in course_ids:
        people = {row.person_id for row, _p in rows.values() if row.course_id == cid}
        zones.update({(cid, pid): zone for pid, zone in zones_of(session, cid, people).items()})
    # Detached: the commits after each mail (its state, the demo mailbox) do not expire and reload them.
    for row, person in rows.values():
        session.expunge(row)
        if person in session:
            session.expunge(person)
    for course in courses.values():
        session.expunge(course)
    return _Batch(rows, courses, members, prefs, zones)


def _deliver_one(
    session: Session,
    mailer: Mailer,
    row_id: int,
    batch: _Batch,
    config: Mapping[str, Any],
    now: datetime,
    max_attempts: int,
    backoff: float,
    report: DeliveryReport,
) -> None:
    found = batch.rows.get(row_id)
    if found is None:
        return
    row, person = found
    key = (row.course_id, row.person_id)
    reason = None
    if key not in batch.members:
        reason = "not_member"
    elif not outbox.wants(batch.prefs.get(key, outbox.Preference()), row.kind):
        reason = "unsubscribed"
    elif not person.email:
        reason = "no_email"  # the platform withholds it (NRPS/launch privacy settings)
    if reason is not None:
        outbox.mark_skipped(session, row_id, reason)
        report.skipped += 1
        return
    try:
        mail = render(session, row, person, config, course=batch.courses.get(row.course_id), zone=batch.zones.get(key))
        mailer.send(mail)
    except Exception as err:
        session.rollback()
        log.warning("notification %s to person %s not sent: %s", row_id, row.person_id, err)
        _failed(session, row_id, f"{type(err).__name__}: {err}", now, max_attempts, backoff, report)
        return
    outbox.mark_sent(session, row_id, to_address=mail.to, subject=mail.subject, at=utcnow())
    report.sent += 1
