"""Deep Linking 2.0, platform side: receive the tool's ``LtiDeepLinkingResponse`` and create placements.

§4.5 (response message): ``iss`` is the tool's client id, ``aud`` the platform's issuer, with ``nonce``,
``exp``, ``iat``, ``deployment_id``, ``message_type`` and ``version``; ``data`` MUST be echoed unchanged
when the request carried it. §3.1: each ``ltiResourceLink`` content item becomes a resource link, with a
line item bound to it when the item has ``lineItem`` (§3.1.1). Items of other types are reported, not added.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import urls
from .ags import create_lineitem
from .directory import course_by_context
from .errors import SandboxError
from .models import SandboxCourse, SandboxLineItem, SandboxResourceLink, SandboxTool
from .oauth import LEEWAY, ToolKeys, use_once, verify_tool_jwt
from .platform import verify_platform_jwt

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


@dataclass
class DeepLinkOutcome:
    course: SandboxCourse
    tool: SandboxTool
    placements: list[SandboxResourceLink] = field(default_factory=list)
    line_items: list[SandboxLineItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    message: str | None = None
    error: str | None = None


def _tool_for(session: Session, flavour: str, token: str) -> SandboxTool:
    try:
        iss = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError as err:
        raise SandboxError("The deep linking response is not a JWT.") from err
    tool = session.execute(
        select(SandboxTool).where(SandboxTool.flavour == flavour, SandboxTool.client_id == str(iss))
    ).scalar_one_or_none()
    if tool is None:
        raise SandboxError(f"The deep linking response's iss '{iss}' is not a client id registered with this LMS.")
    return tool


def verify_response(
    session: Session, token: str, *, flavour: str, sandbox_url: str, public_url: str, keys: ToolKeys
) -> tuple[SandboxTool, dict[str, Any], dict[str, Any]]:
    """Verify the response JWT and the echoed ``data``; returns (tool, claims, decoded data)."""
    tool = _tool_for(session, flavour, token)
    session.commit()  # no transaction held open across the JWKS fetch
    claims = verify_tool_jwt(
        token,
        tool,
        keys,
        public_url=public_url,
        audience=urls.issuer(sandbox_url, flavour),
        require=["iss", "aud", "exp", "iat", "nonce"],
    )
    if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
        raise SandboxError("message_type must be LtiDeepLinkingResponse.")
    if claims.get(LTI + "version") != "1.3.0":
        raise SandboxError("version must be 1.3.0.")
    if claims.get(LTI + "deployment_id") != tool.deployment_id:
        raise SandboxError("deployment_id does not match this tool's deployment.")
    data = claims.get(DL + "data")
    if not isinstance(data, str) or not data:
        raise SandboxError("The response must echo the request's data claim unchanged (Deep Linking 2.0 §4.5).")
    echoed = verify_platform_jwt(session, data, audience=urls.deep_link_return(sandbox_url, flavour))
    if echoed.get("flavour") != flavour or echoed.get("client_id") != tool.client_id:
        raise SandboxError("The echoed data belongs to another deep linking request.")
    nonce = claims["nonce"]
    if not isinstance(nonce, str) or not nonce:
        raise SandboxError("nonce must be a non-empty string.")
    use_once(session, f"dl:{tool.id}:{nonce}", int(LEEWAY * 2 + 3600))
    return tool, claims, echoed


def _same_host(url: str, tool: SandboxTool, public_url: str) -> bool:
    return urlsplit(url).netloc.lower() == tool.host(public_url)


def apply_response(
    session: Session, tool: SandboxTool, claims: dict[str, Any], echoed: dict[str, Any], *, public_url: str
) -> DeepLinkOutcome:
    """Create a placement per ``ltiResourceLink`` item and its line item. Flushes; the caller commits."""
    course = course_by_context(session, str(echoed.get("context_id")))
    outcome = DeepLinkOutcome(course=course, tool=tool)
    outcome.message = claims.get(DL + "msg") if isinstance(claims.get(DL + "msg"), str) else None
    outcome.error = claims.get(DL + "errormsg") if isinstance(claims.get(DL + "errormsg"), str) else None
    items = claims.get(DL + "content_items") or []
    if not isinstance(items, list):
        raise SandboxError("content_items must be a list.")
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("type") != "ltiResourceLink":
            kind = item.get("type") if isinstance(item, dict) else type(item).__name__
            outcome.skipped.append(f"item {index}: type '{kind}' is not accepted (only ltiResourceLink)")
            continue
        url = item.get("url")
        if url is not None and (not isinstance(url, str) or not _same_host(url, tool, public_url)):
            outcome.skipped.append(f"item {index}: url {url!r} is not on the tool's host")
            continue
        custom = item.get("custom") or {}
        if not isinstance(custom, dict):
            outcome.skipped.append(f"item {index}: custom must be an object")
            continue
        raw_title = item.get("title")
        title = raw_title.strip() if isinstance(raw_title, str) and raw_title.strip() else tool.name
        link = SandboxResourceLink(
            link_id=str(uuid.uuid4()),
            flavour=tool.flavour,
            course_id=course.id,
            tool_id=tool.id,
            title=title[:400],
            text=item.get("text") if isinstance(item.get("text"), str) else None,
            url=url,
            custom={str(k): str(v) for k, v in custom.items()},
        )
        session.add(link)
        session.flush()
        outcome.placements.append(link)
        line_item = item.get("lineItem")
        if isinstance(line_item, dict):
            data = {"label": title, **line_item, "resourceLinkId": link.link_id}
            try:
                outcome.line_items.append(
                    create_lineitem(session, data, flavour=tool.flavour, course=course, tool=tool)
                )
            except SandboxError as err:
                outcome.skipped.append(f"item {index}: gradebook column not created ({err.description})")
    return outcome
