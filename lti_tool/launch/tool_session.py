"""Tool sessions that need no cookie: a short-lived signed token carried by links and forms.

Browsers block third-party cookies inside the LMS iframe, so after a launch every page of the tool gets
its identity from a token bound to person, course and platform. The token travels in the ``ts`` query
or form parameter (or the ``X-Tool-Session`` header); ``Referrer-Policy: same-origin`` keeps it from
leaking to other sites. Each response re-signs the same session with a fresh timestamp, so an active user
stays in while an idle link expires after ``max_age`` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

TOKEN_PARAM = "ts"
TOKEN_HEADER = "X-Tool-Session"


@dataclass(frozen=True)
class ToolSession:
    sid: str
    person_id: int
    course_id: int
    platform_id: int
    role: str
    launch_id: str | None = None
    locale: str | None = None
    resource_link_id: int | None = None

    def csrf_seed(self, secret: str) -> str:
        """A per-session CSRF secret derived from the session id (no server-side storage needed)."""
        return hmac.new(secret.encode(), b"csrf:" + self.sid.encode(), hashlib.sha256).hexdigest()


class InvalidToolSession(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ToolSessionSigner:
    def __init__(self, secret_key: str, max_age: int) -> None:
        self.secret_key = secret_key
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(secret_key, salt="mentoring-space/tool-session")

    def new(self, **fields: object) -> ToolSession:
        return ToolSession(sid=secrets.token_urlsafe(16), **fields)  # type: ignore[arg-type]

    def dumps(self, session: ToolSession) -> str:
        # The fields are plain values: a shallow copy of them is what ``asdict``'s deep copy would make.
        return self._serializer.dumps(dict(vars(session)))

    def loads(self, token: str) -> ToolSession:
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired as err:
            raise InvalidToolSession("expired") from err
        except BadSignature as err:
            raise InvalidToolSession("invalid") from err
        try:
            return ToolSession(**data)
        except TypeError as err:
            raise InvalidToolSession("invalid") from err
