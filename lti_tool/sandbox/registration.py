"""LTI Dynamic Registration 1.0, platform side: OpenID configuration, registration tokens, registration.

§3.3: the platform opens the tool's registration URL with ``openid_configuration`` and a
``registration_token``. §3.4: the configuration document. §3.5: the tool POSTs its client metadata with
the token as a bearer; the platform answers with the metadata, a new ``client_id`` and (Moodle-like) the
``deployment_id`` in the tool configuration. The demo Moodle keeps the new tool pending until an
administrator activates it, as Moodle does.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import utcnow
from . import urls
from .errors import SandboxError, Unauthorized
from .flavours import FLAVOURS
from .models import TOOL_ACTIVE, TOOL_PENDING, SandboxRegistrationToken, SandboxTool
from .platform import ALL_SCOPES, DEEP_LINKING_REQUEST, MESSAGE_TYPES, RESOURCE_LINK_REQUEST

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
REGISTRATION_TOKEN_LIFETIME = 3600
CLAIMS_SUPPORTED = [
    "iss",
    "aud",
    "sub",
    "iat",
    "exp",
    "nonce",
    "name",
    "given_name",
    "family_name",
    "email",
    "locale",
    "picture",
]
VARIABLES = [
    "User.id",
    "User.username",
    "Person.name.full",
    "Person.name.given",
    "Person.name.family",
    "Person.email.primary",
    "Context.id",
    "Context.title",
    "Context.label",
    "CourseSection.title",
    "ResourceLink.id",
]


def openid_configuration(flavour: str, sandbox_url: str) -> dict[str, Any]:
    """The platform's OpenID configuration (Dynamic Registration 1.0 §3.4, OpenID Connect Discovery)."""
    fl = FLAVOURS[flavour]
    return {
        "issuer": urls.issuer(sandbox_url, flavour),
        "authorization_endpoint": urls.auth(sandbox_url, flavour),
        "token_endpoint": urls.token(sandbox_url, flavour),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": urls.jwks(sandbox_url),
        "registration_endpoint": urls.registration_endpoint(sandbox_url, flavour),
        "scopes_supported": ["openid", *ALL_SCOPES],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": CLAIMS_SUPPORTED,
        PLATFORM_CONFIGURATION: {
            "product_family_code": fl.product_family_code,
            "version": fl.version,
            "messages_supported": [{"type": RESOURCE_LINK_REQUEST}, {"type": DEEP_LINKING_REQUEST}],
            "variables": VARIABLES,
        },
    }


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_registration_token(session: Session, flavour: str) -> str:
    """A one-time registration token for the tool's registration request (§3.3). Flushes."""
    token = secrets.token_urlsafe(32)
    session.add(
        SandboxRegistrationToken(
            token_hash=_hash(token),
            flavour=flavour,
            expires_at=utcnow() + timedelta(seconds=REGISTRATION_TOKEN_LIFETIME),
        )
    )
    session.flush()
    return token


def registration_start_url(tool_url: str, flavour: str, sandbox_url: str, token: str) -> str:
    """The tool's registration URL with ``openid_configuration`` and ``registration_token`` appended (§3.3)."""
    separator = "&" if urlsplit(tool_url).query else "?"
    query = urlencode(
        {"openid_configuration": urls.openid_configuration(sandbox_url, flavour), "registration_token": token}
    )
    return tool_url + separator + query


def _consume_token(session: Session, flavour: str, authorization: str | None) -> None:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("The registration request needs 'Authorization: Bearer <registration token>'.")
    done = session.execute(
        update(SandboxRegistrationToken)
        .where(
            SandboxRegistrationToken.token_hash == _hash(authorization[7:].strip()),
            SandboxRegistrationToken.flavour == flavour,
            SandboxRegistrationToken.used_at.is_(None),
            SandboxRegistrationToken.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
    )
    if not getattr(done, "rowcount", 0):
        raise Unauthorized("The registration token is unknown, expired or already used.")


def _url(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise SandboxError(f"'{name}' must be a URL.", error="invalid_client_metadata")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SandboxError(f"'{name}' must be an absolute http(s) URL.", error="invalid_client_metadata")
    return value


def _in_domain(url: str, domain: str) -> bool:
    parts = urlsplit(url)
    netloc, host = parts.netloc.lower(), (parts.hostname or "").lower()
    domain = domain.lower()
    return netloc == domain or host == domain or host.endswith("." + domain.split(":")[0])


def validate_metadata(metadata: Any) -> dict[str, Any]:
    """Check the client registration request (Dynamic Registration 1.0 §3.5.1); returns the tool config."""

    def bad(message: str, error: str = "invalid_client_metadata") -> SandboxError:
        return SandboxError(message, error=error)

    if not isinstance(metadata, dict):
        raise bad("The registration request must be a JSON object.")
    if metadata.get("application_type") != "web":
        raise bad("application_type must be 'web'.")
    grants = metadata.get("grant_types")
    if not isinstance(grants, list) or not {"client_credentials", "implicit"} <= set(grants):
        raise bad("grant_types must include 'implicit' and 'client_credentials'.")
    if not isinstance(metadata.get("response_types"), list) or "id_token" not in metadata["response_types"]:
        raise bad("response_types must include 'id_token'.")
    if metadata.get("token_endpoint_auth_method") != "private_key_jwt":
        raise bad("token_endpoint_auth_method must be 'private_key_jwt'.")
    _url(metadata.get("initiate_login_uri"), "initiate_login_uri")
    _url(metadata.get("jwks_uri"), "jwks_uri")
    redirects = metadata.get("redirect_uris")
    if not isinstance(redirects, list) or not redirects:
        raise bad("redirect_uris must be a non-empty list.", "invalid_redirect_uri")
    for uri in redirects:
        _url(uri, "redirect_uris")
    if "client_name" in metadata and not isinstance(metadata["client_name"], str):
        raise bad("client_name must be a string.")
    if "scope" in metadata and not isinstance(metadata["scope"], str):
        raise bad("scope must be a space-separated string.")
    config = metadata.get(TOOL_CONFIGURATION)
    if not isinstance(config, dict):
        raise bad(f"The '{TOOL_CONFIGURATION}' object is required.")
    domain = config.get("domain")
    if not isinstance(domain, str) or not domain:
        raise bad("The tool configuration needs a 'domain'.")
    _url(config.get("target_link_uri"), "target_link_uri")
    for name, uri in [
        ("initiate_login_uri", metadata["initiate_login_uri"]),
        ("target_link_uri", config["target_link_uri"]),
    ] + [("redirect_uris", u) for u in redirects]:
        if not _in_domain(uri, domain):
            raise bad(f"{name} {uri} is not in the tool's domain {domain}.")
    messages = config.get("messages", [])
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and m.get("type") in MESSAGE_TYPES for m in messages
    ):
        raise bad("messages must be a list of objects whose type is LtiResourceLinkRequest or LtiDeepLinkingRequest.")
    for message in messages:
        if message.get("target_link_uri") is not None:
            _url(message["target_link_uri"], "messages.target_link_uri")
    if "claims" in config and not (
        isinstance(config["claims"], list) and all(isinstance(c, str) for c in config["claims"])
    ):
        raise bad("claims must be a list of strings.")
    if "custom_parameters" in config and not isinstance(config["custom_parameters"], dict):
        raise bad("custom_parameters must be an object.")
    return config


def _new_ids(session: Session, flavour: str) -> tuple[str, str]:
    """A client id and deployment id in the style of each LMS."""
    n = (session.execute(select(func.count()).select_from(SandboxTool)).scalar_one() or 0) + 1
    if flavour == "moodle":
        return secrets.token_urlsafe(11).replace("-", "x").replace("_", "y"), str(n)
    if flavour == "canvas":
        return f"1000000000{secrets.randbelow(10**5):05d}", f"{n}:{secrets.token_hex(20)}"
    return str(uuid.uuid4()), str(uuid.uuid4())


def register_tool(
    session: Session, metadata: Any, *, flavour: str, authorization: str | None
) -> tuple[SandboxTool, dict[str, Any]]:
    """Register a tool from its client metadata (§3.5) and build the registration response (§3.6).

    Flushes; the caller commits. Granted scopes are the requested ones the platform supports.
    """
    _consume_token(session, flavour, authorization)
    config = validate_metadata(metadata)
    client_id, deployment_id = _new_ids(session, flavour)
    requested = (metadata.get("scope") or "").split()
    scopes = [s for s in ALL_SCOPES if s in requested]
    deep_link_uri = next(
        (m.get("target_link_uri") for m in config.get("messages", []) if m.get("type") == DEEP_LINKING_REQUEST), None
    )
    pending = FLAVOURS[flavour].registration_pending
    tool = SandboxTool(
        flavour=flavour,
        client_id=client_id,
        deployment_id=deployment_id,
        name=(metadata.get("client_name") or config["domain"])[:200],
        status=TOOL_PENDING if pending else TOOL_ACTIVE,
        initiate_login_uri=metadata["initiate_login_uri"],
        redirect_uris=list(metadata["redirect_uris"]),
        jwks_uri=metadata["jwks_uri"],
        target_link_uri=config["target_link_uri"],
        deep_link_uri=deep_link_uri,
        scopes=scopes,
        custom={str(k): str(v) for k, v in (config.get("custom_parameters") or {}).items()},
        registration=metadata,
    )
    session.add(tool)
    session.flush()
    answer = dict(metadata)
    answer.update(client_id=client_id, scope=" ".join(scopes))
    answer[TOOL_CONFIGURATION] = {**config, "deployment_id": deployment_id}
    return tool, answer


def activate_tool(session: Session, flavour: str, tool_id: int) -> SandboxTool:
    tool = session.get(SandboxTool, tool_id)
    if tool is None or tool.flavour != flavour:
        raise SandboxError("No such tool on this LMS.", status=404)
    tool.status = TOOL_ACTIVE
    return tool
