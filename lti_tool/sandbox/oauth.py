"""OAuth 2.0 for LTI services: the token endpoint (client credentials with a signed JWT assertion) and the
bearer-token check every AGS and NRPS endpoint makes.

1EdTech Security Framework §4.1: the tool authenticates with a JWT signed by its private key
(RFC 7523 ``private_key_jwt``) whose ``iss`` and ``sub`` are its client id, whose ``aud`` is the token
endpoint, with ``exp`` and a single-use ``jti``. The platform verifies it against the tool's JWKS, fetched
over HTTP from the URL registered for the tool. Like Moodle, the demo refuses an assertion without ``kid``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from datetime import timedelta
from typing import Any

import jwt
import requests
from jwcrypto.jwk import JWK
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import utcnow
from .errors import InsufficientScope, OAuthError, SandboxError, Unauthorized
from .models import SandboxAccessToken, SandboxTool, SandboxUsedValue

log = logging.getLogger(__name__)

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCESS_TOKEN_LIFETIME = 3600
LEEWAY = 60
JWKS_CACHE_SECONDS = 300


class ToolKeys:
    """Tool JWKS fetched over HTTP, cached briefly per process and refetched when a ``kid`` is unknown.

    Only public keys are cached, so a per-process cache is safe across workers.
    """

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            resp = requests.get(url, timeout=10, headers={"Accept": "application/json"})
            resp.raise_for_status()
            key_set = resp.json()
        except (requests.RequestException, ValueError) as err:
            log.warning("could not fetch tool JWKS %s: %s", url, err)
            raise SandboxError(f"The LMS could not fetch the tool's JWKS from {url}.", error="invalid_client") from err
        if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
            raise SandboxError(f"The tool's JWKS at {url} is not a JWK set.", error="invalid_client")
        with self._lock:
            self._cache[url] = (time.monotonic(), key_set)
        return key_set

    @staticmethod
    def _find(key_set: dict[str, Any], kid: str) -> dict[str, Any] | None:
        return next((k for k in key_set["keys"] if isinstance(k, dict) and k.get("kid") == kid), None)

    def public_pem(self, url: str, kid: str) -> bytes:
        with self._lock:
            cached = self._cache.get(url)
        key = None
        if cached and time.monotonic() - cached[0] < JWKS_CACHE_SECONDS:
            key = self._find(cached[1], kid)
        if key is None:
            key = self._find(self._fetch(url), kid)
        if key is None:
            raise SandboxError(f"The tool's JWKS has no key with kid '{kid}'.", error="invalid_client")
        if key.get("kty") != "RSA":
            raise SandboxError("The tool's key is not an RSA key.", error="invalid_client")
        return JWK.from_json(json.dumps(key)).export_to_pem()


def verify_tool_jwt(
    token: str,
    tool: SandboxTool,
    keys: ToolKeys,
    *,
    public_url: str,
    audience: str,
    require: list[str],
) -> dict[str, Any]:
    """Verify a JWT the tool signed (RS256, ``kid`` required) and return its claims."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as err:
        raise SandboxError("The JWT could not be decoded.") from err
    if header.get("alg") != "RS256":
        raise SandboxError("The JWT must be signed with RS256.", error="invalid_client", status=401)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise SandboxError("kid missing: the JWT header must name the signing key (kid).")
    pem = keys.public_pem(tool.jwks_url(public_url), kid)
    try:
        return jwt.decode(
            token, pem, algorithms=["RS256"], audience=audience, leeway=LEEWAY, options={"require": require}
        )
    except jwt.ExpiredSignatureError as err:
        raise SandboxError("The JWT has expired.", error="invalid_grant") from err
    except jwt.InvalidAudienceError as err:
        raise SandboxError(f"The JWT audience must be {audience}.", error="invalid_grant") from err
    except jwt.MissingRequiredClaimError as err:
        raise SandboxError(f"The JWT has no '{err.claim}' claim.") from err
    except jwt.PyJWTError as err:
        raise SandboxError(
            f"The JWT signature or claims are not valid: {err}.", error="invalid_client", status=401
        ) from err


def use_once(session: Session, key: str, expires_in: int) -> None:
    """Record a single-use value; a second use raises. Expired records are swept on the way."""
    now = utcnow()
    session.execute(delete(SandboxUsedValue).where(SandboxUsedValue.expires_at < now))
    try:
        with session.begin_nested():
            session.add(SandboxUsedValue(key=key[:400], expires_at=now + timedelta(seconds=expires_in)))
            session.flush()
    except IntegrityError as err:
        raise SandboxError("This value was already used (replay refused).") from err


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unverified_client_id(assertion: str) -> str:
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as err:
        raise OAuthError("The client_assertion is not a JWT.", error="invalid_request") from err
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise OAuthError("The client_assertion has no iss.", error="invalid_client", status=401)
    if claims.get("sub") != iss:
        raise OAuthError(
            "The client_assertion's sub must equal its iss (the client id).", error="invalid_client", status=401
        )
    return iss


def issue_token(
    session: Session,
    form: dict[str, str],
    *,
    flavour: str,
    token_url: str,
    public_url: str,
    keys: ToolKeys,
) -> dict[str, Any]:
    """Answer a client-credentials token request (Security Framework §4.1; RFC 6749 §4.4, RFC 7523 §2.2).

    Grants only the requested scopes the tool was registered for. Errors follow RFC 6749 §5.2.
    """
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("grant_type must be client_credentials.", error="unsupported_grant_type")
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        raise OAuthError(f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}.", error="invalid_request")
    assertion = form.get("client_assertion") or ""
    if not assertion:
        raise OAuthError("client_assertion is required.", error="invalid_request")
    client_id = unverified_client_id(assertion)
    tool = session.execute(
        select(SandboxTool).where(SandboxTool.flavour == flavour, SandboxTool.client_id == client_id)
    ).scalar_one_or_none()
    if tool is None:
        raise OAuthError(f"Unknown client '{client_id}'.", error="invalid_client", status=401)
    if not tool.is_active:
        raise OAuthError(
            "This tool is pending activation by the LMS administrator.", error="invalid_client", status=401
        )
    session.commit()  # end the read transaction before the HTTP fetch of the tool's JWKS
    try:
        claims = verify_tool_jwt(
            assertion,
            tool,
            keys,
            public_url=public_url,
            audience=token_url,
            require=["iss", "sub", "aud", "exp", "jti"],
        )
    except SandboxError as err:
        raise OAuthError(err.description, error=err.error, status=err.status) from err
    iat = claims.get("iat")
    if isinstance(iat, int | float) and iat > time.time() + LEEWAY:
        raise OAuthError("The client_assertion was issued in the future.", error="invalid_grant")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti:
        raise OAuthError("The client_assertion's jti must be a non-empty string.", error="invalid_request")
    try:
        use_once(session, f"jti:{tool.id}:{jti}", int(max(claims["exp"] - time.time(), 0)) + 2 * LEEWAY)
    except SandboxError as err:
        raise OAuthError("The client_assertion's jti was already used.", error="invalid_grant") from err

    requested = (form.get("scope") or "").split()
    granted = sorted(s for s in set(requested) if s in tool.scopes)
    if not granted:
        raise OAuthError("None of the requested scopes is granted to this tool.", error="invalid_scope")
    access_token = secrets.token_urlsafe(32)
    session.add(
        SandboxAccessToken(
            token_hash=_hash(access_token),
            tool_id=tool.id,
            scopes=granted,
            expires_at=utcnow() + timedelta(seconds=ACCESS_TOKEN_LIFETIME),
        )
    )
    session.execute(delete(SandboxAccessToken).where(SandboxAccessToken.expires_at < utcnow()))
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "scope": " ".join(granted),
    }


def authenticate(
    session: Session, authorization: str | None, *, flavour: str, any_of: tuple[str, ...]
) -> tuple[SandboxTool, list[str]]:
    """The tool behind a bearer token (RFC 6750 §2.1), if the token is live and holds one of ``any_of``."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("An 'Authorization: Bearer <access token>' header is required.")
    token = authorization[7:].strip()
    row = session.get(SandboxAccessToken, _hash(token))
    if row is None:
        raise Unauthorized("The access token is not known to this LMS.")
    if row.expires_at <= utcnow():
        raise Unauthorized("The access token has expired; request a new one.")
    tool = row.tool
    if tool.flavour != flavour:
        raise Unauthorized("The access token was issued by another LMS.")
    if not tool.is_active:
        raise Unauthorized("The tool is not active on this LMS.")
    if not set(any_of) & set(row.scopes):
        raise InsufficientScope("This endpoint needs one of the scopes: " + ", ".join(any_of) + ".")
    return tool, list(row.scopes)
