"""Read a course roster from the platform with pylti1p3's Names and Role Provisioning Service client.

NRPS 2.0 §2.4: a platform may page the membership container and MUST then link the next page with an
RFC 8288 ``Link: <…>; rel="next"`` header; the tool may ask for a page size with ``limit``, which the
platform may ignore. So we ask for ``limit`` (keeping the URL's own query, e.g. Moodle's ``type_id``) and
follow ``rel="next"`` whatever size the pages turn out to be. Access tokens come from the
:class:`~lti_tool.grades.connector.SharedTokenServiceConnector`: one token per lifetime, shared by all
workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from pylti1p3.exception import LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.utils import add_param_to_url

from .service import N_, RosterError

# A runaway "next" chain (a platform linking a page to itself) ends here rather than never.
MAX_PAGES = 10_000

MSG_REFUSED = N_(
    "The LMS refused the roster request (HTTP %(status)s). Try again later; if it keeps failing, check that "
    "the tool may use the Names and Roles service in this course."
)
MSG_UNREACHABLE = N_("The LMS could not be reached for the roster. Try again later.")
MSG_NOT_JSON = N_("The LMS answered the roster request with something that is not an NRPS membership list.")
MSG_LOOP = N_("The LMS's roster pages link back to a page already read; the sync stopped.")


class TimeoutSession(requests.Session):
    """A requests session with a default timeout: pylti1p3 passes none, and a hung LMS must not hang a job."""

    def __init__(self, timeout: float, user_agent: str | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        if user_agent:
            self.headers["User-Agent"] = user_agent

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def first_page_url(nrps_url: str, page_size: int | None) -> str:
    """``nrps_url`` asking for ``page_size`` members per page, unless the URL already chooses a limit."""
    if not page_size:
        return nrps_url
    if any(name == "limit" for name, _ in parse_qsl(urlsplit(nrps_url).query)):
        return nrps_url
    return add_param_to_url(nrps_url, "limit", page_size)


def nrps_pages(connector: ServiceConnector, nrps_url: str, page_size: int | None = 100) -> Iterator[list[dict]]:
    """Yield the roster page by page (each a list of NRPS member objects)."""
    service = NamesRolesProvisioningService(connector, {"context_memberships_url": nrps_url})
    url: str | None = first_page_url(nrps_url, page_size)
    visited: set[str] = set()
    while url:
        if url in visited or len(visited) >= MAX_PAGES:
            raise RosterError(MSG_LOOP, detail=f"page URL seen twice or too many pages: {url}")
        visited.add(url)
        try:
            members, url = service.get_members_page(url)
        except LtiServiceException as err:
            status = err.response.status_code if err.response is not None else "?"
            raise RosterError(MSG_REFUSED, detail=f"{err}: {err.response.text[:500]}", status=status) from err
        except requests.RequestException as err:
            raise RosterError(MSG_UNREACHABLE, detail=f"{type(err).__name__}: {err}") from err
        except ValueError as err:  # the body was not JSON
            raise RosterError(MSG_NOT_JSON, detail=str(err)) from err
        if not isinstance(members, list):
            raise RosterError(MSG_NOT_JSON, detail=f"members is {type(members).__name__}")
        yield [dict(m) for m in members if isinstance(m, dict)]
