"""The grade outbox worker: lease rows, post their scores with AGS, record what the platform answered.

Claiming is one statement, ``UPDATE … WHERE id IN (SELECT … claimable … LIMIT n) RETURNING id`` with a
fresh lease token (``FOR UPDATE SKIP LOCKED`` in the subquery on PostgreSQL; SQLite runs the statement
under its single writer lock), so any number of workers, threads or hosts can run at once and a row is
sent by one of them. A row's lease ends at ``lease_until``: a worker that dies mid-batch leaves rows in
flight that another worker claims again once the lease has expired. Every write-back is conditional on
the lease token, so a worker whose lease was taken over cannot overwrite the new owner's state.

A row sent twice (a lease taken over, a response lost on the way back) is harmless: it carries its result
version's timestamp and the platform ignores a score that is not newer than the one it holds (AGS 2.0
§3.4.7). Retries: connection errors and 5xx with exponential backoff and jitter, 429 after ``Retry-After``
(seconds or an HTTP date), a 401 once with a fresh token. A 400/404 saying the user is unknown and other
4xx are final (``failed``, with the platform's answer, for the coordinator to resend). A 404 that is not
about the user means the line item is gone: it is marked missing and recreated on the next coordinator
action (:func:`lti_tool.grades.lineitems.restore_missing`).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

import requests
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ..models import Course, GradeOutbox, LineItem, LineItemStatus, OutboxStatus, Platform, utcnow
from .ags import AgsClient, ThreadSessions, TokenRefused, ags_scopes, platform_answer, retry_after_seconds
from .ags import says_unknown_user as _says_unknown_user
from .services import USER_AGENT, DeliverySettings, GradeServices

log = logging.getLogger(__name__)

SENT, RETRY, FAILED, MISSING = "sent", "retry", "failed", "missing"
LINE_ITEM_GONE = (
    "The LMS no longer has this gradebook column (it was deleted there). The result is kept and is sent again "
    "once the column is recreated, on the next coordinator action."
)


@dataclass(frozen=True)
class Claimed:
    id: int
    attempts: int
    payload: dict[str, Any]
    line_item_id: int
    lineitem_url: str
    platform_id: int
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    id: int
    kind: str
    status_code: int | None = None
    answer: str | None = None
    retry_after: float | None = None


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    missing: int = 0
    lost_leases: int = 0
    batches: int = 0
    token_requests: int = 0
    seconds: float = 0.0
    worker_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "missing": self.missing,
            "token_requests": self.token_requests,
            "seconds": round(self.seconds, 3),
        }

    def add(self, kind: str) -> None:
        if kind == SENT:
            self.sent += 1
        elif kind == RETRY:
            self.retried += 1
        elif kind == FAILED:
            self.failed += 1
        elif kind == MISSING:
            self.missing += 1


def _claimable(now):  # type: ignore[no-untyped-def]
    return or_(
        and_(GradeOutbox.status == OutboxStatus.PENDING.value, GradeOutbox.next_attempt_at <= now),
        and_(GradeOutbox.status == OutboxStatus.IN_FLIGHT.value, GradeOutbox.lease_until < now),
    )


def claim(
    session_factory: Callable[[], Session], lease_token: str, *, batch: int, lease_seconds: float
) -> list[Claimed]:
    """Lease up to ``batch`` due rows (pending and due, or in flight with an expired lease). Commits."""
    with session_factory() as session, session.begin():
        now = utcnow()
        due = (
            select(GradeOutbox.id)
            .join(LineItem, LineItem.id == GradeOutbox.line_item_id)
            .where(_claimable(now), LineItem.status == LineItemStatus.ACTIVE.value, LineItem.platform_url.is_not(None))
            .order_by(GradeOutbox.next_attempt_at, GradeOutbox.id)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True, of=GradeOutbox)
        claimed_ids = list(
            session.execute(
                update(GradeOutbox)
                .where(GradeOutbox.id.in_(due.scalar_subquery()), _claimable(now))
                .values(
                    status=OutboxStatus.IN_FLIGHT.value,
                    leased_by=lease_token,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=GradeOutbox.attempts + 1,
                )
                .returning(GradeOutbox.id)
                .execution_options(synchronize_session=False)
            ).scalars()
        )
        if not claimed_ids:
            return []
        rows = session.execute(
            select(
                GradeOutbox.id,
                GradeOutbox.attempts,
                GradeOutbox.payload,
                GradeOutbox.line_item_id,
                LineItem.platform_url,
                GradeOutbox.platform_id,
                Course.ags_scopes,
            )
            .join(LineItem, LineItem.id == GradeOutbox.line_item_id)
            .join(Course, Course.id == LineItem.course_id)
            .where(GradeOutbox.id.in_(claimed_ids), GradeOutbox.leased_by == lease_token)
        ).all()
    return [Claimed(r[0], r[1], dict(r[2]), r[3], r[4] or "", r[5], tuple(ags_scopes(r[6]))) for r in sorted(rows)]


def backoff_seconds(attempts: int, settings: DeliverySettings) -> float:
    """Exponential backoff with jitter: between half and all of ``base × 2^(attempts-1)``, capped."""
    ceiling = min(settings.backoff_max, settings.backoff_base * (2 ** max(0, attempts - 1)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def classify(row_id: int, response: requests.Response) -> Outcome:
    """What a score POST's answer means for the row."""
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(row_id, SENT, code)
    answer = platform_answer(response)
    if code == 429 or code >= 500 or code in (401, 408):
        return Outcome(row_id, RETRY, code, answer, retry_after_seconds(response.headers.get("Retry-After")))
    if code in (400, 404) and _says_unknown_user(response):
        return Outcome(row_id, FAILED, code, answer)
    if code == 404:
        return Outcome(row_id, MISSING, code, answer)
    return Outcome(row_id, FAILED, code, answer)


class _Sender:
    def __init__(self, services: GradeServices, sessions: ThreadSessions) -> None:
        self.services = services
        self.sessions = sessions
        self.connectors: dict[int, Any] = {}
        self.inactive: set[int] = set()

    def prepare(self, session: Session, platform_ids: set[int]) -> None:
        for platform_id in platform_ids - set(self.connectors) - self.inactive:
            platform = session.get(Platform, platform_id)
            if platform is None or not platform.is_active:
                self.inactive.add(platform_id)
                continue
            self.connectors[platform_id] = self.services.connector(session, platform_id)

    def send(self, item: Claimed) -> Outcome:
        try:
            return self._send(item)
        except Exception as err:  # a bug must not take the batch down: the row is retried later
            log.exception("grades: sending outbox row %s failed unexpectedly", item.id)
            return Outcome(item.id, RETRY, None, f"Mentoring Space could not send it ({type(err).__name__}).")

    def _send(self, item: Claimed) -> Outcome:
        connector = self.connectors.get(item.platform_id)
        if connector is None:
            return Outcome(item.id, RETRY, None, "The platform is disabled in Mentoring Space.")
        client = AgsClient(connector, list(item.scopes), self.sessions.get())
        try:
            response = client.post_score(item.lineitem_url, item.payload)
        except TokenRefused as err:
            resp = err.response
            if resp is None or resp.status_code == 429 or resp.status_code >= 500:
                after = retry_after_seconds(resp.headers.get("Retry-After")) if resp is not None else None
                answer = platform_answer(resp) if resp is not None else str(err)
                return Outcome(item.id, RETRY, getattr(resp, "status_code", None), "Access token: " + answer, after)
            return Outcome(
                item.id, FAILED, resp.status_code, "The LMS refused an access token: " + platform_answer(resp)
            )
        except requests.RequestException as err:
            return Outcome(item.id, RETRY, None, f"No answer from the LMS ({type(err).__name__}).")
        return classify(item.id, response)


def _write_back(
    session_factory: Callable[[], Session],
    lease_token: str,
    outcomes: list[tuple[Claimed, Outcome]],
    settings: DeliverySettings,
    report: DeliveryReport,
) -> None:
    """Record outcomes, each conditional on our lease. One transaction."""
    if not outcomes:
        return
    mine = and_(GradeOutbox.leased_by == lease_token, GradeOutbox.status == OutboxStatus.IN_FLIGHT.value)
    released = {"leased_by": None, "lease_until": None}
    with session_factory() as session, session.begin():
        now = utcnow()
        sent = [o for _, o in outcomes if o.kind == SENT]
        by_code: dict[int | None, list[int]] = {}
        for o in sent:
            by_code.setdefault(o.status_code, []).append(o.id)
        written = 0
        for code, ids in by_code.items():
            written += _rowcount(
                session.execute(
                    update(GradeOutbox)
                    .where(GradeOutbox.id.in_(ids), mine)
                    .values(
                        status=OutboxStatus.SENT.value, sent_at=now, last_status_code=code, last_error=None, **released
                    )
                    .execution_options(synchronize_session=False)
                )
            )
        for item, o in outcomes:
            if o.kind == SENT:
                continue
            values: dict[str, Any] = {"last_status_code": o.status_code, "last_error": o.answer, **released}
            if o.kind == RETRY and item.attempts >= settings.max_attempts:
                values["status"] = OutboxStatus.FAILED.value
                values["last_error"] = f"Gave up after {item.attempts} attempts. Last answer: {o.answer}"[:1000]
            elif o.kind == RETRY:
                delay = o.retry_after if o.retry_after is not None else backoff_seconds(item.attempts, settings)
                values["status"] = OutboxStatus.PENDING.value
                values["next_attempt_at"] = now + timedelta(seconds=delay)
            elif o.kind == MISSING:
                session.execute(
                    update(LineItem)
                    .where(LineItem.id == item.line_item_id, LineItem.platform_url == item.lineitem_url)
                    .values(status=LineItemStatus.MISSING.value, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                values["status"] = OutboxStatus.PENDING.value
                values["next_attempt_at"] = now
                values["last_error"] = (LINE_ITEM_GONE + " " + (o.answer or ""))[:1000]
            else:
                values["status"] = OutboxStatus.FAILED.value
            written += _rowcount(
                session.execute(
                    update(GradeOutbox)
                    .where(GradeOutbox.id == item.id, mine)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            )
        report.lost_leases += len(outcomes) - written
    for _, o in outcomes:
        report.add(o.kind)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def next_due_in(session_factory: Callable[[], Session]) -> float | None:
    """Seconds until the earliest pending row (or expired lease) is due; None when nothing waits."""
    with session_factory() as session:
        pending = session.execute(
            select(func.min(GradeOutbox.next_attempt_at))
            .join(LineItem, LineItem.id == GradeOutbox.line_item_id)
            .where(GradeOutbox.status == OutboxStatus.PENDING.value, LineItem.status == LineItemStatus.ACTIVE.value)
        ).scalar()
        leased = session.execute(
            select(func.min(GradeOutbox.lease_until)).where(GradeOutbox.status == OutboxStatus.IN_FLIGHT.value)
        ).scalar()
    moments = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in (pending, leased) if m is not None]
    if not moments:
        return None
    return max(0.0, (min(moments) - utcnow()).total_seconds())


@dataclass
class Worker:
    """One delivery worker (any number may run at once, in threads, processes or hosts)."""

    services: GradeServices
    concurrency: int | None = None
    batch: int | None = None
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def run(
        self,
        *,
        wait: float = 0.0,
        stop: threading.Event | None = None,
        on_batch: Callable[[DeliveryReport], None] | None = None,
    ) -> DeliveryReport:
        """Deliver every due row; then, while a retry falls due within ``wait`` seconds, sleep and go on.

        ``on_batch`` is called after each batch (a job reports progress and its heartbeat with it).
        """
        settings = self.services.settings
        concurrency = max(1, self.concurrency or settings.concurrency)
        batch = max(1, self.batch or settings.batch)
        report = DeliveryReport(worker_id=self.worker_id)
        started = time.monotonic()
        deadline = started + wait
        sessions = ThreadSessions(settings.timeout, USER_AGENT)
        sender = _Sender(self.services, sessions)
        tokens_before = self.services.token_requests
        try:
            with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="grades") as pool:
                while not (stop and stop.is_set()):
                    lease_token = f"{self.worker_id}-{uuid.uuid4().hex[:16]}"
                    claimed = claim(
                        self.services.session_factory, lease_token, batch=batch, lease_seconds=settings.lease_seconds
                    )
                    if not claimed:
                        due = next_due_in(self.services.session_factory)
                        if due is None or time.monotonic() + due > deadline:
                            break
                        time.sleep(min(max(due, 0.005), 1.0))
                        continue
                    report.batches += 1
                    report.claimed += len(claimed)
                    with self.services.session_factory() as session:
                        sender.prepare(session, {c.platform_id for c in claimed})
                    self._deliver_batch(pool, sender, claimed, lease_token, report)
                    if on_batch is not None:
                        on_batch(report)
        finally:
            sessions.close()
        report.token_requests = self.services.token_requests - tokens_before
        report.seconds = time.monotonic() - started
        return report

    def _deliver_batch(
        self,
        pool: ThreadPoolExecutor,
        sender: _Sender,
        claimed: list[Claimed],
        lease_token: str,
        report: DeliveryReport,
    ) -> None:
        settings = self.services.settings
        by_id = {c.id: c for c in claimed}
        # Outcomes come back through a queue (O(1) per score; waiting on futures is O(pending) per wake-up).
        outcomes: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        for item in claimed:
            pool.submit(_send_into, sender, item, outcomes)
        done: list[tuple[Claimed, Outcome]] = []
        remaining = len(claimed)
        renew_every = max(settings.lease_seconds / 3, 0.05)
        renewed = time.monotonic()
        while remaining:
            try:
                outcome: Outcome | None = outcomes.get(timeout=renew_every)
            except queue.Empty:
                outcome = None
            while outcome is not None:
                done.append((by_id[outcome.id], outcome))
                remaining -= 1
                try:
                    outcome = outcomes.get_nowait()
                except queue.Empty:
                    outcome = None
            if len(done) >= 100 or (done and not remaining):
                _write_back(self.services.session_factory, lease_token, done, settings, report)
                done = []
            if remaining and time.monotonic() - renewed >= renew_every:
                # A slow platform must not let our lease lapse while rows still wait in the pool.
                _renew_lease(self.services.session_factory, lease_token, settings.lease_seconds)
                renewed = time.monotonic()


def _send_into(sender: _Sender, item: Claimed, outcomes: queue.SimpleQueue[Outcome]) -> None:
    outcome = Outcome(item.id, RETRY, None, "Mentoring Space could not send it.")
    try:
        outcome = sender.send(item)
    finally:
        outcomes.put(outcome)


def _renew_lease(session_factory: Callable[[], Session], lease_token: str, lease_seconds: float) -> None:
    with session_factory() as session, session.begin():
        session.execute(
            update(GradeOutbox)
            .where(GradeOutbox.leased_by == lease_token, GradeOutbox.status == OutboxStatus.IN_FLIGHT.value)
            .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )


def deliver_pending(
    services: GradeServices,
    *,
    concurrency: int | None = None,
    batch: int | None = None,
    wait: float = 0.0,
    worker_id: str | None = None,
    on_batch: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Deliver the outbox's due rows with a bounded thread pool; see :class:`Worker`.

    ``wait``: keep going while a retry falls due within this many seconds (0 = one pass over what is due).
    """
    worker = Worker(services, concurrency, batch)
    if worker_id:
        worker.worker_id = worker_id
    report = worker.run(wait=wait, on_batch=on_batch)
    if report.claimed:
        log.info(
            "grades: worker %s sent %d, retrying %d, failed %d, line items missing %d (%d token requests, %.2f s)",
            report.worker_id,
            report.sent,
            report.retried,
            report.failed,
            report.missing,
            report.token_requests,
            report.seconds,
        )
    return report
