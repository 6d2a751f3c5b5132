"""LTI Dynamic Registration 1.0 end to end against the demo LMS's registration endpoint."""

from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Platform

from .support.browser import Page
from .support.demo import ensure_seeded, people


def _start_registration(live, browser, flavour: str) -> str:
    """As the LMS admin: paste our registration URL into the demo LMS; returns the dialog URL it opens."""
    ensure_seeded(browser)
    tools = Page(browser.http.get(f"{live.lms_url}/sandbox/{flavour}/tools", timeout=30))
    form = tools.soup.find("input", attrs={"name": "registration_url"}).find_parent("form")
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    fields["registration_url"] = live.tool_url + "/lti/register"
    added = Page(browser.http.post(live.lms_url + form["action"], data=fields, timeout=30))
    assert added.status == 200, added.text[:1000]
    return added.soup.find("iframe", id="registration-frame")["src"]


def _platforms(app, issuer: str) -> list[Platform]:
    with app.app_context():
        rows = db.session.execute(select(Platform).where(Platform.issuer == issuer)).scalars().all()
        for row in rows:
            _ = row.deployments
            db.session.expunge(row)
        return rows


def test_moodle_dynamic_registration_then_activation_then_launch(live, browser):
    """The admin pastes one URL; the tool registers, says Moodle keeps it pending, and launches once activated."""
    issuer = live.lms_url + "/sandbox/moodle"
    ensure_seeded(browser)
    before = {p.client_id for p in _platforms(live.app, issuer)}
    dialog = _start_registration(live, browser, "moodle")
    query = parse_qs(urlsplit(dialog).query)
    assert query["openid_configuration"][0].startswith(issuer)

    page = browser.get(dialog)
    assert page.status == 200, page.text[:2000]
    assert page.soup.find(id="close-registration"), "the page offers to close the registration dialog"
    assert "Pending" in page.text or "pending" in page.text.lower()
    csp = page.response.headers["Content-Security-Policy"]
    assert live.lms_url in next(p for p in csp.split("; ") if p.startswith("frame-ancestors"))

    new = [p for p in _platforms(live.app, issuer) if p.client_id not in before]
    assert len(new) == 1
    platform = new[0]
    assert platform.registered_via == "dynamic"
    assert platform.product_family == "moodle"
    assert platform.jwks_url.startswith(live.lms_url) and platform.auth_login_url.startswith(live.lms_url)
    assert [d.deployment_id for d in platform.deployments], "Moodle returns the deployment id"

    instructor = people(live.app, "instructor")[0]
    pending = browser.launch("moodle", instructor, client=platform.client_id)
    assert "/space/" not in pending.url, "Moodle refuses launches to a pending tool"

    from lti_tool.sandbox.models import SandboxTool

    with live.app.app_context():
        tool_id = db.session.execute(
            select(SandboxTool.id).where(SandboxTool.client_id == platform.client_id)
        ).scalar_one()
    tools = Page(browser.http.get(f"{live.lms_url}/sandbox/moodle/tools", timeout=30))
    form = tools.soup.find("form", action=lambda a: a and a.endswith(f"/tools/{tool_id}/activate"))
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    assert browser.http.post(live.lms_url + form["action"], data=fields, timeout=30).ok

    launched = browser.launch("moodle", instructor, client=platform.client_id)
    assert launched.status == 200 and "/space/" in launched.url, launched.text[:1500]


def test_registration_token_is_single_use(live, browser):
    """Opening the same registration link twice: the platform refuses the second, the tool says so (400)."""
    dialog = _start_registration(live, browser, "canvas")
    assert browser.get(dialog).status == 200
    again = browser.get(dialog)
    assert again.status == 400
    assert "registration_error" in again.text and "refused the registration" in again.text


def test_registration_without_configuration_is_a_clear_error(live):
    """Opening the registration URL by hand (no openid_configuration) gets a 400 page, not a 500."""
    resp = requests.get(live.tool_url + "/lti/register", timeout=10)
    assert resp.status_code == 400 and "registration_error" in resp.text


def test_registration_refuses_issuer_on_another_host(live):
    """A configuration URL on one host naming an issuer on another host is refused before registering."""
    config_url = live.tool_url + "/sandbox/moodle/.well-known/openid-configuration"  # 127.0.0.1, issuer localhost
    resp = requests.get(live.tool_url + "/lti/register", params={"openid_configuration": config_url}, timeout=10)
    assert resp.status_code == 400 and "issuer on another host" in resp.text


def test_unreachable_configuration_is_a_clear_error(live):
    """A configuration URL that does not answer gets a 400 page naming the problem."""
    resp = requests.get(
        live.tool_url + "/lti/register", params={"openid_configuration": "http://127.0.0.1:9/nothing"}, timeout=30
    )
    assert resp.status_code == 400 and "could not read" in resp.text
