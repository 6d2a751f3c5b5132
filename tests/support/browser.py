"""A minimal browser for the LTI flows: follows redirects and auto-submitting forms over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from bs4 import BeautifulSoup


@dataclass
class Page:
    response: requests.Response

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def url(self) -> str:
        return self.response.url

    @property
    def text(self) -> str:
        return self.response.text

    @property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.response.text, "html.parser")

    def autosubmit_form(self) -> tuple[str, dict[str, str]] | None:
        form = self.soup.find("form", id="autosubmit")
        if form is None:
            return None
        fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
        return urljoin(self.url, form.get("action") or self.url), fields

    def token(self) -> str | None:
        """The tool-session token the page carries in its links."""
        for link in self.soup.find_all("a", href=True):
            qs = parse_qs(urlsplit(link["href"]).query)
            if "ts" in qs:
                return qs["ts"][0]
        field = self.soup.find("input", attrs={"name": "ts"})
        return field["value"] if field else None

    def link(self, text: str) -> str:
        for a in self.soup.find_all("a", href=True):
            if text in a.get_text(" ", strip=True):
                return urljoin(self.url, a["href"])
        raise AssertionError(f"no link {text!r} on {self.url}")


class LmsBrowser:
    def __init__(self, tool_url: str, lms_url: str, *, cookies: bool = True) -> None:
        self.tool_url = tool_url
        self.lms_url = lms_url
        self.http = requests.Session()
        if not cookies:
            self.http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def get(self, url: str, **kw) -> Page:
        return Page(self.http.get(urljoin(self.tool_url, url), timeout=30, **kw))

    def post(self, url: str, data: dict, **kw) -> Page:
        return Page(self.http.post(urljoin(self.tool_url, url), data=data, timeout=30, **kw))

    def follow_forms(self, page: Page, limit: int = 6) -> Page:
        """Submit auto-submitting forms (OIDC hand-offs) until a page without one."""
        for _ in range(limit):
            form = page.autosubmit_form()
            if form is None:
                return page
            action, fields = form
            page = Page(self.http.post(action, data=fields, timeout=30))
        return page

    def start_url(self, flavour: str, user: str, context: str = "course-101", **extra: str) -> str:
        params = {"user": user, "context": context, **extra}
        query = "&".join(f"{k}={requests.utils.quote(str(v))}" for k, v in params.items())
        return f"{self.lms_url}/sandbox/{flavour}/start?{query}"

    def launch(self, flavour: str, user: str, context: str = "course-101", **extra: str) -> Page:
        """The whole LTI flow as the demo LMS runs it: start → login → platform auth → launch → tool page."""
        return self.follow_forms(Page(self.http.get(self.start_url(flavour, user, context, **extra), timeout=30)))

    def login_only(self, flavour: str, user: str, context: str = "course-101", **extra: str) -> dict[str, str]:
        """Run the OIDC login initiation and stop before the platform answers; returns the auth request."""
        start = Page(self.http.get(self.start_url(flavour, user, context, **extra), timeout=30))
        action, fields = start.autosubmit_form()
        resp = self.http.post(action, data=fields, timeout=30, allow_redirects=False)
        assert resp.status_code == 302, resp.text[:500]
        location = resp.headers["Location"]
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        params["_auth_url"] = location.split("?")[0]
        return params

    def post_launch(self, id_token: str, state: str) -> Page:
        return Page(
            self.http.post(self.tool_url + "/lti/launch", data={"id_token": id_token, "state": state}, timeout=30)
        )
