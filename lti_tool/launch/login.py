"""OIDC third-party initiated login (LTI 1.3 Core §5.1.1, 1EdTech Security Framework §5.1.1).

The platform sends ``iss``, ``login_hint``, ``target_link_uri`` (and usually ``client_id``,
``lti_deployment_id``, ``lti_message_hint``); we answer with an authentication request to the platform's
OIDC endpoint carrying a fresh ``state`` and ``nonce``.

The state is a signed, timestamped token naming the registration and the nonce, so login writes nothing
and needs no cookie: the launch checks the signature, the age, the registration and that the id_token
carries exactly that nonce. Each state is usable once because its nonce is: the launch records every
nonce it accepts and refuses one seen before. A state cookie is also set for browsers that allow it, and
checked when it comes back.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import N_, BadLaunchRequest, DisabledPlatform, ForbiddenTarget, InvalidState, UnknownPlatform
from .settings import LaunchSettings
from .tool_config import DatabaseToolConf

STATE_COOKIE_PREFIX = "lti1p3-"


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    nonce: str


def state_serializer(settings: LaunchSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="mentoring-space/oidc-state")


def begin_login(params: Mapping[str, str], tool_conf: DatabaseToolConf, settings: LaunchSettings) -> LoginRedirect:
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

    nonce = secrets.token_urlsafe(24)
    state = state_serializer(settings).dumps({"p": platform.id, "n": nonce})
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


def read_state(state: str, settings: LaunchSettings) -> dict:
    """The registration id and nonce a state names; raises ``InvalidState`` when forged or too old."""
    try:
        data = state_serializer(settings).loads(state, max_age=settings.state_ttl)
    except SignatureExpired as err:
        raise InvalidState(N_("The login took too long: its state has expired.")) from err
    except BadSignature as err:
        raise InvalidState() from err
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("n"), str):
        raise InvalidState()
    return data
