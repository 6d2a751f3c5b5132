"""The platform half of the LTI 1.3 OIDC launch (1EdTech Security Framework §5.1.1, LTI 1.3 Core §5.1).

``login_initiation`` builds the third-party initiated login the LMS page posts to the tool;
``authorize`` answers the tool's authentication request with a signed id_token. The ``login_hint`` and
``lti_message_hint`` are opaque to the tool and signed with the app secret, so the authorization endpoint
only honours hints it issued itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import urls
from .directory import course_by_context, enrolment, resource_link, tool_by_client_id, user_by_sub
from .errors import AuthRequestError, NotFound, SandboxError, ToolPending
from .flavours import FLAVOURS
from .models import SandboxResourceLink, SandboxTool
from .platform import (
    DEEP_LINKING_REQUEST,
    RESOURCE_LINK_REQUEST,
    build_launch_claims,
    platform_private_key,
    sign_jwt,
)

LOGIN_HINT_SALT = "sandbox.login_hint"
MESSAGE_HINT_SALT = "sandbox.lti_message_hint"
HINT_MAX_AGE = 3600


def _serializer(secret: str | bytes, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def _read(secret: str | bytes, salt: str, value: str, what: str) -> dict[str, Any]:
    try:
        data = _serializer(secret, salt).loads(value, max_age=HINT_MAX_AGE)
    except SignatureExpired as err:
        raise SandboxError(f"The {what} has expired; start the launch again from the course.") from err
    except BadSignature as err:
        raise SandboxError(f"The {what} was not issued by this LMS.") from err
    if not isinstance(data, dict):
        raise SandboxError(f"The {what} was not issued by this LMS.")
    return data


@dataclass(frozen=True)
class LoginInitiation:
    action: str
    fields: dict[str, str]


def login_initiation(
    session: Session,
    *,
    flavour: str,
    user_sub: str,
    context_id: str,
    link_id: str | None,
    message_type: str,
    client_id: str | None,
    secret: str | bytes,
    sandbox_url: str,
    public_url: str,
) -> LoginInitiation:
    """The third-party initiated login request (LTI 1.3 Core §5.1.1; Security Framework §5.1.1.1)."""
    tool = tool_by_client_id(session, flavour, client_id)
    if not tool.is_active:
        raise ToolPending()
    user = user_by_sub(session, user_sub)
    course = course_by_context(session, context_id)
    member = enrolment(session, course, user)
    if not user.is_site_admin and (member is None or not member.active):
        raise SandboxError(f"{user.name} is not an active participant of {course.title}.", status=403)
    if message_type == DEEP_LINKING_REQUEST:
        if not user.is_site_admin and (member is None or member.role not in {"instructor", "ta"}):
            raise SandboxError("Only teachers can add activities to a course.", status=403)
        target = tool.deep_linking_url(public_url)
    else:
        target = tool.launch_url(public_url)
        if link_id:
            link = resource_link(session, flavour, course, link_id)
            target = link.url or target
    login_hint = _serializer(secret, LOGIN_HINT_SALT).dumps({"f": flavour, "u": user.sub})
    message_hint = _serializer(secret, MESSAGE_HINT_SALT).dumps(
        {"f": flavour, "c": course.context_id, "l": link_id, "m": message_type, "cid": tool.client_id, "u": user.sub}
    )
    fields = {
        "iss": urls.issuer(sandbox_url, flavour),
        "login_hint": login_hint,
        "target_link_uri": target,
        "lti_message_hint": message_hint,
        "client_id": tool.client_id,
        "lti_deployment_id": tool.deployment_id,
    }
    storage = FLAVOURS[flavour].storage_target
    if storage:
        # LTI Client Side postMessages: the tool may keep its OIDC state in the LMS page (Canvas).
        fields["lti_storage_target"] = storage
    return LoginInitiation(action=tool.login_url(public_url), fields=fields)


@dataclass(frozen=True)
class AuthResponse:
    redirect_uri: str
    fields: dict[str, str]


def _trusted_redirect(session: Session, flavour: str, params: dict[str, str], public_url: str) -> SandboxTool:
    """Client and redirect URI checks that come first: errors here must not be sent to the redirect URI."""
    client_id = params.get("client_id") or ""
    try:
        tool = tool_by_client_id(session, flavour, client_id)
    except SandboxError as err:
        raise AuthRequestError(
            f"Unknown client_id '{client_id}': no tool is registered with this LMS under it.",
            error="invalid_client",
        ) from err
    redirect_uri = params.get("redirect_uri") or ""
    # Security Framework §5.1.1.2: the redirect URI MUST be one registered for the client, exactly.
    if redirect_uri not in tool.redirect_list(public_url):
        raise AuthRequestError(
            "The redirect_uri is not registered for this tool; the LMS will not send a launch there.",
            error="invalid_request",
        )
    return tool


def authorize(
    session: Session,
    params: dict[str, str],
    *,
    flavour: str,
    secret: str | bytes,
    sandbox_url: str,
    public_url: str,
) -> AuthResponse:
    """Validate an OIDC authentication request and answer with a signed id_token (form_post).

    Security Framework §5.1.1.2 fixes the parameters: ``scope=openid``, ``response_type=id_token``,
    ``response_mode=form_post``, ``prompt=none``, a registered ``client_id`` and ``redirect_uri``, a
    ``nonce``, and the ``login_hint`` (and ``lti_message_hint``) the platform issued.
    """
    tool = _trusted_redirect(session, flavour, params, public_url)
    redirect_uri = params["redirect_uri"]
    state = params.get("state")

    def refuse(description: str, error: str = "invalid_request") -> AuthRequestError:
        return AuthRequestError(description, error=error, redirect_uri=redirect_uri, state=state)

    if not tool.is_active:
        raise ToolPending()
    if "openid" not in (params.get("scope") or "").split():
        raise refuse("scope must be 'openid'.", "invalid_scope")
    if params.get("response_type") != "id_token":
        raise refuse("response_type must be 'id_token'.", "unsupported_response_type")
    if params.get("response_mode") != "form_post":
        raise refuse("response_mode must be 'form_post'.")
    if params.get("prompt") != "none":
        raise refuse("prompt must be 'none'.")
    nonce = params.get("nonce") or ""
    if not nonce:
        raise refuse("A nonce is required.")
    try:
        hint = _read(secret, LOGIN_HINT_SALT, params.get("login_hint") or "", "login_hint")
        message = _read(secret, MESSAGE_HINT_SALT, params.get("lti_message_hint") or "", "lti_message_hint")
    except SandboxError as err:
        raise refuse(err.description, "login_required") from err
    if hint.get("f") != flavour or message.get("f") != flavour:
        raise refuse("The hints were issued by another LMS.", "login_required")
    if message.get("u") != hint.get("u"):
        raise refuse("The login_hint and lti_message_hint belong to different launches.", "login_required")
    if message.get("cid") != tool.client_id:
        raise refuse("The lti_message_hint was issued for another client_id.")
    message_type = message.get("m") or RESOURCE_LINK_REQUEST
    if message_type == DEEP_LINKING_REQUEST:
        target = tool.deep_linking_url(public_url)
    else:
        # A deep-linked placement launches the URL its content item named (Deep Linking 2.0 §3.1).
        link_url = session.execute(
            select(SandboxResourceLink.url).where(SandboxResourceLink.link_id == (message.get("l") or ""))
        ).scalar_one_or_none()
        target = link_url or tool.launch_url(public_url)
    try:
        claims = build_launch_claims(
            session,
            flavour=flavour,
            user_sub=str(hint.get("u")),
            context_id=str(message.get("c")),
            nonce=nonce,
            message_type=message_type,
            resource_link_id=message.get("l"),
            target_link_uri=target,
            client_id=tool.client_id,
            sandbox_url=sandbox_url,
        )
    except NotFound as err:
        raise refuse(err.description, "invalid_request") from err
    except SandboxError as err:
        raise refuse(err.description, err.error if err.error == "access_denied" else "invalid_request") from err
    private_pem, kid = platform_private_key(session)
    fields = {"id_token": sign_jwt(claims, private_pem, kid)}
    if state is not None:
        fields["state"] = state
    return AuthResponse(redirect_uri=redirect_uri, fields=fields)


def error_fields(err: AuthRequestError) -> dict[str, str]:
    """The error response posted back to the tool (OIDC Core §3.1.2.6)."""
    fields = {"error": err.error, "error_description": err.description}
    if err.state is not None:
        fields["state"] = err.state
    return fields
