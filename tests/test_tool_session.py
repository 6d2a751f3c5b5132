"""Cookieless tool sessions: bound to person, course and platform, short-lived, CSRF-protected."""

import time

import requests

from lti_tool.launch.tool_session import ToolSessionSigner

from .support.demo import ensure_seeded, forge_token, people


def test_pages_need_a_valid_session(live, browser):
    """Without a token or with a tampered one, tool pages answer 401 and tell the user to relaunch."""
    ensure_seeded(browser)
    token = browser.launch("moodle", people(live.app, "instructor")[0]).token()
    assert browser.get(f"/space/?ts={token}").status == 200
    assert browser.get("/space/").status == 401
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    resp = browser.get(f"/space/?ts={tampered}")
    assert resp.status == 401 and "Open Mentoring Space again" in resp.text


def test_idle_session_expires(live, browser):
    """A link older than TOOL_SESSION_MAX_AGE is refused; each page re-signs the session for active users."""
    ensure_seeded(browser)
    token = browser.launch("moodle", people(live.app, "student")[2]).token()
    live.app.extensions.pop("tool_session_signer", None)
    live.app.config["TOOL_SESSION_MAX_AGE"] = 1
    try:
        time.sleep(2.1)
        assert browser.get(f"/space/?ts={token}").status == 401
    finally:
        live.app.config["TOOL_SESSION_MAX_AGE"] = 7200
        live.app.extensions.pop("tool_session_signer", None)
    assert browser.get(f"/space/?ts={token}").status == 200


def test_token_from_another_secret_is_refused(live, browser):
    """A token signed with another key (another deployment of the tool) is not accepted."""
    other = ToolSessionSigner("another-secret", max_age=3600)
    token = other.dumps(other.new(person_id=1, course_id=1, platform_id=1, role="coordinator"))
    assert browser.get(f"/space/people?ts={token}").status == 401


def test_session_is_bound_to_its_course(live, browser):
    """A valid token whose person is not a member of the course or platform named in it gets 403, not data."""
    ensure_seeded(browser)
    token = browser.launch("moodle", people(live.app, "student")[0]).token()
    real = _real(live, token)
    other_course = forge_token(live.app, token, course_id=real.course_id + 10_000)
    other_platform = forge_token(live.app, token, platform_id=real.platform_id + 1)
    assert browser.get(f"/space/?ts={other_course}").status == 403
    assert browser.get(f"/space/?ts={other_platform}").status == 403


def test_role_comes_from_membership_not_token(live, browser):
    """A student's token claiming 'coordinator' still cannot open coordinator pages."""
    ensure_seeded(browser)
    token = browser.launch("moodle", people(live.app, "student")[1]).token()
    assert browser.get(f"/space/people?ts={forge_token(live.app, token, role='coordinator')}").status == 403


def _real(live, token):
    from lti_tool.views.access import signer

    with live.app.app_context():
        return signer(live.app).loads(token)


def test_security_headers(live, browser):
    """Pages send Referrer-Policy, nosniff, no-store, and a CSP whose frame-ancestors names the platforms."""
    ensure_seeded(browser)
    page = browser.launch("canvas", people(live.app, "student")[0])
    headers = page.response.headers
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    csp = headers["Content-Security-Policy"]
    ancestors = next(part for part in csp.split("; ") if part.startswith("frame-ancestors"))
    assert "'self'" in ancestors and live.lms_url in ancestors
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "evil" not in ancestors


def test_csrf_required_on_tool_forms(live, browser):
    """A POST to a tool form with a valid session but no CSRF token is refused (400)."""
    ensure_seeded(browser)
    page = browser.launch("moodle", people(live.app, "instructor")[0], message="deep_link")
    assert page.status == 200, page.text[:1000]
    token = page.token()
    resp = requests.post(live.tool_url + "/lti/deep-link", data={"ts": token, "items": ["space"]}, timeout=10)
    assert resp.status_code == 400
    assert "The form expired" in resp.text
