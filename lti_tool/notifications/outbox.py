"""The notification outbox and the stable ``notify(...)`` API other features use. No Flask here.

``notify`` queues one mail to one person, idempotently: the same ``(kind, person, key)`` never becomes two
mails, whichever process or tick asks. What the mail says is stored as English gettext msgids with
``%(name)s`` parameters; the mail is rendered at delivery in the recipient's language and time zone.

Example (an evaluation checkpoint reminder)::

    from lti_tool.notifications import N_, notify

    notify(
        session,
        course_id=course.id,
        person_id=person.id,
        kind="evaluation_reminder",
        key=f"checkpoint-{checkpoint.id}",
        subject=N_("Your mid-point evaluation is due %(due)s"),
        body=N_("Please fill in the evaluation of your mentoring by %(due)s. It takes about five minutes."),
        params={"due": checkpoint.due_at},  # datetimes are shown in the recipient's zone and language
        action=N_("Open Mentoring Space from your course to fill it in."),
    )
    session.commit()  # the row is part of the caller's transaction
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import utcnow
from ..models.notifications import (
    DIGEST_DAILY,
    DIGEST_FREQUENCIES,
    MAIL_FAILED,
    MAIL_QUEUED,
    MAIL_SENDING,
    MAIL_SENT,
    MAIL_SKIPPED,
    NotificationOutbox,
    NotificationPreference,
    NotificationSettings,
)


def N_(message: str) -> str:
    """Mark ``message`` for translation; it is translated when the mail is rendered for its recipient."""
    return message


KIND_DIGEST = "digest"
KIND_MEETING_REMINDER = "meeting_reminder"
KIND_NUDGE = "nudge"
KIND_EVALUATION_REMINDER = "evaluation_reminder"
KIND_MEETING_MOVED = "meeting_moved"
KIND_GROUP_CHANGED = "group_changed"

# Every kind a person can turn off, with the label the preferences page shows (translated there). A new
# kind for notify() only needs a line here, so that people can turn it off.
KINDS: dict[str, str] = {
    KIND_DIGEST: N_("Digest of new messages in your pair and the forum threads you follow"),
    KIND_MEETING_REMINDER: N_("Reminders before your meetings"),
    KIND_NUDGE: N_("A reminder when your pair has been quiet for a while"),
    KIND_EVALUATION_REMINDER: N_("Reminders of evaluations to fill in"),
    KIND_MEETING_MOVED: N_("When someone moves a date of one of your meetings"),
    KIND_GROUP_CHANGED: N_("When the coordinator gives one of your groups a new mentor"),
}

# Why a mail was not sent (the coordinator's log shows these, translated).
SKIP_REASONS: dict[str, str] = {
    "no_email": N_("The LMS does not share this person's email address."),
    "unsubscribed": N_("The person turned these emails off."),
    "no_mail_server": N_("No mail server is configured."),
    "not_member": N_("The person is no longer an active member of the course."),
}

DATETIME_MARK = "__datetime__"
MAX_KEY = 255


class UnknownKind(ValueError):
    """``notify`` was given a kind not in :data:`KINDS`."""


def _jsonable(params: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"param {name!r}: pass an aware datetime")
            out[name] = {DATETIME_MARK: value.isoformat()}
        elif value is None or isinstance(value, str | int | float | bool):
            out[name] = value
        else:
            out[name] = str(value)
    return out


def notify(
    session: Session,
    *,
    course_id: int,
    person_id: int,
    kind: str,
    key: str,
    subject: str,
    body: str,
    params: Mapping[str, Any] | None = None,
    action: str | None = None,
    not_before: datetime | None = None,
) -> NotificationOutbox | None:
    """Queue a mail to ``person_id`` about ``course_id`` (part of the caller's transaction; commit it).

    * ``kind``: one of :data:`KINDS` (the person's preference for it is respected).
    * ``key``: what makes this mail unique for this person and kind, e.g. ``"checkpoint-12"``. A second
      call with the same key (another worker, a re-run) queues nothing and returns ``None``.
    * ``subject``, ``body``, ``action`` (an optional closing line): English msgids marked with ``N_`` and
      ``%(name)s`` placeholders filled from ``params``. Aware ``datetime`` values in ``params`` are
      shown in the recipient's time zone and language; anything else is shown as text.
    * ``not_before``: send no earlier than this (default now).

    Returns the queued row (status ``queued``, or ``skipped`` when the person turned the kind off).
    """
    if kind not in KINDS:
        raise UnknownKind(f"unknown notification kind {kind!r}; known: {', '.join(KINDS)}")
    context = {"subject": subject, "body": body, "action": action, "params": _jsonable(params)}
    return queue(
        session, course_id=course_id, person_id=person_id, kind=kind, key=key, context=context, not_before=not_before
    )


def full_key(kind: str, person_id: int, key: str) -> str:
    """The outbox's idempotency key: unique per kind, recipient and the caller's key."""
    return f"{kind}:{person_id}:{key}"[:MAX_KEY]


def queue(
    session: Session,
    *,
    course_id: int,
    person_id: int,
    kind: str,
    key: str,
    context: dict[str, Any],
    not_before: datetime | None = None,
    pref: Preference | None = None,
    known_new: bool = False,
) -> NotificationOutbox | None:
    """Insert an outbox row unless its idempotency key exists (then ``None``). Uses a SAVEPOINT.

    ``pref`` is the recipient's preference when the caller already loaded it; ``known_new`` skips the
    look-up of the key when the caller just checked (the unique constraint still decides)."""
    key = full_key(kind, person_id, key)
    if not known_new:
        exists = session.execute(
            select(NotificationOutbox.id).where(NotificationOutbox.idempotency_key == key)
        ).scalar_one_or_none()
        if exists is not None:
            return None
    row = NotificationOutbox(
        idempotency_key=key,
        course_id=course_id,
        person_id=person_id,
        kind=kind,
        context=context,
        status=MAIL_QUEUED,
        next_attempt_at=not_before or utcnow(),
    )
    if not wants(pref if pref is not None else preference(session, person_id, course_id), kind):
        row.status = MAIL_SKIPPED
        row.skip_reason = "unsubscribed"
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # another tick queued it a moment ago
    return row


# --- preferences and course settings ----------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    """A person's choices in a course (the defaults when they never changed anything)."""

    digest_frequency: str = DIGEST_DAILY
    disabled_kinds: frozenset[str] = frozenset()
    unsubscribed_all: bool = False
    last_digest_at: datetime | None = None


def preference(session: Session, person_id: int, course_id: int) -> Preference:
    return preference_of(preference_row(session, person_id, course_id))


def course_preferences(session: Session, course_id: int) -> dict[int, Preference]:
    """Every stored preference of the course by person id (people without a row have the defaults)."""
    rows = session.execute(select(NotificationPreference).where(NotificationPreference.course_id == course_id))
    return {row.person_id: preference_of(row) for row in rows.scalars()}


def preference_of(row: NotificationPreference | None) -> Preference:
    if row is None:
        return Preference()
    return Preference(
        digest_frequency=row.digest_frequency if row.digest_frequency in DIGEST_FREQUENCIES else DIGEST_DAILY,
        disabled_kinds=frozenset(row.disabled_kinds or ()),
        unsubscribed_all=row.unsubscribed_all,
        last_digest_at=row.last_digest_at,
    )


def preference_row(session: Session, person_id: int, course_id: int) -> NotificationPreference | None:
    return session.execute(
        select(NotificationPreference).where(
            NotificationPreference.person_id == person_id, NotificationPreference.course_id == course_id
        )
    ).scalar_one_or_none()


def wants(pref: Preference, kind: str) -> bool:
    if pref.unsubscribed_all or kind in pref.disabled_kinds:
        return False
    return not (kind == KIND_DIGEST and pref.digest_frequency not in DIGEST_FREQUENCIES[1:])


def _ensure_preference(session: Session, person_id: int, course_id: int) -> NotificationPreference:
    row = preference_row(session, person_id, course_id)
    if row is not None:
        return row
    row = NotificationPreference(
        person_id=person_id, course_id=course_id, digest_frequency=DIGEST_DAILY, disabled_kinds=[]
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = preference_row(session, person_id, course_id)
        if found is None:  # pragma: no cover
            raise
        return found
    return row


def save_preference(
    session: Session, person_id: int, course_id: int, *, digest_frequency: str, enabled_kinds: set[str]
) -> NotificationPreference:
    """Store the preferences page's choices (saving them also undoes an earlier "unsubscribe from all")."""
    if digest_frequency not in DIGEST_FREQUENCIES:
        raise ValueError(digest_frequency)
    row = _ensure_preference(session, person_id, course_id)
    row.digest_frequency = digest_frequency
    row.disabled_kinds = sorted(k for k in KINDS if k != KIND_DIGEST and k not in enabled_kinds)
    row.unsubscribed_all = False
    return row


def unsubscribe(session: Session, person_id: int, course_id: int, kind: str | None) -> NotificationPreference:
    """Turn one kind off (``kind``) or every mail of the course (``None``)."""
    row = _ensure_preference(session, person_id, course_id)
    if kind is None:
        row.unsubscribed_all = True
    elif kind == KIND_DIGEST:
        row.digest_frequency = "off"
    elif kind in KINDS:
        row.disabled_kinds = sorted(set(row.disabled_kinds or ()) | {kind})
    else:
        raise UnknownKind(kind)
    return row


def mark_digest_sent(session: Session, person_id: int, course_id: int, at: datetime) -> None:
    _ensure_preference(session, person_id, course_id).last_digest_at = at


def mark_digests_sent(session: Session, course_id: int, person_ids: list[int], at: datetime) -> None:
    """:func:`mark_digest_sent` for many people: one UPDATE, one batch INSERT for those without a row."""
    if not person_ids:
        return
    have = set(
        session.execute(
            select(NotificationPreference.person_id).where(
                NotificationPreference.course_id == course_id, NotificationPreference.person_id.in_(person_ids)
            )
        ).scalars()
    )
    if have:
        session.execute(
            update(NotificationPreference)
            .where(NotificationPreference.course_id == course_id, NotificationPreference.person_id.in_(have))
            .values(last_digest_at=at)
            .execution_options(synchronize_session=False)
        )
    missing = [p for p in person_ids if p not in have]
    try:
        with session.begin_nested():
            session.add_all(
                NotificationPreference(
                    person_id=p,
                    course_id=course_id,
                    digest_frequency=DIGEST_DAILY,
                    disabled_kinds=[],
                    last_digest_at=at,
                )
                for p in missing
            )
            session.flush()
    except IntegrityError:  # someone saved preferences meanwhile: one by one
        for p in missing:
            mark_digest_sent(session, p, course_id, at)


@dataclass(frozen=True)
class CourseSettings:
    silence_days: int = 7
    reminder_hours: int = 24


MAX_SILENCE_DAYS = 90
MAX_REMINDER_HOURS = 24 * 7


def course_settings(session: Session, course_id: int) -> CourseSettings:
    row = session.execute(
        select(NotificationSettings).where(NotificationSettings.course_id == course_id)
    ).scalar_one_or_none()
    if row is None:
        return CourseSettings()
    return CourseSettings(silence_days=row.silence_days, reminder_hours=row.reminder_hours)


def save_course_settings(session: Session, course_id: int, *, silence_days: int, reminder_hours: int) -> None:
    if not 0 <= silence_days <= MAX_SILENCE_DAYS or not 0 <= reminder_hours <= MAX_REMINDER_HOURS:
        raise ValueError("out of range")
    row = session.execute(
        select(NotificationSettings).where(NotificationSettings.course_id == course_id)
    ).scalar_one_or_none()
    if row is None:
        row = NotificationSettings(course_id=course_id)
        session.add(row)
    row.silence_days = silence_days
    row.reminder_hours = reminder_hours


# --- delivery state (each change a conditional UPDATE, so two senders never send one row) ------------------


def claim(session: Session, *, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    """Claim up to ``limit`` due rows for this sender (queued and due, or sending with an expired lease).

    Each row is claimed by a conditional UPDATE: of two senders racing for a row, one wins. Commits.
    """
    due = or_(
        (NotificationOutbox.status == MAIL_QUEUED) & (NotificationOutbox.next_attempt_at <= now),
        (NotificationOutbox.status == MAIL_SENDING) & (NotificationOutbox.lease_until < now),
    )
    candidates = session.execute(
        select(NotificationOutbox.id, NotificationOutbox.status, NotificationOutbox.attempts)
        .where(due)
        .order_by(NotificationOutbox.next_attempt_at, NotificationOutbox.id)
        .limit(limit)
    ).all()
    session.commit()
    claimed: list[int] = []
    lease = now + timedelta(seconds=lease_seconds)
    for row_id, status, attempts in candidates:
        won = session.execute(
            update(NotificationOutbox)
            .where(
                NotificationOutbox.id == row_id,
                NotificationOutbox.status == status,
                NotificationOutbox.attempts == attempts,
            )
            .values(status=MAIL_SENDING, lease_until=lease, attempts=attempts + 1)
            .returning(NotificationOutbox.id)
            .execution_options(synchronize_session=False)
        ).first()
        session.commit()
        if won is not None:
            claimed.append(row_id)
    return claimed


def _finish(session: Session, row_id: int, **values: Any) -> None:
    session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.id == row_id, NotificationOutbox.status == MAIL_SENDING)
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def mark_sent(session: Session, row_id: int, *, to_address: str, subject: str, at: datetime) -> None:
    _finish(session, row_id, status=MAIL_SENT, sent_at=at, to_address=to_address, subject=subject[:500], error=None)


def mark_skipped(session: Session, row_id: int, reason: str) -> None:
    _finish(session, row_id, status=MAIL_SKIPPED, skip_reason=reason)


def mark_attempt_failed(
    session: Session, row_id: int, *, error: str, attempts: int, max_attempts: int, retry_at: datetime
) -> str:
    """Back to ``queued`` for a later retry, or ``failed`` after the last attempt; returns the new status."""
    status = MAIL_FAILED if attempts >= max_attempts else MAIL_QUEUED
    _finish(session, row_id, status=status, error=error[:2000], next_attempt_at=retry_at)
    return status


def recent(session: Session, course_id: int, limit: int = 50) -> list[NotificationOutbox]:
    """The course's latest outbox rows (for its coordinators' log)."""
    return list(
        session.execute(
            select(NotificationOutbox)
            .where(NotificationOutbox.course_id == course_id)
            .order_by(NotificationOutbox.id.desc())
            .limit(limit)
        ).scalars()
    )


__all__ = [
    "KINDS",
    "MAIL_SENT",
    "N_",
    "SKIP_REASONS",
    "CourseSettings",
    "Preference",
    "UnknownKind",
    "claim",
    "course_settings",
    "notify",
    "preference",
    "queue",
    "save_course_settings",
    "save_preference",
    "unsubscribe",
    "wants",
]
