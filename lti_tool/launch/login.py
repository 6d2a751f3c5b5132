"""OIDC third-party initiated login (LTI 1.3 Core §5.1.1, 1EdTech Security Framework §5.1.1).

The platform sends ``iss``, ``login_hint``, ``target_link_uri`` (and usually ``client_id``,
``lti_deployment_id``, ``lti_message_hint``); we answer with an authentication request to the platform's
OIDC endpoint carrying a fresh ``state`` and ``nonce``. The state is stored server-side, bound to its
nonce, issuer and client id, and can be consumed once; the launch then checks the id_token's nonce
against it. A state cookie is also set for browsers that allow it, and checked when it comes back.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from .errors import BadLaunchRequest, DisabledPlatform, ForbiddenTarget, UnknownPlatform
from .settings import LaunchSettings
from .store import ExpiringStore
from .tool_config import DatabaseToolConf

STATE_PREFIX = "state:"
STATE_COOKIE_PREFIX = "lti1p3-"


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    nonce: str


def begin_login(
    params: Mapping[str, str], tool_conf: DatabaseToolConf, store: ExpiringStore, settings: LaunchSettings
) -> LoginRedirect:
    iss = (params.get("iss") or "").strip()
    login_hint = params.get("login_hint")
    target_link_uri = params.get("target_link_uri") or ""
    client_id = params.get("client_id") or None
    if not iss:
        raise BadLaunchRequest("The login request has no issuer (iss).")
    if not login_hint:
        raise BadLaunchRequest("The login request has no login_hint.")
    if not target_link_uri:
        raise BadLaunchRequest("The login request has no target_link_uri.")
    if not settings.is_own_url(target_link_uri):
        raise ForbiddenTarget(detail=target_link_uri)

    candidates = tool_conf.platforms_for(iss, client_id)
    if not candidates:
        raise UnknownPlatform(detail=f"issuer={iss} client_id={client_id or '(not sent)'}")
    if len(candidates) > 1:
        raise BadLaunchRequest(
            "This issuer has several registrations and the LMS did not say which one (client_id).",
            hint="Configure the LMS to send client_id in the login request (LTI 1.3 Core §5.1.1).",
        )
    platform = candidates[0]
    if not platform.is_active:
        raise DisabledPlatform(detail=f"issuer={iss} client_id={platform.client_id}")

    state = "state-" + secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    store.set(
        STATE_PREFIX + state,
        {
            "nonce": nonce,
            "iss": platform.issuer,
            "client_id": platform.client_id,
            "target_link_uri": target_link_uri,
        },
        settings.state_ttl,
    )
    auth = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": settings.public_url + "/lti/launch",
        "state": state,
        "nonce": nonce,
        "login_hint": login_hint,
    }
    if params.get("lti_message_hint"):
        auth["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return LoginRedirect(url=platform.auth_login_url + separator + urlencode(auth), state=state, nonce=nonce)
