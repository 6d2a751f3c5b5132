"""Claim names of LTI 1.3 Core, Deep Linking 2.0, AGS 2.0 and NRPS 2.0, and their JSON type checks."""

from __future__ import annotations

from typing import Any

from .errors import InvalidClaims

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
TOOL_PLATFORM = LTI + "tool_platform"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
CUSTOM = LTI + "custom"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGES = {RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST}


def _fail(claim: str, expected: str) -> InvalidClaims:
    short = claim.rsplit("/", 1)[-1]
    return InvalidClaims(f"The launch claim '{short}' is missing or is not {expected}.", detail=claim)


def require_str(body: dict[str, Any], claim: str) -> str:
    value = body.get(claim)
    if not isinstance(value, str) or not value.strip():
        raise _fail(claim, "a non-empty string")
    return value


def optional_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(where + "." + key, "a string")
    return value


def require_object(body: dict[str, Any], claim: str) -> dict[str, Any]:
    value = body.get(claim)
    if not isinstance(value, dict):
        raise _fail(claim, "a JSON object")
    return value


def optional_object(body: dict[str, Any], claim: str) -> dict[str, Any] | None:
    value = body.get(claim)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(claim, "a JSON object")
    return value


def check_message_claims(body: dict[str, Any]) -> str:
    """Check required claims and their JSON types (LTI 1.3 Core §5.3, §5.4; Deep Linking 2.0 §4.4).

    Returns the message type.
    """
    message_type = require_str(body, MESSAGE_TYPE)
    if message_type not in SUPPORTED_MESSAGES:
        raise InvalidClaims(f"Mentoring Space does not handle '{message_type}' messages.")
    if body.get(VERSION) != "1.3.0":
        raise InvalidClaims("The launch is not LTI version 1.3.0.", detail=str(body.get(VERSION)))
    require_str(body, "sub")
    roles = body.get(ROLES)
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise _fail(ROLES, "a list of strings")
    context = require_object(body, CONTEXT)
    if not isinstance(context.get("id"), str) or not context["id"]:
        raise _fail(CONTEXT + ".id", "a non-empty string")
    optional_str(context, "title", CONTEXT)
    optional_str(context, "label", CONTEXT)
    for name in ("name", "given_name", "family_name", "email", "locale", "picture"):
        optional_str(body, name, "")
    for claim in (TOOL_PLATFORM, LAUNCH_PRESENTATION, CUSTOM, AGS_ENDPOINT, NRPS):
        optional_object(body, claim)
    if message_type == RESOURCE_LINK_REQUEST:
        link = require_object(body, RESOURCE_LINK)
        if not isinstance(link.get("id"), str) or not link["id"]:
            raise _fail(RESOURCE_LINK + ".id", "a non-empty string")
        require_str(body, TARGET_LINK_URI)
    else:
        settings = require_object(body, DEEP_LINKING_SETTINGS)
        if not isinstance(settings.get("deep_link_return_url"), str):
            raise _fail(DEEP_LINKING_SETTINGS + ".deep_link_return_url", "a string")
        accept = settings.get("accept_types")
        if not isinstance(accept, list) or not all(isinstance(a, str) for a in accept):
            raise _fail(DEEP_LINKING_SETTINGS + ".accept_types", "a list of strings")
    return message_type
