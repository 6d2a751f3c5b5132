"""The demo LMS as a platform, over real HTTP: discovery, keys, OIDC authorization, OAuth2 tokens, NRPS, AGS,
deep linking returns, dynamic registration, fault injection and its pages.

The tool's side is only used where a real platform would use it: its JWKS (client assertions and deep
linking responses are signed with the tool's real key ring) and its registration metadata shape.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from bs4 import BeautifulSoup
from jwcrypto.jwk import JWK
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.launch.keys import KeyRing
from lti_tool.models import Deployment, Platform
from lti_tool.sandbox.models import SandboxCourse, SandboxMail, SandboxTool
from lti_tool.sandbox.platform import FLAVOURS, build_launch_claims, platform_private_key, sign_jwt
from lti_tool.sandbox.seed import ADMIN_SUB, INACTIVE_STUDENT_SUB, INSTRUCTOR_SUB, STUDENT_SUBS, TA_SUB, seed_all

from .support.browser import Page

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ALL_AGS = [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly", AGS + "score"]
NRPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


# --- helpers ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(live):
    """The demo data exists (the first sandbox request seeds it)."""
    assert requests.get(live.lms_url + "/sandbox/", timeout=30).status_code == 200
    return live


def tool_key(live):
    return KeyRing(live.app.config["KEYS_DIR"]).active()


def token_url(live, flavour: str) -> str:
    return f"{live.lms_url}/sandbox/{flavour}/token"


def client_assertion(live, flavour: str, *, client_id: str | None = None, kid: bool = True, **overrides) -> str:
    key = tool_key(live)
    client_id = client_id or FLAVOURS[flavour].client_id
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url(live, flavour),
        "iat": now,
        "exp": now + 60,
        "jti": "test-" + uuid.uuid4().hex,
    }
    claims.update(overrides)
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid} if kid else None)


def request_token(live, flavour: str, scopes: list[str], **assertion_kw) -> requests.Response:
    return requests.post(
        token_url(live, flavour),
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(live, flavour, **assertion_kw),
            "scope": " ".join(scopes),
        },
        timeout=30,
    )


def access_token(live, flavour: str, scopes: list[str]) -> str:
    resp = request_token(live, flavour, scopes)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token, **headers}


def new_course(live, students: int, privacy: str = "public") -> str:
    context_id = "test-" + uuid.uuid4().hex[:10]
    resp = requests.post(
        live.lms_url + "/sandbox/api/courses",
        json={"context_id": context_id, "students": students, "privacy": privacy},
        timeout=60,
    )
    assert resp.status_code == 201, resp.text
    return context_id


def lineitems_url(live, flavour: str, context_id: str) -> str:
    return f"{live.lms_url}/sandbox/{flavour}/ags/{context_id}/lineitems"


def create_lineitem(live, flavour: str, context_id: str, token: str, **fields) -> dict:
    body = {"label": "Participation", "scoreMaximum": 10, **fields}
    resp = requests.post(
        lineitems_url(live, flavour, context_id),
        json=body,
        headers=bearer(token, **{"Content-Type": LINEITEM_TYPE}),
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def scores_url(lineitem_id: str) -> str:
    base, _, query = lineitem_id.partition("?")
    return base + "/scores" + ("?" + query if query else "")


def post_score(lineitem_id: str, token: str, user: str, given: float, at: datetime, **extra) -> requests.Response:
    body = {
        "userId": user,
        "scoreGiven": given,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        **extra,
    }
    return requests.post(
        scores_url(lineitem_id),
        json=body,
        headers=bearer(token, **{"Content-Type": SCORE_TYPE}),
        timeout=30,
    )


def results(lineitem_id: str, token: str, **params) -> list[dict]:
    base, _, query = lineitem_id.partition("?")
    resp = requests.get(
        base + "/results" + ("?" + query if query else ""),
        params=params,
        headers=bearer(token),
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def follow_next(url: str, token: str, accept: str, params: dict | None = None) -> list[requests.Response]:
    pages = []
    while url:
        resp = requests.get(url, params=params, headers=bearer(token, Accept=accept), timeout=30)
        assert resp.status_code == 200, resp.text
        pages.append(resp)
        url = resp.links.get("next", {}).get("url")
        params = None
    return pages


def auth_request(live, flavour: str, user: str, start: dict[str, str], **overrides) -> dict[str, str]:
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": start["client_id"],
        "redirect_uri": live.tool_url + "/lti/launch",
        "state": "state-" + uuid.uuid4().hex,
        "nonce": "nonce-" + uuid.uuid4().hex,
        "login_hint": start["login_hint"],
        "lti_message_hint": start["lti_message_hint"],
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def start_fields(live, flavour: str, user: str, **extra: str) -> tuple[str, dict[str, str]]:
    resp = requests.get(
        f"{live.lms_url}/sandbox/{flavour}/start",
        params={"user": user, "context": "course-101", **extra},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    form = Page(resp).autosubmit_form()
    assert form is not None
    return form


def authorize(live, flavour: str, params: dict[str, str]) -> requests.Response:
    return requests.get(f"{live.lms_url}/sandbox/{flavour}/auth", params=params, timeout=30)


def verify_id_token(live, token: str, client_id: str) -> dict:
    header = jwt.get_unverified_header(token)
    jwks = requests.get(live.lms_url + "/sandbox/jwks", timeout=30).json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    pem = JWK(**jwk).export_to_pem()
    return jwt.decode(token, pem, algorithms=["RS256"], audience=client_id, options={"require": ["exp", "iat"]})


# --- discovery and keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", list(FLAVOURS))
def test_openid_configuration_describes_the_platform(seeded, flavour):
    """Each flavour publishes its OpenID configuration with endpoints on SANDBOX_URL (Dynamic Registration §3.4)."""
    live = seeded
    config = requests.get(f"{live.lms_url}/sandbox/{flavour}/.well-known/openid-configuration", timeout=30).json()
    issuer = f"{live.lms_url}/sandbox/{flavour}"
    assert config["issuer"] == issuer
    assert config["authorization_endpoint"] == issuer + "/auth"
    assert config["token_endpoint"] == issuer + "/token"
    assert config["registration_endpoint"] == issuer + "/register"
    assert config["jwks_uri"] == live.lms_url + "/sandbox/jwks"
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert NRPS_SCOPE in config["scopes_supported"]
    platform = config["https://purl.imsglobal.org/spec/lti-platform-configuration"]
    assert platform["product_family_code"] == FLAVOURS[flavour].product_family_code
    assert {"type": "LtiDeepLinkingRequest"} in platform["messages_supported"]


def test_jwks_publishes_rs256_signing_keys(seeded):
    """The JWKS lists RSA public keys with kid, alg RS256 and use sig, and no private parts."""
    keys = requests.get(seeded.lms_url + "/sandbox/jwks", timeout=30).json()["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
        assert "d" not in key and "p" not in key


def test_key_rotation_keeps_the_old_key_published(seeded):
    """Rotation makes a new signing key; the previous one stays in the JWKS."""
    live = seeded
    with live.app.app_context():
        _, old_kid = platform_private_key(db.session)
    resp = requests.post(live.lms_url + "/sandbox/api/keys/rotate", json={}, timeout=30)
    assert resp.status_code == 200
    new_kid = resp.json()["kid"]
    kids = [k["kid"] for k in requests.get(live.lms_url + "/sandbox/jwks", timeout=30).json()["keys"]]
    assert new_kid != old_kid and kids[0] == new_kid and old_kid in kids
    with live.app.app_context():
        assert platform_private_key(db.session)[1] == new_kid


def test_test_controls_refuse_form_posts(seeded):
    """Key rotation and fault settings accept only JSON bodies (a cross-site form cannot send them)."""
    resp = requests.post(seeded.lms_url + "/sandbox/api/keys/rotate", data={"x": "1"}, timeout=30)
    assert resp.status_code == 415
    assert resp.json()["error"] == "unsupported_media_type"


def test_seeding_is_idempotent_and_registers_the_demo_platforms(seeded):
    """Seeding again creates nothing new; each client id is a tool-side Platform with its Deployment."""
    live = seeded
    with live.app.app_context():
        count = db.session.execute(select(func.count()).select_from(Platform)).scalar_one()
        seed_all(db.session, sandbox_url=live.lms_url, public_url=live.tool_url)
        seed_all(db.session, sandbox_url=live.lms_url, public_url=live.tool_url)
        assert db.session.execute(select(func.count()).select_from(Platform)).scalar_one() == count
        canvas = (
            db.session.execute(
                select(Platform)
                .where(Platform.issuer == live.lms_url + "/sandbox/canvas", Platform.registered_via == "sandbox")
                .order_by(Platform.client_id)
            )
            .scalars()
            .all()
        )
        assert [p.client_id for p in canvas] == ["mentoring-demo-canvas", "mentoring-demo-canvas-2"]
        moodle = db.session.execute(select(Platform).where(Platform.client_id == "mentoring-demo-moodle")).scalar_one()
        assert moodle.name == "Demo Moodle" and moodle.product_family == "moodle"
        assert moodle.registered_via == "sandbox"
        assert moodle.auth_login_url == live.lms_url + "/sandbox/moodle/auth"
        assert moodle.jwks_url == live.lms_url + "/sandbox/jwks"
        deployments = (
            db.session.execute(select(Deployment.deployment_id).where(Deployment.platform_id == moodle.id))
            .scalars()
            .all()
        )
        assert deployments == ["demo-moodle-1"]


# --- OIDC login initiation and authorization -------------------------------------------------------------


def test_start_renders_the_third_party_login_initiation(seeded):
    """The start page auto-submits iss, opaque hints, target_link_uri, client_id and deployment id to the tool."""
    live = seeded
    action, fields = start_fields(live, "canvas", STUDENT_SUBS[0])
    assert action == live.tool_url + "/lti/login"
    assert fields["iss"] == live.lms_url + "/sandbox/canvas"
    assert fields["target_link_uri"] == live.tool_url + "/lti/launch"
    assert fields["client_id"] == "mentoring-demo-canvas"
    assert fields["lti_deployment_id"] == "demo-canvas-1"
    assert fields["lti_storage_target"] == "_parent"
    assert STUDENT_SUBS[0] not in fields["login_hint"] and "course-101" not in fields["lti_message_hint"]
    _, moodle = start_fields(live, "moodle", STUDENT_SUBS[0])
    assert "lti_storage_target" not in moodle


def test_start_uses_the_second_canvas_client(seeded):
    """The same Canvas issuer launches under its second client id and deployment."""
    _, fields = start_fields(seeded, "canvas", STUDENT_SUBS[0], client="mentoring-demo-canvas-2")
    assert fields["client_id"] == "mentoring-demo-canvas-2"
    assert fields["lti_deployment_id"] == "demo-canvas-2"
    assert fields["iss"] == seeded.lms_url + "/sandbox/canvas"


def test_start_refuses_an_inactive_student(seeded):
    """A student whose enrolment is inactive gets a clear page, not a launch."""
    resp = requests.get(seeded.lms_url + "/sandbox/moodle/start", params={"user": INACTIVE_STUDENT_SUB}, timeout=30)
    assert resp.status_code == 403
    assert Page(resp).autosubmit_form() is None
    assert "not an active participant" in resp.text


@pytest.mark.parametrize("flavour", list(FLAVOURS))
def test_authorization_answers_with_a_signed_id_token(seeded, flavour):
    """The auth endpoint posts a valid RS256 id_token and the state back to the registered redirect URI."""
    live = seeded
    _, start = start_fields(live, flavour, STUDENT_SUBS[1])
    params = auth_request(live, flavour, STUDENT_SUBS[1], start)
    page = Page(authorize(live, flavour, params))
    action, fields = page.autosubmit_form()
    assert action == live.tool_url + "/lti/launch"
    assert fields["state"] == params["state"]
    claims = verify_id_token(live, fields["id_token"], start["client_id"])
    assert claims["iss"] == live.lms_url + "/sandbox/" + flavour
    assert claims["nonce"] == params["nonce"]
    assert claims["sub"] == STUDENT_SUBS[1]
    assert claims["exp"] - claims["iat"] == 300
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == f"demo-{flavour}-1"
    assert claims[LTI + "context"]["id"] == "course-101"
    assert claims[LTI + "context"]["title"] == "Mentoring 101"
    assert claims[LTI + "resource_link"]["id"]
    assert claims[LTI + "launch_presentation"]["document_target"] == "iframe"
    assert claims[LTI + "tool_platform"]["product_family_code"] == FLAVOURS[flavour].product_family_code
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps["service_versions"] == ["2.0"]
    assert nrps["context_memberships_url"].startswith(f"{live.lms_url}/sandbox/{flavour}/nrps/course-101")
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert set(ags["scope"]) == set(ALL_AGS)
    assert ags["lineitems"].startswith(f"{live.lms_url}/sandbox/{flavour}/ags/course-101/lineitems")
    assert claims["name"] == "Liam O'Brien" and claims["email"] == "lobrien@university.example"
    if flavour == "moodle":
        assert isinstance(claims["aud"], str) and "azp" not in claims
        assert claims[LTI + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
        assert claims[LTI + "ext"] == {"user_username": "lobrien", "lms": "moodle-2"}
        assert "?type_id=" in ags["lineitems"]
    elif flavour == "canvas":
        assert isinstance(claims["aud"], str) and claims["azp"] == claims["aud"]
        assert "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student" in claims[LTI + "roles"]
        assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner" in claims[LTI + "roles"]
        assert claims[LTI + "lis"]["person_sourcedid"] == "SIS-LOBRIEN"
        assert claims["https://www.instructure.com/placement"] == "course_navigation"
    else:
        assert claims["aud"] == ["mentoring-demo-blackboard"] and claims["azp"] == "mentoring-demo-blackboard"
        assert "Learner" in claims[LTI + "roles"]


def test_moodle_site_admin_gets_administrator_roles(seeded):
    """Moodle sends site administrators the institution and system Administrator roles, without Learner."""
    live = seeded
    with live.app.app_context():
        claims = build_launch_claims(
            db.session,
            flavour="moodle",
            user_sub=ADMIN_SUB,
            context_id="course-101",
            nonce="n-1",
            target_link_uri=live.tool_url + "/lti/launch",
            sandbox_url=live.lms_url,
        )
        db.session.rollback()
    roles = claims[LTI + "roles"]
    assert "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator" in roles
    assert "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator" in roles
    assert not any(r.endswith("#Learner") for r in roles)


def test_deep_linking_request_claims(seeded):
    """A deep linking request carries its settings, a return URL on the LMS and opaque data, no resource link."""
    live = seeded
    _, start = start_fields(live, "blackboard", INSTRUCTOR_SUB, message="deep_link")
    page = Page(authorize(live, "blackboard", auth_request(live, "blackboard", INSTRUCTOR_SUB, start)))
    claims = verify_id_token(live, page.autosubmit_form()[1]["id_token"], "mentoring-demo-blackboard")
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    settings = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    assert settings["deep_link_return_url"] == live.lms_url + "/sandbox/blackboard/deep-link-return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is True and settings["auto_create"] is True and settings["data"]
    assert LTI + "resource_link" not in claims


def test_students_cannot_start_deep_linking(seeded):
    """Only teachers may add activities."""
    resp = requests.get(
        seeded.lms_url + "/sandbox/moodle/start",
        params={"user": STUDENT_SUBS[0], "message": "deep_link"},
        timeout=30,
    )
    assert resp.status_code == 403


def test_authorization_refuses_an_unknown_client_id_on_a_page(seeded):
    """An unknown client_id is shown on an error page; nothing is posted anywhere."""
    live = seeded
    _, start = start_fields(live, "moodle", STUDENT_SUBS[0])
    resp = authorize(live, "moodle", auth_request(live, "moodle", STUDENT_SUBS[0], start, client_id="nobody"))
    assert resp.status_code == 400
    assert Page(resp).autosubmit_form() is None
    assert "Unknown client_id" in resp.text


def test_authorization_refuses_an_unregistered_redirect_uri_on_a_page(seeded):
    """A redirect_uri that is not registered exactly gets an error page, never a form post to it."""
    live = seeded
    _, start = start_fields(live, "moodle", STUDENT_SUBS[0])
    for uri in ("https://evil.example/steal", live.tool_url + "/lti/launch/", live.tool_url + "/lti/launch?x=1"):
        resp = authorize(live, "moodle", auth_request(live, "moodle", STUDENT_SUBS[0], start, redirect_uri=uri))
        assert resp.status_code == 400
        assert Page(resp).autosubmit_form() is None
        assert "evil.example" not in (BeautifulSoup(resp.text, "html.parser").find("form") or {}).get("action", "")


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"response_mode": "query"}, "invalid_request"),
        ({"response_type": "code"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"prompt": "login"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"login_hint": "forged"}, "login_required"),
        ({"lti_message_hint": "forged"}, "login_required"),
    ],
)
def test_authorization_errors_go_back_to_the_tool_with_state(seeded, override, error):
    """Invalid requests with a trusted redirect URI are answered with error and state (OIDC Core §3.1.2.6)."""
    live = seeded
    _, start = start_fields(live, "canvas", STUDENT_SUBS[0])
    params = auth_request(live, "canvas", STUDENT_SUBS[0], start, **override)
    action, fields = Page(authorize(live, "canvas", params)).autosubmit_form()
    assert action == live.tool_url + "/lti/launch"
    assert fields["error"] == error and fields["error_description"]
    assert fields["state"] == params["state"]
    assert "id_token" not in fields


def test_authorization_refuses_hints_from_another_flavour(seeded):
    """Hints issued by the Moodle flavour are not honoured by the Canvas one."""
    live = seeded
    _, moodle = start_fields(live, "moodle", STUDENT_SUBS[0])
    _, canvas = start_fields(live, "canvas", STUDENT_SUBS[0])
    params = auth_request(live, "canvas", STUDENT_SUBS[0], canvas, login_hint=moodle["login_hint"])
    assert Page(authorize(live, "canvas", params)).autosubmit_form()[1]["error"] == "login_required"


# --- privacy ---------------------------------------------------------------------------------------------


def test_anonymous_course_withholds_names_and_emails_in_launch_and_roster(seeded):
    """A course that shares nothing sends no name, email or picture, in the launch and in NRPS."""
    live = seeded
    context_id = new_course(live, 3, privacy="anonymous")
    with live.app.app_context():
        claims = build_launch_claims(
            db.session,
            flavour="canvas",
            user_sub=INSTRUCTOR_SUB,
            context_id=context_id,
            nonce="n-2",
            target_link_uri=live.tool_url + "/lti/launch",
            sandbox_url=live.lms_url,
        )
        db.session.commit()
    assert not {"name", "given_name", "family_name", "email", "picture"} & set(claims)
    token = access_token(live, "canvas", [NRPS_SCOPE])
    body = requests.get(f"{live.lms_url}/sandbox/canvas/nrps/{context_id}", headers=bearer(token), timeout=30).json()
    assert len(body["members"]) == 5
    for member in body["members"]:
        assert not {"name", "given_name", "family_name", "email", "picture"} & set(member)
        assert member["user_id"] and member["roles"] and member["status"] == "Active"


def test_name_only_course_withholds_emails(seeded):
    """A names-only course sends names without emails."""
    live = seeded
    context_id = new_course(live, 1, privacy="name_only")
    with live.app.app_context():
        claims = build_launch_claims(
            db.session,
            flavour="moodle",
            user_sub=TA_SUB,
            context_id=context_id,
            nonce="n-3",
            target_link_uri=live.tool_url + "/lti/launch",
            sandbox_url=live.lms_url,
        )
        db.session.commit()
    assert claims["name"] == "Mateo Fernández" and "email" not in claims


# --- OAuth2 token endpoint -------------------------------------------------------------------------------


def test_token_endpoint_grants_registered_scopes(seeded):
    """A client assertion signed with the tool's key (JWKS fetched over HTTP) gets a bearer token."""
    live = seeded
    resp = request_token(live, "moodle", [*ALL_AGS, NRPS_SCOPE, "https://example.com/unknown-scope"])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert set(body["scope"].split()) == {*ALL_AGS, NRPS_SCOPE}
    assert resp.headers["Cache-Control"] == "no-store"


def test_token_endpoint_requires_kid(seeded):
    """Like Moodle, an assertion without a kid header is refused with invalid_request "kid missing"."""
    resp = request_token(seeded, "moodle", [NRPS_SCOPE], kid=False)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"
    assert "kid missing" in resp.json()["error_description"]


def test_token_endpoint_refuses_a_replayed_jti(seeded):
    """A client assertion's jti is single use."""
    live = seeded
    assertion = client_assertion(live, "canvas")
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "scope": NRPS_SCOPE,
    }
    assert requests.post(token_url(live, "canvas"), data=data, timeout=30).status_code == 200
    again = requests.post(token_url(live, "canvas"), data=data, timeout=30)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"aud": "https://elsewhere.example/token"}, 400, "invalid_grant"),
        ({"exp": int(time.time()) - 3600}, 400, "invalid_grant"),
        ({"sub": "someone-else"}, 401, "invalid_client"),
        ({"client_id": "unknown-client"}, 401, "invalid_client"),
    ],
)
def test_token_endpoint_refuses_bad_assertions(seeded, kwargs, status, error):
    """Wrong audience, expiry, subject or client are refused with RFC 6749 §5.2 errors."""
    resp = request_token(seeded, "blackboard", [NRPS_SCOPE], **kwargs)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"] == error


def test_token_endpoint_refuses_a_client_of_another_flavour(seeded):
    """The Moodle client id is unknown at the Canvas token endpoint."""
    resp = request_token(seeded, "canvas", [NRPS_SCOPE], client_id="mentoring-demo-moodle")
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_token_endpoint_refuses_other_grants_and_unknown_scopes(seeded):
    """Only client_credentials is supported, and at least one registered scope must be asked for."""
    live = seeded
    resp = requests.post(token_url(live, "moodle"), data={"grant_type": "password"}, timeout=30)
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"
    resp = request_token(live, "moodle", ["https://example.com/nothing"])
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_scope"


# --- NRPS ------------------------------------------------------------------------------------------------


def test_nrps_pages_with_link_headers(seeded):
    """The roster is paged with limit and RFC 8288 rel="next" links until every member is listed once."""
    live = seeded
    context_id = new_course(live, 23)
    token = access_token(live, "blackboard", [NRPS_SCOPE])
    pages = follow_next(f"{live.lms_url}/sandbox/blackboard/nrps/{context_id}", token, NRPS_TYPE, params={"limit": 10})
    assert len(pages) == 3
    assert all(p.headers["Content-Type"].startswith(NRPS_TYPE) for p in pages)
    assert "limit=10" in pages[0].links["next"]["url"]
    members = [m for p in pages for m in p.json()["members"]]
    assert len(members) == 25 and len({m["user_id"] for m in members}) == 25
    body = pages[0].json()
    assert body["context"]["id"] == context_id
    first = members[0]
    assert first["user_id"] == INSTRUCTOR_SUB and first["name"] == "Dr. Ada Okafor"
    assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor" in first["roles"]
    assert first["email"] and first["lis_person_sourcedid"] and first["picture"]
    assert "Link" not in pages[-1].headers


def test_nrps_lists_inactive_members(seeded):
    """A student who left the course is listed with status Inactive."""
    live = seeded
    token = access_token(live, "moodle", [NRPS_SCOPE])
    pages = follow_next(f"{live.lms_url}/sandbox/moodle/nrps/course-101", token, NRPS_TYPE)
    statuses = {m["user_id"]: m["status"] for p in pages for m in p.json()["members"]}
    assert statuses[INACTIVE_STUDENT_SUB] == "Inactive"
    assert statuses[STUDENT_SUBS[0]] == "Active"
    assert ADMIN_SUB not in statuses


def test_nrps_requires_a_token_with_its_scope(seeded):
    """No token is a 401; a token without the membership scope is a 403 insufficient_scope."""
    live = seeded
    url = f"{live.lms_url}/sandbox/canvas/nrps/course-101"
    resp = requests.get(url, timeout=30)
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert requests.get(url, headers=bearer("made-up"), timeout=30).status_code == 401
    token = access_token(live, "canvas", [AGS + "score"])
    resp = requests.get(url, headers=bearer(token), timeout=30)
    assert resp.status_code == 403 and resp.json()["error"] == "insufficient_scope"


def test_tokens_are_bound_to_their_platform(seeded):
    """A Canvas access token is refused by the Moodle endpoints."""
    live = seeded
    token = access_token(live, "canvas", [NRPS_SCOPE])
    resp = requests.get(f"{live.lms_url}/sandbox/moodle/nrps/course-101", headers=bearer(token), timeout=30)
    assert resp.status_code == 401


# --- AGS -------------------------------------------------------------------------------------------------


def test_lineitems_create_list_filter_and_page(seeded):
    """Line items are created, listed with filters, and paged with rel="next" links."""
    live = seeded
    context_id = new_course(live, 2)
    token = access_token(live, "canvas", ALL_AGS)
    created = [
        create_lineitem(
            live,
            "canvas",
            context_id,
            token,
            label=f"Evaluation {i}",
            tag="eval" if i % 2 else "other",
            resourceId=f"res-{i}",
            scoreMaximum=20,
            startDateTime="2026-01-01T00:00:00Z",
            endDateTime="2026-06-30T23:59:59.5+02:00",
        )
        for i in range(5)
    ]
    assert created[0]["label"] == "Evaluation 0" and created[0]["scoreMaximum"] == 20
    assert created[0]["endDateTime"] == "2026-06-30T21:59:59.500000Z"
    pages = follow_next(
        lineitems_url(live, "canvas", context_id),
        token,
        "application/vnd.ims.lis.v2.lineitemcontainer+json",
        params={"limit": 2},
    )
    assert len(pages) == 3
    assert [i["id"] for p in pages for i in p.json()] == [c["id"] for c in created]
    tagged = requests.get(
        lineitems_url(live, "canvas", context_id), params={"tag": "eval"}, headers=bearer(token), timeout=30
    ).json()
    assert [i["label"] for i in tagged] == ["Evaluation 1", "Evaluation 3"]
    by_resource = requests.get(
        lineitems_url(live, "canvas", context_id), params={"resource_id": "res-4"}, headers=bearer(token), timeout=30
    ).json()
    assert [i["label"] for i in by_resource] == ["Evaluation 4"]

    one = requests.get(created[2]["id"], headers=bearer(token, Accept=LINEITEM_TYPE), timeout=30)
    assert one.status_code == 200 and one.headers["Content-Type"].startswith(LINEITEM_TYPE)
    updated = requests.put(
        created[2]["id"],
        json={"label": "Renamed", "scoreMaximum": 50},
        headers=bearer(token, **{"Content-Type": LINEITEM_TYPE}),
        timeout=30,
    )
    assert updated.status_code == 200 and updated.json()["label"] == "Renamed"
    assert requests.delete(created[2]["id"], headers=bearer(token), timeout=30).status_code == 204
    assert requests.get(created[2]["id"], headers=bearer(token), timeout=30).status_code == 404


def test_lineitem_validation_errors_are_clear(seeded):
    """Missing label or a non-positive scoreMaximum is a 400 with a description."""
    live = seeded
    token = access_token(live, "canvas", ALL_AGS)
    url = lineitems_url(live, "canvas", "course-101")
    for body in (
        {"scoreMaximum": 10},
        {"label": "x", "scoreMaximum": 0},
        {"label": "x"},
        {"label": "x", "scoreMaximum": 1, "resourceLinkId": "no-such-link"},
    ):
        resp = requests.post(url, json=body, headers=bearer(token, **{"Content-Type": LINEITEM_TYPE}), timeout=30)
        assert resp.status_code in (400, 404), (body, resp.text)
        assert resp.json()["error_description"]
    resp = requests.post(url, data="label=x", headers=bearer(token, **{"Content-Type": "text/plain"}), timeout=30)
    assert resp.status_code == 415


def test_readonly_token_cannot_create_lineitems(seeded):
    """lineitem.readonly lists but cannot create."""
    live = seeded
    token = access_token(live, "blackboard", [AGS + "lineitem.readonly"])
    url = lineitems_url(live, "blackboard", "course-101")
    assert requests.get(url, headers=bearer(token), timeout=30).status_code == 200
    resp = requests.post(url, json={"label": "x", "scoreMaximum": 1}, headers=bearer(token), timeout=30)
    assert resp.status_code == 403


def test_tools_see_only_their_own_lineitems(seeded):
    """The second Canvas client does not see or change the first client's line items."""
    live = seeded
    context_id = new_course(live, 1)
    first = access_token(live, "canvas", ALL_AGS)
    item = create_lineitem(live, "canvas", context_id, first)
    resp = request_token(live, "canvas", ALL_AGS, client_id="mentoring-demo-canvas-2")
    second = resp.json()["access_token"]
    listed = requests.get(lineitems_url(live, "canvas", context_id), headers=bearer(second), timeout=30).json()
    assert listed == []
    assert requests.get(item["id"], headers=bearer(second), timeout=30).status_code == 404


def test_scores_older_or_equal_timestamps_are_ignored(seeded):
    """The platform keeps the newest score: an older or equal timestamp is ignored yet answered 200 (AGS §3.4)."""
    live = seeded
    context_id = new_course(live, 2)
    token = access_token(live, "blackboard", ALL_AGS)
    item = create_lineitem(live, "blackboard", context_id, token)
    student = requests.get(
        f"{live.lms_url}/sandbox/blackboard/nrps/{context_id}",
        headers=bearer(access_token(live, "blackboard", [NRPS_SCOPE])),
        timeout=30,
    ).json()
    user = next(m["user_id"] for m in student["members"] if m["user_id"] not in (INSTRUCTOR_SUB, TA_SUB))
    t0 = datetime(2026, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)

    first = post_score(item["id"], token, user, 7, t0)
    assert first.status_code == 200 and first.headers["X-Sandbox-Score-Status"] == "recorded"
    older = post_score(item["id"], token, user, 2, t0 - timedelta(milliseconds=1))
    assert older.status_code == 200 and older.headers["X-Sandbox-Score-Status"] == "ignored-stale"
    same = post_score(item["id"], token, user, 3, t0)
    assert same.status_code == 200 and same.headers["X-Sandbox-Score-Status"] == "ignored-stale"
    assert [r["resultScore"] for r in results(item["id"], token)] == [7]

    newer = post_score(item["id"], token, user, 9.5, t0 + timedelta(microseconds=1000), comment="Great work")
    assert newer.headers["X-Sandbox-Score-Status"] == "recorded"
    [result] = results(item["id"], token, user_id=user)
    assert result["resultScore"] == 9.5 and result["resultMaximum"] == 10 and result["comment"] == "Great work"
    assert result["userId"] == user and result["scoreOf"] == item["id"]


def test_scores_for_unknown_users_are_rejected(seeded):
    """A userId the course does not know (a student the platform no longer has) is a clear 400."""
    live = seeded
    token = access_token(live, "moodle", ALL_AGS)
    item = create_lineitem(live, "moodle", "course-101", token)
    resp = post_score(item["id"], token, "gone-" + uuid.uuid4().hex, 5, datetime.now(UTC))
    assert resp.status_code == 400
    assert resp.json()["error"] == "unknown_user" and "not a member" in resp.json()["error_description"]
    resp = post_score(item["id"], token, ADMIN_SUB, 5, datetime.now(UTC))
    assert resp.status_code == 400


@pytest.mark.parametrize(
    "change",
    [
        {"timestamp": None},
        {"timestamp": "yesterday"},
        {"timestamp": "2026-05-01T12:00:00"},
        {"activityProgress": "Done"},
        {"gradingProgress": None},
        {"scoreMaximum": None},
        {"scoreGiven": -1},
    ],
)
def test_invalid_scores_are_rejected(seeded, change):
    """A score without a zoned timestamp, with unknown progress values or a bad score is a 400."""
    live = seeded
    token = access_token(live, "canvas", ALL_AGS)
    item = create_lineitem(live, "canvas", "course-101", token)
    body = {
        "userId": STUDENT_SUBS[2],
        "scoreGiven": 5,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2026-05-01T12:00:00Z",
    }
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    resp = requests.post(
        scores_url(item["id"]), json=body, headers=bearer(token, **{"Content-Type": SCORE_TYPE}), timeout=30
    )
    assert resp.status_code == 400, resp.text


def test_moodle_service_urls_keep_their_query_string(seeded):
    """Moodle's line item URLs end in /lineitem?type_id=N; scores and results work at those URLs."""
    live = seeded
    token = access_token(live, "moodle", ALL_AGS)
    item = create_lineitem(live, "moodle", "course-101", token, label="Moodle column")
    path = urlsplit(item["id"])
    assert path.path.endswith("/lineitem") and "type_id" in parse_qs(path.query)
    resp = post_score(item["id"], token, STUDENT_SUBS[3], 8, datetime.now(UTC))
    assert resp.status_code == 200 and resp.headers["X-Sandbox-Score-Status"] == "recorded"
    assert results(item["id"], token)[0]["userId"] == STUDENT_SUBS[3]
    wrong = item["id"].replace("type_id=", "type_id=9999")
    assert requests.get(wrong, headers=bearer(token), timeout=30).status_code == 400


# --- faults and stats ------------------------------------------------------------------------------------


@pytest.fixture
def faults(seeded):
    yield seeded.lms_url + "/sandbox/faults"
    requests.delete(seeded.lms_url + "/sandbox/faults", timeout=30)


def test_fault_injection_fails_the_next_requests_then_recovers(seeded, faults):
    """fail_next=2 answers exactly two AGS requests with the chosen status and Retry-After, then recovers."""
    live = seeded
    token = access_token(live, "canvas", ALL_AGS)
    before = requests.get(live.lms_url + "/sandbox/stats", timeout=30).json()["counters"].get("faults_injected", 0)
    set_to = requests.post(
        faults, json={"fail_next": 2, "status": 503, "retry_after": 1, "endpoints": ["ags"]}, timeout=30
    )
    assert set_to.status_code == 200 and set_to.json()["fail_next"] == 2
    url = lineitems_url(live, "canvas", "course-101")
    for _ in range(2):
        resp = requests.get(url, headers=bearer(token), timeout=30)
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "1"
    assert requests.get(url, headers=bearer(token), timeout=30).status_code == 200
    # The token endpoint was not in the list of faulty endpoints.
    assert request_token(live, "canvas", [NRPS_SCOPE]).status_code == 200
    stats = requests.get(live.lms_url + "/sandbox/stats", timeout=30).json()
    assert stats["counters"]["faults_injected"] == before + 2


def test_fault_injection_rate_and_latency(seeded, faults):
    """fail_rate 1 fails every token request; latency delays the answer."""
    live = seeded
    requests.post(faults, json={"fail_rate": 1.0, "status": 429, "endpoints": ["token"]}, timeout=30)
    assert request_token(live, "moodle", [NRPS_SCOPE]).status_code == 429
    requests.post(faults, json={"latency_ms": 150}, timeout=30)
    started = time.monotonic()
    assert request_token(live, "moodle", [NRPS_SCOPE]).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_dropped_responses_still_record_the_score(seeded, faults):
    """drop_rate 1 processes the score but answers 502, as when a proxy loses the response."""
    live = seeded
    token = access_token(live, "blackboard", ALL_AGS)
    item = create_lineitem(live, "blackboard", "course-101", token)
    requests.post(faults, json={"drop_rate": 1.0, "endpoints": ["ags"]}, timeout=30)
    at = datetime.now(UTC)
    resp = post_score(item["id"], token, STUDENT_SUBS[4], 6, at)
    assert resp.status_code == 502
    requests.delete(faults, timeout=30)
    assert [r["resultScore"] for r in results(item["id"], token)] == [6]
    retry = post_score(item["id"], token, STUDENT_SUBS[4], 6, at)
    assert retry.headers["X-Sandbox-Score-Status"] == "ignored-stale"


def test_fault_settings_are_validated(seeded, faults):
    """Unknown settings or out-of-range values are refused with a clear 400."""
    for body in ({"fail_rate": 2}, {"status": 200}, {"endpoints": ["everything"]}, {"explode": True}):
        resp = requests.post(faults, json=body, timeout=30)
        assert resp.status_code == 400 and resp.json()["error_description"]


def test_stats_count_tokens_and_scores(seeded):
    """The stats endpoint counts token requests and score posts for benchmarks."""
    live = seeded
    requests.post(live.lms_url + "/sandbox/stats/reset", json={}, timeout=30)
    token = access_token(live, "canvas", ALL_AGS)
    item = create_lineitem(live, "canvas", "course-101", token)
    post_score(item["id"], token, STUDENT_SUBS[5], 1, datetime.now(UTC))
    counters = requests.get(live.lms_url + "/sandbox/stats", timeout=30).json()["counters"]
    assert counters["token_requests"] == 1 and counters["tokens_issued"] == 1
    assert counters["score_posts"] == 1 and counters["scores_recorded"] == 1


# --- deep linking return ---------------------------------------------------------------------------------


def deep_link_response(live, flavour: str, data: str, items: list[dict], **overrides) -> str:
    key = tool_key(live)
    now = int(time.time())
    claims = {
        "iss": FLAVOURS[flavour].client_id,
        "aud": [f"{live.lms_url}/sandbox/{flavour}"],
        "iat": now,
        "exp": now + 600,
        "nonce": "dl-" + uuid.uuid4().hex,
        LTI + "deployment_id": FLAVOURS[flavour].deployment_id,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": items,
        "https://purl.imsglobal.org/spec/lti-dl/claim/data": data,
    }
    claims.update(overrides)
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def deep_link_data(live, flavour: str) -> str:
    _, start = start_fields(live, flavour, INSTRUCTOR_SUB, message="deep_link")
    page = Page(authorize(live, flavour, auth_request(live, flavour, INSTRUCTOR_SUB, start)))
    claims = verify_id_token(live, page.autosubmit_form()[1]["id_token"], FLAVOURS[flavour].client_id)
    return claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]["data"]


def test_deep_link_return_creates_placements_and_gradebook_columns(seeded):
    """A verified response adds each ltiResourceLink with its line item, and refuses other item types."""
    live = seeded
    data = deep_link_data(live, "canvas")
    items = [
        {
            "type": "ltiResourceLink",
            "title": "Mid-course evaluation",
            "url": live.tool_url + "/lti/launch",
            "custom": {"mentoring_kind": "evaluation-midterm"},
            "lineItem": {
                "label": "Mid-course evaluation",
                "scoreMaximum": 25,
                "resourceId": "evaluation-midterm",
                "tag": "mentoring-space",
            },
        },
        {"type": "ltiResourceLink", "title": "Mentoring space", "url": live.tool_url + "/lti/launch"},
        {"type": "html", "html": "<p>nope</p>"},
        {"type": "ltiResourceLink", "title": "Elsewhere", "url": "https://evil.example/launch"},
    ]
    token = deep_link_response(live, "canvas", data, items)
    resp = requests.post(f"{live.lms_url}/sandbox/canvas/deep-link-return", data={"JWT": token}, timeout=30)
    assert resp.status_code == 200, resp.text
    soup = BeautifulSoup(resp.text, "html.parser")
    assert "Mid-course evaluation" in soup.get_text() and "Graded" in soup.get_text()
    assert "html" in soup.get_text() and "evil.example" in soup.get_text()
    assert soup.find("a", string=lambda s: s and "Back to the course" in s)["target"] == "_top"

    ags = access_token(live, "canvas", ALL_AGS)
    listed = requests.get(
        lineitems_url(live, "canvas", "course-101"),
        params={"resource_id": "evaluation-midterm"},
        headers=bearer(ags),
        timeout=30,
    ).json()
    assert listed and listed[-1]["scoreMaximum"] == 25 and listed[-1]["resourceLinkId"]

    # The new placement launches with its custom parameters and its line item in the AGS claim.
    with live.app.app_context():
        claims = build_launch_claims(
            db.session,
            flavour="canvas",
            user_sub=STUDENT_SUBS[0],
            context_id="course-101",
            nonce="n-4",
            resource_link_id=listed[-1]["resourceLinkId"],
            target_link_uri=live.tool_url + "/lti/launch",
            sandbox_url=live.lms_url,
        )
        db.session.rollback()
    assert claims[LTI + "custom"]["mentoring_kind"] == "evaluation-midterm"
    assert claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] == listed[-1]["id"]

    replay = requests.post(f"{live.lms_url}/sandbox/canvas/deep-link-return", data={"JWT": token}, timeout=30)
    assert replay.status_code == 400


@pytest.mark.parametrize(
    "override",
    [
        {LTI + "message_type": "LtiResourceLinkRequest"},
        {LTI + "deployment_id": "another-deployment"},
        {"aud": "https://elsewhere.example"},
        {"https://purl.imsglobal.org/spec/lti-dl/claim/data": "tampered"},
    ],
)
def test_deep_link_return_refuses_invalid_responses(seeded, override):
    """Wrong message type, deployment, audience or a data claim not echoed unchanged is refused."""
    live = seeded
    data = deep_link_data(live, "moodle")
    token = deep_link_response(live, "moodle", data, [{"type": "ltiResourceLink", "title": "x"}], **override)
    resp = requests.post(f"{live.lms_url}/sandbox/moodle/deep-link-return", data={"JWT": token}, timeout=30)
    assert resp.status_code == 400


# --- dynamic registration --------------------------------------------------------------------------------


def registration_metadata(live, **changes) -> dict:
    launch = live.tool_url + "/lti/launch"
    metadata = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": live.tool_url + "/lti/login",
        "redirect_uris": [launch],
        "client_name": "Registered Tool",
        "jwks_uri": live.tool_url + "/.well-known/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": f"{NRPS_SCOPE} {AGS}score",
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {
            "domain": urlsplit(live.tool_url).netloc,
            "target_link_uri": launch,
            "claims": ["iss", "sub", "name"],
            "messages": [{"type": "LtiDeepLinkingRequest", "target_link_uri": launch}],
        },
    }
    metadata.update(changes)
    return metadata


def registration_token(live, flavour: str) -> str:
    """Use the tools page like an administrator: paste a URL, read the token from the dialog's iframe."""
    http = requests.Session()
    try:
        page = BeautifulSoup(http.get(f"{live.lms_url}/sandbox/{flavour}/tools", timeout=30).text, "html.parser")
        csrf = page.find("input", attrs={"name": "csrf_token"})["value"]
        resp = http.post(
            f"{live.lms_url}/sandbox/{flavour}/tools/add",
            data={"csrf_token": csrf, "registration_url": "https://tool.example/register?x=1"},
            timeout=30,
        )
    finally:
        http.close()
    frame = BeautifulSoup(resp.text, "html.parser").find("iframe", id="registration-frame")
    src = urlsplit(frame["src"])
    query = parse_qs(src.query)
    assert src.netloc == "tool.example" and query["x"] == ["1"]
    assert query["openid_configuration"] == [f"{live.lms_url}/sandbox/{flavour}/.well-known/openid-configuration"]
    return query["registration_token"][0]


def register(live, flavour: str, metadata: dict, token: str | None) -> requests.Response:
    headers = {"Authorization": "Bearer " + token} if token else {}
    return requests.post(f"{live.lms_url}/sandbox/{flavour}/register", json=metadata, headers=headers, timeout=30)


def test_dynamic_registration_on_canvas_is_active_at_once(seeded):
    """Registration issues a new client id and deployment id, echoes the metadata and grants known scopes."""
    live = seeded
    resp = register(live, "canvas", registration_metadata(live), registration_token(live, "canvas"))
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    config = answer["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert answer["client_id"] and config["deployment_id"] and answer["client_name"] == "Registered Tool"
    assert set(answer["scope"].split()) == {NRPS_SCOPE, AGS + "score"}
    _, fields = start_fields(live, "canvas", STUDENT_SUBS[0], client=answer["client_id"])
    assert fields["client_id"] == answer["client_id"] and fields["lti_deployment_id"] == config["deployment_id"]
    token = request_token(live, "canvas", [NRPS_SCOPE, AGS + "lineitem"], client_id=answer["client_id"])
    assert token.status_code == 200 and token.json()["scope"] == NRPS_SCOPE


def test_moodle_registration_stays_pending_until_activated(seeded):
    """The demo Moodle refuses launches and tokens for a new tool until an administrator activates it."""
    live = seeded
    answer = register(live, "moodle", registration_metadata(live), registration_token(live, "moodle")).json()
    client_id = answer["client_id"]
    pending = requests.get(
        f"{live.lms_url}/sandbox/moodle/start", params={"user": STUDENT_SUBS[0], "client": client_id}, timeout=30
    )
    assert pending.status_code == 403 and "pending" in pending.text
    assert request_token(live, "moodle", [NRPS_SCOPE], client_id=client_id).status_code == 401

    with live.app.app_context():
        tool_id = db.session.execute(select(SandboxTool.id).where(SandboxTool.client_id == client_id)).scalar_one()
    http = requests.Session()
    try:
        page = BeautifulSoup(http.get(f"{live.lms_url}/sandbox/moodle/tools", timeout=30).text, "html.parser")
        form = page.find("form", action=f"/sandbox/moodle/tools/{tool_id}/activate")
        csrf = form.find("input", attrs={"name": "csrf_token"})["value"]
        done = http.post(
            f"{live.lms_url}/sandbox/moodle/tools/{tool_id}/activate", data={"csrf_token": csrf}, timeout=30
        )
    finally:
        http.close()
    assert done.status_code == 200
    assert request_token(live, "moodle", [NRPS_SCOPE], client_id=client_id).status_code == 200


def test_registration_tokens_are_required_and_single_use(seeded):
    """No token or an unknown token is a 401; a used token cannot register a second tool."""
    live = seeded
    assert register(live, "blackboard", registration_metadata(live), None).status_code == 401
    assert register(live, "blackboard", registration_metadata(live), "made-up").status_code == 401
    token = registration_token(live, "blackboard")
    assert register(live, "blackboard", registration_metadata(live), token).status_code == 200
    assert register(live, "blackboard", registration_metadata(live), token).status_code == 401


@pytest.mark.parametrize(
    "changes",
    [
        {"grant_types": ["implicit"]},
        {"token_endpoint_auth_method": "client_secret_basic"},
        {"redirect_uris": []},
        {"initiate_login_uri": "https://elsewhere.example/login"},
        {"https://purl.imsglobal.org/spec/lti-tool-configuration": None},
        {"application_type": "native"},
    ],
)
def test_registration_refuses_invalid_metadata(seeded, changes):
    """Client metadata that breaks Dynamic Registration §3.5.1 is refused with a 400 and a reason."""
    live = seeded
    metadata = {k: v for k, v in registration_metadata(live, **changes).items() if v is not None}
    resp = register(live, "canvas", metadata, registration_token(live, "canvas"))
    assert resp.status_code == 400
    assert resp.json()["error"] in {"invalid_client_metadata", "invalid_redirect_uri"}


# --- pages -----------------------------------------------------------------------------------------------


def test_course_page_lists_people_placements_and_the_tool_frame(seeded):
    """The course page has the flavour switcher, an "Open as" button per person and the named tool iframe."""
    live = seeded
    resp = requests.get(live.lms_url + "/sandbox/?flavour=blackboard", timeout=30)
    assert resp.status_code == 200
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    soup = BeautifulSoup(resp.text, "html.parser")
    assert soup.find("h1").get_text(strip=True) == "Mentoring 101"
    frame = soup.find("iframe", attrs={"name": "tool-frame"})
    assert frame["title"] == "Mentoring Space"
    buttons = [b.get_text(" ", strip=True) for b in soup.find_all("button")]
    for name in ("Dr. Ada Okafor", "Mateo Fernández", "Liam O'Brien", "Nguyễn Thị Lan"):
        assert buttons.count(f"Open as {name}") == 1
    form = soup.find("button", string="Open as Liam O'Brien").find_parent("form")
    assert form["target"] == "tool-frame" and form["action"] == "/sandbox/blackboard/start"
    links = {a.get_text(strip=True): a["href"] for a in soup.find_all("a", href=True)}
    assert "message=deep_link" in links["Add activity (deep linking)"]
    assert links["Register a tool (dynamic registration)"] == "/sandbox/blackboard/tools"
    assert "Blackboard Learn" in links and "Canvas" in links
    assert not soup.find_all("script", src=False) and not soup.find_all(style=True)


def test_course_page_on_the_tool_host_moves_to_the_lms_host(seeded):
    """Opening the LMS on the tool's host redirects to SANDBOX_URL, so the iframe stays third-party."""
    live = seeded
    resp = requests.get(live.tool_url + "/sandbox/?flavour=canvas", allow_redirects=False, timeout=30)
    assert resp.status_code == 302
    assert resp.headers["Location"] == live.lms_url + "/sandbox/?flavour=canvas"


def test_course_forms_are_csrf_protected(seeded):
    """Changing the course privacy needs the page's CSRF token; with it the setting changes."""
    live = seeded
    context_id = new_course(live, 0)
    url = f"{live.lms_url}/sandbox/courses/{context_id}/privacy"
    assert requests.post(url, data={"privacy": "anonymous"}, timeout=30).status_code == 400
    http = requests.Session()
    try:
        page = BeautifulSoup(http.get(f"{live.lms_url}/sandbox/?context={context_id}", timeout=30).text, "html.parser")
        csrf = page.find("form", class_="privacy-form").find("input", attrs={"name": "csrf_token"})["value"]
        assert http.post(url, data={"privacy": "anonymous", "csrf_token": csrf}, timeout=30).status_code == 200
    finally:
        http.close()
    with live.app.app_context():
        course = db.session.execute(select(SandboxCourse).where(SandboxCourse.context_id == context_id)).scalar_one()
        assert course.privacy == "anonymous"


def test_gradebook_shows_latest_scores_in_an_accessible_table(seeded):
    """The gradebook has a caption, column and row headers, and the latest score per cell."""
    live = seeded
    token = access_token(live, "moodle", ALL_AGS)
    item = create_lineitem(live, "moodle", "course-101", token, label="Gradebook check", scoreMaximum=40)
    post_score(item["id"], token, STUDENT_SUBS[6], 31.5, datetime.now(UTC) - timedelta(seconds=5))
    post_score(item["id"], token, STUDENT_SUBS[6], 12, datetime.now(UTC) - timedelta(seconds=10))
    soup = BeautifulSoup(
        requests.get(live.lms_url + "/sandbox/gradebook?flavour=moodle", timeout=30).text, "html.parser"
    )
    table = soup.find("table", class_="gradebook")
    assert table.find("caption")
    headers = [th.get_text(" ", strip=True) for th in table.find("thead").find_all("th", scope="col")]
    column = next(i for i, h in enumerate(headers) if h.startswith("Gradebook check"))
    row = next(
        tr
        for tr in table.find("tbody").find_all("tr")
        if tr.find("th", scope="row").get_text(strip=True) == "Amélie Dubois"
    )
    cell = row.find_all(["th", "td"])[column].get_text(" ", strip=True)
    assert "31.5 / 10.0" in cell and "FullyGraded" in cell


def test_mailbox_lists_mail_and_isolates_html(seeded):
    """Emails the tool wrote appear in the mailbox; their HTML is served in a sandboxed frame."""
    live = seeded
    with live.app.app_context():
        mail = SandboxMail(
            to="lobrien@university.example",
            subject="You have a new mentor",
            body_text="Hello Liam,\nmeet Aiko.",
            body_html="<p>Hello <b>Liam</b></p><script>x()</script>",
        )
        db.session.add(mail)
        db.session.commit()
        mail_id = mail.id
    soup = BeautifulSoup(requests.get(live.lms_url + "/sandbox/mailbox", timeout=30).text, "html.parser")
    assert "You have a new mentor" in soup.get_text() and "meet Aiko." in soup.get_text()
    frame = soup.find("iframe", class_="mail-html")
    assert frame is not None and frame.has_attr("sandbox")
    html = requests.get(f"{live.lms_url}/sandbox/mailbox/{mail_id}", timeout=30)
    assert "sandbox" in html.headers["Content-Security-Policy"]


def test_unknown_flavour_and_course_are_clear_errors(seeded):
    """Unknown flavours or courses get a 404 page (pages) or JSON (APIs)."""
    live = seeded
    assert requests.get(live.lms_url + "/sandbox/?flavour=sakai", timeout=30).status_code == 404
    assert requests.get(live.lms_url + "/sandbox/?context=nope", timeout=30).status_code == 404
    resp = requests.get(live.lms_url + "/sandbox/sakai/.well-known/openid-configuration", timeout=30)
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
    token = access_token(live, "moodle", [NRPS_SCOPE])
    resp = requests.get(live.lms_url + "/sandbox/moodle/nrps/nope", headers=bearer(token), timeout=30)
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"


def test_signed_claims_round_trip_with_the_python_api(seeded):
    """build_launch_claims + sign_jwt produce a token the published JWKS verifies."""
    live = seeded
    with live.app.app_context():
        claims = build_launch_claims(
            db.session,
            flavour="blackboard",
            user_sub=STUDENT_SUBS[0],
            context_id="course-101",
            nonce="n-5",
            target_link_uri=live.tool_url + "/lti/launch",
            sandbox_url=live.lms_url,
            extra={"https://example.com/claim": {"x": 1}},
        )
        pem, kid = platform_private_key(db.session)
        db.session.commit()
    token = sign_jwt(claims, pem, kid)
    assert jwt.get_unverified_header(token)["kid"] == kid
    decoded = verify_id_token(live, token, "mentoring-demo-blackboard")
    assert decoded["https://example.com/claim"] == {"x": 1}


def test_cli_seeds_and_creates_big_courses(seeded):
    """`flask sandbox seed` is idempotent and `flask sandbox create-course` enrols generated students."""
    live = seeded
    runner = live.app.test_cli_runner()
    result = runner.invoke(args=["sandbox", "seed"])
    assert result.exit_code == 0 and "/sandbox/" in result.output
    context_id = "cli-" + uuid.uuid4().hex[:8]
    result = runner.invoke(args=["sandbox", "create-course", context_id, "--students", "40"])
    assert result.exit_code == 0, result.output
    token = access_token(live, "moodle", [NRPS_SCOPE])
    pages = follow_next(f"{live.lms_url}/sandbox/moodle/nrps/{context_id}", token, NRPS_TYPE)
    assert sum(len(p.json()["members"]) for p in pages) == 42
