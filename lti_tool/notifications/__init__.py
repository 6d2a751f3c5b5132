"""Email notifications: new-message digests, meeting reminders, silent-pair nudges, and ``notify(...)``.

* :func:`notify` (stable API, no Flask needed): queue one mail to one person, idempotently, rendered later
  in the recipient's language and time zone. See :mod:`.outbox` for the parameters and an example.
* The outbox (``notification_outbox``) holds every mail: queued → sent / failed / skipped (with why).
* A tick (:mod:`.tick`) queues what is due and delivers the outbox: the ``notifications.tick`` job, the
  ``flask notifications run`` command (cron), or the in-process timer (``NOTIFY_TICK_SECONDS``).
* Mail goes to SMTP (``MAIL_SERVER``…) or, in the demo, to the demo LMS's mailbox (:mod:`.mailer`).
* Every mail has an unsubscribe link (signed token, :mod:`.tokens`) and a ``List-Unsubscribe`` header.
"""

from __future__ import annotations

from .outbox import KINDS, N_, UnknownKind, notify

__all__ = ["KINDS", "N_", "UnknownKind", "notify"]
