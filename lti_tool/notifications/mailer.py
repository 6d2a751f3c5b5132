"""Where mails go: an SMTP server when ``MAIL_SERVER`` is set, the demo LMS's mailbox in the demo.

``mailer_for(config)`` picks one:

* ``MAIL_SERVER`` set → :class:`SmtpMailer` (``smtplib``; STARTTLS with ``MAIL_USE_TLS``, login with
  ``MAIL_USERNAME``/``MAIL_PASSWORD``, sender ``MAIL_FROM``). One connection per delivery batch.
* no mail server, demo LMS on (``SANDBOX_ENABLED``) → :class:`SandboxMailer`: each mail becomes a
  ``SandboxMail`` row, shown on the demo LMS's mailbox page. Nothing leaves the server.
* neither → ``None``: rows are marked skipped (``no_mail_server``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from sqlalchemy.orm import Session


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    def __enter__(self) -> Mailer: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, mail: Mail) -> None: ...


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML) with our headers."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].strip(">") if "@" in sender else "mentoring-space.invalid"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


class SmtpMailer:
    """Send through an SMTP server; the connection opens on ``__enter__`` and closes on ``__exit__``."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        use_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        sender: str = "Mentoring Space <no-reply@localhost>",
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.use_tls = host, port, use_tls
        self.username, self.password, self.sender, self.timeout = username, password, sender, timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except Exception:
            smtp.close()
            raise
        self._smtp = smtp
        return self

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                self._smtp.close()
            except OSError:
                pass
            self._smtp = None

    def send(self, mail: Mail) -> None:
        if self._smtp is None:
            raise RuntimeError("use the mailer as a context manager")
        self._smtp.send_message(build_message(mail, self.sender))


class SandboxMailer:
    """Store each mail in the demo LMS's mailbox (a ``SandboxMail`` row, committed at once)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> SandboxMailer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, mail: Mail) -> None:
        from ..sandbox.models import SandboxMail

        self.session.add(SandboxMail(to=mail.to, subject=mail.subject[:500], body_text=mail.text, body_html=mail.html))
        self.session.commit()


def mailer_for(config: Mapping[str, Any], session: Session) -> Mailer | None:
    if config.get("MAIL_SERVER"):
        return SmtpMailer(
            str(config["MAIL_SERVER"]),
            int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            sender=str(config.get("MAIL_FROM") or "Mentoring Space <no-reply@localhost>"),
            timeout=float(config.get("MAIL_TIMEOUT") or 30),
        )
    if config.get("SANDBOX_ENABLED"):
        return SandboxMailer(session)
    return None
