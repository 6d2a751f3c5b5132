"""LTI Dynamic Registration 1.0: register this tool with a platform from one pasted URL.

Flow (Dynamic Registration 1.0 §3): the platform opens our registration URL with ``openid_configuration``
and an optional ``registration_token``; we fetch the platform's OpenID configuration (§3.4), POST our
client metadata to its ``registration_endpoint`` with the token as a bearer (§3.5), store the platform
with the client id (and deployment id, when the platform already made one) it answers, and finally ask
the platform to close the registration window with a ``org.imsglobal.lti.close`` postMessage (§3.6).

Platform differences we handle:
- Moodle 4.x answers with ``deployment_id`` in the tool configuration, and keeps the new tool *pending*
  until a site administrator activates it; launches fail at Moodle until then.
- Canvas's issuer is ``https://canvas.instructure.com`` (or .beta/.test) while the configuration URL is on
  the institution's host, so the issuer cannot be required to prefix the configuration URL; Canvas needs
  the developer key to be enabled and the app installed before it creates a deployment; the administrator
  then adds that deployment id with ``flask platforms add-deployment``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Deployment, Platform
from .errors import RegistrationError

log = logging.getLogger(__name__)

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]
REQUIRED_CONFIGURATION = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")


@dataclass(frozen=True)
class RegistrationResult:
    platform: Platform
    deployment_id: str | None
    product_family: str | None

    @property
    def activation_required(self) -> bool:
        """Moodle keeps a dynamically registered tool pending until an administrator activates it."""
        return (self.product_family or "").lower() == "moodle"


def _https_or_local(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" or (parts.scheme == "http" and host in {"localhost", "127.0.0.1", "::1"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def fetch_platform_configuration(
    url: str, http: requests.Session, registration_token: str | None = None
) -> dict[str, Any]:
    """Fetch and check the platform's OpenID configuration (Dynamic Registration 1.0 §3.4, §3.5.1).

    The URL is fetched exactly as given (Canvas reads the registration token from its query string) and
    with the token as a bearer as well. The configuration's ``issuer`` must be on the same origin as the
    configuration URL, so a forged link cannot make us register with another platform's endpoints.
    """
    if not url or not _https_or_local(url):
        raise RegistrationError(
            "The LMS did not give a valid openid_configuration URL.",
            hint="Start the registration from the LMS (it adds openid_configuration to our URL); HTTPS is required.",
            detail=url,
        )
    try:
        headers = {"Accept": "application/json"}
        if registration_token:
            headers["Authorization"] = "Bearer " + registration_token
        resp = http.get(url, timeout=15, headers=headers)
        resp.raise_for_status()
        config = resp.json()
    except (requests.RequestException, ValueError) as err:
        raise RegistrationError(
            "Mentoring Space could not read the LMS's OpenID configuration.", detail=f"{url}: {err}"
        ) from err
    if not isinstance(config, dict):
        raise RegistrationError("The LMS's OpenID configuration is not a JSON object.", detail=url)
    missing = [k for k in REQUIRED_CONFIGURATION if not isinstance(config.get(k), str) or not config[k]]
    if missing:
        raise RegistrationError("The LMS's OpenID configuration lacks: " + ", ".join(missing) + ".", detail=url)
    if _origin(config["issuer"]) != _origin(url):
        raise RegistrationError(
            "The LMS's OpenID configuration names an issuer on another host.",
            detail=f"issuer={config['issuer']} configuration={url}",
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        if not _https_or_local(config[key]):
            raise RegistrationError(f"The LMS's {key} must use HTTPS.", detail=config[key])
    algs = config.get("id_token_signing_alg_values_supported")
    if isinstance(algs, list) and "RS256" not in algs:
        raise RegistrationError("The LMS does not sign id_tokens with RS256, which LTI 1.3 requires.")
    return config


def client_metadata(public_url: str, tool_name: str, platform_config: dict[str, Any]) -> dict[str, Any]:
    """Our client registration request (Dynamic Registration 1.0 §3.5.1)."""
    domain = urlsplit(public_url).netloc
    launch_url = public_url + "/lti/launch"
    supported = platform_config.get(PLATFORM_CONFIGURATION, {}).get("messages_supported") or []
    supported_types = {m.get("type") for m in supported if isinstance(m, dict)}
    messages: list[dict[str, Any]] = [
        {"type": "LtiResourceLinkRequest", "target_link_uri": launch_url, "label": tool_name}
    ]
    if not supported_types or "LtiDeepLinkingRequest" in supported_types:
        messages.append(
            {
                "type": "LtiDeepLinkingRequest",
                "target_link_uri": launch_url,
                "label": tool_name,
                # Canvas places deep linking by placement; other platforms ignore the key.
                "placements": ["link_selection", "assignment_selection"],
            }
        )
    offered = platform_config.get("scopes_supported")
    scopes = [s for s in SCOPES if not isinstance(offered, list) or s in offered]
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": public_url + "/lti/login",
        "redirect_uris": [launch_url],
        "client_name": tool_name,
        "jwks_uri": public_url + "/.well-known/jwks.json",
        "logo_uri": public_url + "/static/logo.svg",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        TOOL_CONFIGURATION: {
            "domain": domain,
            "description": "Mentoring programs inside your course: matching, threads, goals, meetings, evaluations.",
            "target_link_uri": launch_url,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email", "locale"],
            "messages": messages,
            # Canvas reads privacy_level to decide whether to send names and emails.
            "https://canvas.instructure.com/lti/privacy_level": "public",
        },
    }


def register_with_platform(
    session: Session,
    http: requests.Session,
    *,
    openid_configuration_url: str,
    registration_token: str | None,
    public_url: str,
    tool_name: str = "Mentoring Space",
) -> RegistrationResult:
    config = fetch_platform_configuration(openid_configuration_url, http, registration_token)
    metadata = client_metadata(public_url, tool_name, config)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    try:
        resp = http.post(config["registration_endpoint"], json=metadata, headers=headers, timeout=20)
    except requests.RequestException as err:
        raise RegistrationError("The LMS's registration endpoint did not answer.", detail=str(err)) from err
    if not resp.ok:
        log.warning("dynamic registration refused by %s: %s %s", config["issuer"], resp.status_code, resp.text[:500])
        raise RegistrationError(
            f"The LMS refused the registration (HTTP {resp.status_code}).",
            hint="The registration link may have expired: start the registration again from the LMS.",
            detail=resp.text[:500],
        )
    try:
        answer = resp.json()
    except ValueError as err:
        raise RegistrationError("The LMS answered the registration with something that is not JSON.") from err
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationError("The LMS's registration answer has no client_id.")
    tool_conf = answer.get(TOOL_CONFIGURATION) or {}
    deployment_id = tool_conf.get("deployment_id") if isinstance(tool_conf, dict) else None
    family = (config.get(PLATFORM_CONFIGURATION) or {}).get("product_family_code")

    platform = session.execute(
        select(Platform).where(Platform.issuer == config["issuer"], Platform.client_id == client_id)
    ).scalar_one_or_none()
    if platform is None:
        platform = Platform(issuer=config["issuer"], client_id=client_id)
        session.add(platform)
    platform.name = f"{family or urlsplit(config['issuer']).netloc} ({urlsplit(openid_configuration_url).netloc})"
    platform.auth_login_url = config["authorization_endpoint"]
    platform.auth_token_url = config["token_endpoint"]
    platform.jwks_url = config["jwks_uri"]
    platform.auth_audience = config.get("authorization_server") or None
    platform.product_family = family
    platform.registration_info = {"openid_configuration": config, "registration_response": answer}
    platform.registered_via = "dynamic"
    platform.is_active = True
    session.flush()
    if isinstance(deployment_id, str) and deployment_id:
        exists = session.execute(
            select(Deployment).where(Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id)
        ).scalar_one_or_none()
        if exists is None:
            session.add(Deployment(platform_id=platform.id, deployment_id=deployment_id, name="dynamic registration"))
    session.flush()
    return RegistrationResult(platform=platform, deployment_id=deployment_id, product_family=family)
