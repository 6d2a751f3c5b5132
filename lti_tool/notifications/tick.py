"""One notifications tick: compute what is due (digests, nudges, meeting and evaluation reminders), queue
it, deliver the outbox.

Safe to run anywhere and often: as the ``notifications.tick`` job (in-process thread pool or RQ), from
``flask notifications run`` (cron), or from the in-process timer (:mod:`.scheduler`). Two ticks at once
queue each mail once (idempotency keys) and send it once (claims).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..models import utcnow
from .delivery import DeliveryReport, deliver_due
from .digests import queue_digests
from .mailer import Mailer
from .nudges import queue_nudges
from .reminders import queue_reminders

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    digests: int = 0
    nudges: int = 0
    reminders: int = 0
    evaluation_reminders: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def as_dict(self) -> dict[str, Any]:
        counts = {"digests": self.digests, "nudges": self.nudges, "reminders": self.reminders}
        return counts | {"evaluation_reminders": self.evaluation_reminders} | self.delivery.as_dict()

    def line(self) -> str:
        d = self.delivery
        return (
            f"queued {self.digests} digests, {self.nudges} nudges, {self.reminders} meeting reminders, "
            f"{self.evaluation_reminders} evaluation reminders; "
            f"sent {d.sent}, skipped {d.skipped}, retrying {d.retried}, failed {d.failed}"
        )


def compute(session: Session, config: Mapping[str, Any], now: datetime) -> TickReport:
    """Queue every digest, nudge and reminder due at ``now`` (no sending)."""
    report = TickReport()
    report.reminders = queue_reminders(session, now)
    report.evaluation_reminders = _evaluation_reminders(session, now)
    from ..mentoring.evaluations.reminders import queue_evaluation_reminders

    report.reminders += queue_evaluation_reminders(session, now)
    session.commit()
    report.nudges = queue_nudges(session, now)
    report.digests = queue_digests(session, now, digest_hour=int(config.get("NOTIFY_DIGEST_HOUR", 8)))
    return report


def _evaluation_reminders(session: Session, now: datetime) -> int:
    """Checkpoint reminders of :mod:`lti_tool.mentoring.evaluations.reminders` (they use ``notify``)."""
    try:
        from ..mentoring.evaluations.reminders import queue_evaluation_reminders
    except ImportError:  # pragma: no cover - a version without evaluations
        return 0
    queued = queue_evaluation_reminders(session, now)
    session.commit()
    return queued


def run_tick(
    session: Session,
    config: Mapping[str, Any],
    *,
    now: datetime | None = None,
    mailer: Mailer | None = None,
    deliver: bool = True,
) -> TickReport:
    """Compute and queue what is due at ``now``, then deliver the due outbox rows. Needs an app context."""
    now = now or utcnow()
    report = compute(session, config, now)
    if deliver:
        report.delivery = deliver_due(session, config, now=now, mailer=mailer)
    return report
