"""Every check of the 1EdTech Security Framework refuses a bad launch with a 4xx and no session.

Tokens are built by the demo LMS's own claim builder and signed with real RS256 keys, then altered the way
an attacker or a misconfigured LMS would; they go through a real login and the real launch endpoint.
"""

import time

import jwt
import pytest
import requests
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Deployment, Platform

from .support.demo import ensure_seeded, forged_launch, id_token_for, people, person, rogue_signer

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


@pytest.fixture(autouse=True)
def _seeded(browser):
    ensure_seeded(browser)


@pytest.fixture
def victim(live):
    """A student reserved for refused launches."""
    return people(live.app, "student")[-1]


def assert_refused(live, page, status, code, victim_sub, before):
    assert page.status == status, page.text[:1500]
    assert code in page.text, page.text[:1500]
    assert "ts=" not in page.text and 'name="ts"' not in page.text, "a refused launch must not issue a session"
    after = person(live.app, victim_sub, "/moodle")
    assert (after.last_launch_at if after else None) == before, "a refused launch must not touch the person"


def _before(live, sub):
    found = person(live.app, sub, "/moodle")
    return found.last_launch_at if found else None


def _hs256(claims, pem, kid):
    return jwt.encode(claims, "shared-secret-guess-000000000000000", algorithm="HS256", headers={"kid": kid})


def _none_alg(claims, pem, kid):
    return jwt.encode(claims, None, algorithm="none", headers={"kid": kid})


def _no_kid(claims, pem, kid):
    return jwt.encode(claims, pem, algorithm="RS256")


def _unknown_kid(claims, pem, kid):
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "not-a-published-kid"})


def _set(key, value):
    def mutate(claims):
        claims[key] = value

    return mutate


def _drop(key):
    def mutate(claims):
        claims.pop(key, None)

    return mutate


CASES = [
    # (id, mutate, sign, status, code)
    ("forged-signature", None, rogue_signer, 401, "invalid_token"),
    ("alg-hs256", None, _hs256, 401, "invalid_token"),
    ("alg-none", None, _none_alg, 401, "invalid_token"),
    ("missing-kid", None, _no_kid, 401, "invalid_token"),
    ("unknown-kid", None, _unknown_kid, 401, "invalid_token"),
    ("unknown-issuer", _set("iss", "https://evil.example.org"), None, 403, "unknown_platform"),
    ("unknown-client-id", _set("aud", "someone-else"), None, 403, "unknown_platform"),
    (
        "aud-list-without-azp",
        lambda c: c.update(aud=[c["aud"] if isinstance(c["aud"], str) else c["aud"][0], "x"]),
        None,
        401,
        "invalid_token",
    ),
    ("azp-mismatch", lambda c: c.update(azp="another-client"), None, 401, "invalid_token"),
    ("missing-exp", _drop("exp"), None, 401, "invalid_token"),
    ("expired", lambda c: c.update(exp=int(time.time()) - 600, iat=int(time.time()) - 900), None, 401, "invalid_token"),
    ("missing-iat", _drop("iat"), None, 401, "invalid_token"),
    ("exp-not-finite", lambda c: c.update(exp=float("inf")), None, 401, "invalid_token"),
    ("iat-not-a-number", _set("iat", "yesterday"), None, 401, "invalid_token"),
    (
        "iat-in-future",
        lambda c: c.update(iat=int(time.time()) + 900, exp=int(time.time()) + 1200),
        None,
        401,
        "invalid_token",
    ),
    ("issued-too-long-ago", lambda c: c.update(iat=int(time.time()) - 7200), None, 401, "invalid_token"),
    ("missing-nonce", _drop("nonce"), None, 401, "invalid_token"),
    ("nonce-not-from-login", _set("nonce", "a-nonce-we-never-issued"), None, 401, "invalid_token"),
    ("wrong-version", _set(CLAIM + "version", "1.1"), None, 400, "invalid_claims"),
    ("roles-not-a-list", _set(CLAIM + "roles", "Learner"), None, 400, "invalid_claims"),
    ("missing-context", _drop(CLAIM + "context"), None, 400, "invalid_claims"),
    ("context-id-not-string", _set(CLAIM + "context", {"id": 42}), None, 400, "invalid_claims"),
    ("missing-resource-link", _drop(CLAIM + "resource_link"), None, 400, "invalid_claims"),
    ("unknown-message-type", _set(CLAIM + "message_type", "LtiSubmissionReviewRequest"), None, 400, "invalid_claims"),
    ("missing-sub", _drop("sub"), None, 400, "invalid_claims"),
    ("missing-deployment", _drop(CLAIM + "deployment_id"), None, 400, "invalid_claims"),
    ("unregistered-deployment", _set(CLAIM + "deployment_id", "not-registered"), None, 403, "unknown_deployment"),
    (
        "foreign-target-link-uri",
        _set(CLAIM + "target_link_uri", "https://evil.example.org/phish"),
        None,
        400,
        "forbidden_target",
    ),
]


@pytest.mark.parametrize(("mutate", "sign", "status", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_id_token_is_refused(live, browser, victim, mutate, sign, status, code):
    """A launch whose id_token fails a Security Framework check gets a 4xx page and no session."""
    before = _before(live, victim)
    page, _, _ = forged_launch(live, browser, user=victim, mutate=mutate, sign=sign)
    assert_refused(live, page, status, code, victim, before)


def test_valid_forged_path_is_accepted(live, browser, victim):
    """Control: the same helper with nothing altered launches fine, so the refusals above are meaningful."""
    page, _, _ = forged_launch(live, browser, user=people(live.app, "student")[3])
    assert page.status == 200 and page.token()


def test_replayed_id_token_is_refused(live, browser, victim):
    """The same id_token posted twice: the second is refused even with a fresh state from a new login."""
    from lti_tool.sandbox.platform import sign_jwt

    sub = people(live.app, "student")[4]
    first, claims, auth = forged_launch(live, browser, user=sub)
    assert first.status == 200
    # Same token with the same state, and with a brand-new state: both refused.
    from lti_tool.sandbox.platform import platform_private_key

    with live.app.app_context():
        pem, kid = platform_private_key(db.session)
    token = sign_jwt(claims, pem, kid)
    again = browser.post_launch(token, auth["state"])
    assert again.status == 401 and "replayed_token" in again.text
    fresh = browser.login_only("moodle", sub)
    third = browser.post_launch(token, fresh["state"])
    assert third.status == 401 and "replayed_token" in third.text
    assert "ts=" not in again.text + third.text


@pytest.mark.parametrize("state", ["", "state-never-issued"], ids=["missing", "unknown"])
def test_bad_state_is_refused(live, browser, victim, state):
    """A launch without a state, or with one we never issued, is refused."""
    before = _before(live, victim)
    page, _, _ = forged_launch(live, browser, user=victim, state=state)
    assert_refused(live, page, 401, "invalid_state", victim, before)


def test_state_from_another_platform_is_refused(live, browser, victim):
    """A state issued for the Canvas login cannot carry a Moodle id_token."""
    before = _before(live, victim)
    canvas_auth = browser.login_only("canvas", victim)
    page, _, _ = forged_launch(live, browser, user=victim, state=canvas_auth["state"])
    assert_refused(live, page, 401, "invalid_state", victim, before)


def test_state_cookie_mismatch_is_refused(live, browser, victim):
    """When the browser does send a state cookie, it must match the state in the launch."""
    before = _before(live, victim)
    auth = browser.login_only("moodle", victim)
    cookie_name = "lti1p3-" + auth["state"]
    assert browser.http.cookies.get(cookie_name) == auth["state"]
    browser.http.cookies.set(cookie_name, "tampered", domain="127.0.0.1", path="/")
    token, _ = id_token_for(live, auth, victim)
    page = browser.post_launch(token, auth["state"])
    assert_refused(live, page, 401, "invalid_state", victim, before)


def test_cookieless_launch_works(live, cookieless_browser):
    """With every cookie blocked (third-party iframe), the launch and the pages after it still work."""
    ensure_seeded(cookieless_browser)
    page = cookieless_browser.launch("moodle", people(live.app, "student")[5])
    assert page.status == 200, page.text[:1000]
    assert not cookieless_browser.http.cookies, "nothing may depend on a cookie"
    link = page.soup.find("a", href=lambda h: h and "/space/about" in h)["href"]
    about = cookieless_browser.get(link)
    assert about.status == 200 and about.soup.find(id="about-title")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"login_hint": "x", "target_link_uri": "{tool}/lti/launch"}, "bad_request"),
        ({"iss": "{iss}", "target_link_uri": "{tool}/lti/launch"}, "bad_request"),
        ({"iss": "{iss}", "login_hint": "x"}, "bad_request"),
        (
            {"iss": "https://unknown.example.org", "login_hint": "x", "target_link_uri": "{tool}/lti/launch"},
            "unknown_platform",
        ),
        ({"iss": "{iss}", "login_hint": "x", "target_link_uri": "https://evil.example.org/"}, "forbidden_target"),
        ({"iss": "{iss}", "login_hint": "x", "target_link_uri": "{tool}.evil.example.org/x"}, "forbidden_target"),
    ],
    ids=["no-iss", "no-login-hint", "no-target", "unknown-issuer", "foreign-target", "lookalike-host"],
)
def test_bad_login_initiation_is_refused(live, params, code):
    """The OIDC login initiation refuses incomplete requests, unknown issuers and foreign targets."""
    iss = live.lms_url + "/sandbox/moodle"
    data = {k: v.format(tool=live.tool_url, iss=iss) for k, v in params.items()}
    data["client_id"] = "mentoring-demo-moodle"
    resp = requests.post(live.tool_url + "/lti/login", data=data, allow_redirects=False, timeout=10)
    assert 400 <= resp.status_code < 500
    assert code in resp.text
    assert "Location" not in resp.headers


def _toggle(app, model, where, active: bool):
    with app.app_context():
        row = db.session.execute(select(model).where(*where)).scalar_one()
        row.is_active = active
        db.session.commit()
    from lti_tool.views.security import forget_platform_origins

    forget_platform_origins(app)


def test_disabled_platform_and_deployment_are_refused(live, browser, victim):
    """Launches from a disabled platform or a disabled deployment are refused with a 403 that says which."""
    iss = live.lms_url + "/sandbox/moodle"
    before = _before(live, victim)
    _toggle(live.app, Deployment, [Deployment.deployment_id == "demo-moodle-1"], False)
    try:
        page, _, _ = forged_launch(live, browser, user=victim)
        assert_refused(live, page, 403, "unknown_deployment", victim, before)
    finally:
        _toggle(live.app, Deployment, [Deployment.deployment_id == "demo-moodle-1"], True)
    _toggle(live.app, Platform, [Platform.issuer == iss, Platform.client_id == "mentoring-demo-moodle"], False)
    try:
        page = browser.launch("moodle", victim)
        assert page.status == 403 and "platform_disabled" in page.text
        assert "ts=" not in page.text
    finally:
        _toggle(live.app, Platform, [Platform.issuer == iss, Platform.client_id == "mentoring-demo-moodle"], True)


def test_expired_login_state_is_refused(live, browser, victim):
    """A launch that comes back after the login state's lifetime (10 minutes by default) is refused."""
    before = _before(live, victim)
    live.app.config["LOGIN_STATE_TTL"] = 1
    try:
        auth = browser.login_only("moodle", victim)
        time.sleep(2.1)
        token, _ = id_token_for(live, auth, victim)
        page = browser.post_launch(token, auth["state"])
    finally:
        live.app.config["LOGIN_STATE_TTL"] = 600
    assert_refused(live, page, 401, "invalid_state", victim, before)
    assert "expired" in page.text
