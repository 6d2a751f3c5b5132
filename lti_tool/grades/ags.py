"""The HTTP side of AGS 2.0 for the tool: service URLs, bearer requests with timeouts, platform answers.

pylti1p3's ``make_service_request`` has no timeouts, hides ``Retry-After`` and raises on every non-2xx, so
the grade code makes its own requests and uses pylti1p3 only for the access token (the signed client
assertion, Security Framework §4.1) through :class:`SharedTokenServiceConnector`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from pylti1p3.exception import LtiServiceException

from .connector import SharedTokenServiceConnector

SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPE_SCORE = SCOPE + "score"
SCOPE_LINEITEM = SCOPE + "lineitem"
SCOPE_LINEITEM_READONLY = SCOPE + "lineitem.readonly"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
ANSWER_LIMIT = 1000


def scores_url(lineitem_url: str) -> str:
    """``<line item>/scores`` (AGS 2.0 §3.4), keeping the query string: Moodle's URLs carry ``?type_id=``."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def ags_scopes(granted: Sequence[str] | None) -> list[str]:
    """The AGS scopes a course's launches granted (the token asks for all of them: one token, not four)."""
    scopes = sorted({s for s in granted or () if isinstance(s, str) and s.startswith(SCOPE)})
    return scopes or [SCOPE_SCORE]


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def platform_answer(response: requests.Response) -> str:
    """What the platform said, for a coordinator: the OAuth-style error and description, or the body."""
    text = response.text or ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "error_description", "message", "errors") if body.get(k)]
        if parts:
            text = ": ".join(parts)
    text = text.strip() or (response.reason or "")
    return f"HTTP {response.status_code} {text}"[:ANSWER_LIMIT]


_UNKNOWN_USER = re.compile(
    r"unknown[_ ]user|user[_ ]not[_ ]found|not a member|not enrolled|no such user|"
    r"user\b.*\b(unknown|not found|does not exist|not (?:be )?found)|student\b.*\bnot\b",
    re.IGNORECASE,
)


def says_unknown_user(response: requests.Response) -> bool:
    """A 400/404 whose answer says the platform does not know the user (left the course, deleted)."""
    try:
        body = response.json()
        text = json.dumps(body) if not isinstance(body, str) else body
    except ValueError:
        text = response.text or ""
    return bool(_UNKNOWN_USER.search(text))


class TimeoutSession(requests.Session):
    """A ``requests.Session`` whose requests time out unless told otherwise (requests has no default)."""

    def __init__(self, timeout: float, user_agent: str) -> None:
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = user_agent

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


class TokenRefused(Exception):
    """The token endpoint answered an error (the response is attached) or could not be reached."""

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


@dataclass
class AgsClient:
    """Bearer requests to one registration's AGS endpoints with one shared access token.

    A 401 drops the cached token once and retries with a fresh one (the platform may have revoked it or
    restarted); a second 401 is returned to the caller.
    """

    connector: SharedTokenServiceConnector
    scopes: list[str]
    http: requests.Session

    def token(self) -> str:
        try:
            return self.connector.get_access_token(self.scopes)
        except LtiServiceException as err:
            response = getattr(err, "response", None)
            raise TokenRefused(str(err), response) from err
        except requests.RequestException as err:
            raise TokenRefused(f"The token endpoint could not be reached: {err}") from err

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        token = self.token()
        headers["Authorization"] = "Bearer " + token
        response = self.http.request(method, url, headers=headers, **kwargs)
        if response.status_code == 401:
            self.connector.forget_access_token(self.scopes, token)
            headers["Authorization"] = "Bearer " + self.token()
            response = self.http.request(method, url, headers=headers, **kwargs)
        return response

    def post_score(self, lineitem_url: str, score: dict[str, Any]) -> requests.Response:
        return self.request(
            "POST",
            scores_url(lineitem_url),
            data=json.dumps(score),
            headers={"Content-Type": SCORE_MEDIA_TYPE},
        )

    def line_items(self, lineitems_url: str, **filters: str) -> Iterator[dict[str, Any]]:
        """Every line item, following ``Link: rel="next"`` (AGS 2.0 §3.2.4); filters are hints the platform
        may ignore, so callers still match what comes back."""
        url: str | None = lineitems_url
        params: dict[str, str] | None = {k: v for k, v in filters.items() if v}
        while url:
            response = self.request("GET", url, params=params, headers={"Accept": LINEITEM_CONTAINER_MEDIA_TYPE})
            if not response.ok:
                raise_for_answer(response)
            body = response.json()
            if not isinstance(body, list):
                raise ValueError("the platform's line item container is not a JSON array")
            yield from (item for item in body if isinstance(item, dict))
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries the query

    def create_line_item(self, lineitems_url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.request(
            "POST",
            lineitems_url,
            data=json.dumps(body),
            headers={"Content-Type": LINEITEM_MEDIA_TYPE, "Accept": LINEITEM_MEDIA_TYPE},
        )
        if not response.ok:
            raise_for_answer(response)
        created = response.json()
        if not isinstance(created, dict) or not isinstance(created.get("id"), str):
            raise ValueError("the platform answered a line item without an id")
        return created

    def get_line_item(self, lineitem_url: str) -> dict[str, Any]:
        """One line item (AGS 2.0 §3.2.6 GET)."""
        response = self.request("GET", lineitem_url, headers={"Accept": LINEITEM_MEDIA_TYPE})
        if not response.ok:
            raise_for_answer(response)
        found = response.json()
        if not isinstance(found, dict):
            raise ValueError("the platform's line item is not a JSON object")
        return found

    def update_line_item(self, lineitem_url: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replace a line item (AGS 2.0 §3.2.6 PUT: the whole line item, changed fields included)."""
        response = self.request(
            "PUT",
            lineitem_url,
            data=json.dumps(body),
            headers={"Content-Type": LINEITEM_MEDIA_TYPE, "Accept": LINEITEM_MEDIA_TYPE},
        )
        if not response.ok:
            raise_for_answer(response)
        updated = response.json() if response.content else body
        return updated if isinstance(updated, dict) else body

    def delete_line_item(self, lineitem_url: str) -> None:
        """Delete a line item (AGS 2.0 §3.2.6 DELETE); one already gone (404) counts as deleted."""
        response = self.request("DELETE", lineitem_url)
        if not response.ok and response.status_code != 404:
            raise_for_answer(response)


class PlatformAnswer(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(platform_answer(response))
        self.response = response


def raise_for_answer(response: requests.Response) -> None:
    raise PlatformAnswer(response)


class ThreadSessions:
    """One ``requests.Session`` per thread (a Session is not safe to share between threads)."""

    def __init__(self, timeout: float, user_agent: str) -> None:
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._lock = threading.Lock()
        self.timeout = timeout
        self.user_agent = user_agent

    def get(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = TimeoutSession(self.timeout, self.user_agent)
            self._local.session = session
            with self._lock:
                self._all.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._all:
                session.close()
            self._all.clear()
