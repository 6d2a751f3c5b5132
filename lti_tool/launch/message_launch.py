"""Validate an LTI 1.3 launch: every check of the 1EdTech Security Framework, in one place.

Security Framework §5.1.3 (authentication response validation) and LTI 1.3 Core §5.1.2 list what the
tool MUST check. The order below validates what can be checked without trust first, then the
signature, then the claims, and only then consumes the single-use state and nonce, so a forged token
cannot burn a legitimate user's login.

pylti1p3's stock ``MessageLaunch.validate`` keeps nonces without consuming them (a replayed id_token is
accepted), only warns about ``aud`` as a list, accepts any ``alg`` the JWKS names, and does not require
``exp``/``iat``; we validate here and hand the verified body to pylti1p3 for its service helpers (deep
linking, AGS, NRPS).

The token is parsed once (strict base64url, JSON objects), its RS256 signature verified over the exact
signing input with the platform's key (``cryptography``, as PyJWT does), then every claim is checked below.
PyJWT's ``jwt.decode`` did the same work with two more parses and a per-character alphabet scan in Python,
about a tenth of a launch's server time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.session import SessionService

from . import claims as c
from .errors import (
    N_,
    BadLaunchRequest,
    DisabledPlatform,
    ForbiddenTarget,
    InvalidClaims,
    InvalidState,
    InvalidToken,
    ReplayedToken,
    UnknownDeployment,
    UnknownPlatform,
)
from .login import STATE_COOKIE_PREFIX, read_state
from .settings import LaunchSettings
from .store import ExpiringStore
from .tool_config import DatabaseToolConf, DeploymentInfo, PlatformInfo

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ["RS256"]


@dataclass(frozen=True)
class ValidatedLaunch:
    launch_id: str
    platform: PlatformInfo
    deployment: DeploymentInfo
    body: dict[str, Any]
    message_type: str

    @property
    def deployment_id(self) -> str:
        return self.body[c.DEPLOYMENT_ID]


class PlatformKeys:
    """Platform JWKS, fetched over HTTP and cached in the shared store; refreshed on an unknown ``kid``.

    Parsed public keys are also kept per process for at most ``ttl`` seconds (a process that has not seen
    a key reads the shared store; a rotated key is found through the unknown-``kid`` refresh), and one
    thread per process fetches a cold JWKS while the others wait for it instead of all fetching at once.
    """

    def __init__(
        self, store: ExpiringStore, ttl: int, http: requests.Session | Callable[[], requests.Session] | None = None
    ) -> None:
        self.store = store
        self.ttl = ttl
        # A session, or a factory called only when a JWKS is fetched (most launches find the key cached).
        self._http = http or requests.Session

    @property
    def http(self) -> requests.Session:
        if not isinstance(self._http, requests.Session):
            self._http = self._http()
        return self._http

    @staticmethod
    def _cache_key(url: str) -> str:
        return "jwks:" + hashlib.sha256(url.encode()).hexdigest()

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            resp = self.http.get(url, timeout=10, headers={"Accept": "application/json"})
            resp.raise_for_status()
            key_set = resp.json()
        except (requests.RequestException, ValueError) as err:
            log.warning("could not fetch platform JWKS %s: %s", url, err)
            raise InvalidToken(
                N_("Mentoring Space could not read the LMS's public keys."),
                hint=N_("Check the platform's public keyset (JWKS) URL registered for this LMS."),
                detail=f"{url}: {err}",
            ) from err
        if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
            raise InvalidToken(
                N_("The LMS's public keyset is not a JWKS document."),
                hint=N_("Check the platform's public keyset (JWKS) URL registered for this LMS."),
                detail=url,
            )
        self.store.set(self._cache_key(url), key_set, self.ttl)
        return key_set

    @staticmethod
    def _find(key_set: dict[str, Any] | None, kid: str) -> dict[str, Any] | None:
        for key in (key_set or {}).get("keys", []):
            if isinstance(key, dict) and key.get("kid") == kid:
                return key
        return None

    def key_for(self, url: str, kid: str) -> Any:
        """The public key object for ``kid`` from the JWKS at ``url``."""
        parsed = _PARSED_KEYS.get((url, kid))
        if parsed is not None and parsed[1] > time.monotonic():
            return parsed[0]
        jwk = self._find(self.store.get(self._cache_key(url)), kid)
        if jwk is None:
            with _fetch_lock(url):
                # Another thread may have fetched while this one waited.
                cached = self.store.get(self._cache_key(url))
                jwk = self._find(cached, kid)
                # An unknown kid means the platform rotated its keys: refetch, at most once every 10 s per URL.
                if jwk is None and (cached is None or self.store.add("jwks-refresh:" + url, 1, 10)):
                    jwk = self._find(self._fetch(url), kid)
        if jwk is None:
            raise InvalidToken(
                N_("The LMS signed the launch with a key that is not in its published keyset."),
                hint=N_("Check the platform's public keyset (JWKS) URL registered for this LMS."),
                detail=f"kid={kid} jwks={url}",
            )
        if jwk.get("alg", "RS256") != "RS256" or jwk.get("kty") != "RSA":
            raise InvalidToken(N_("The platform key for this launch is not an RS256 RSA key."), detail=f"kid={kid}")
        try:
            key = jwt.PyJWK(jwk, algorithm="RS256").key
        except jwt.PyJWTError as err:
            raise InvalidToken(N_("The platform key for this launch cannot be read."), detail=f"kid={kid}") from err
        if isinstance(key, RSAPrivateKey):  # a JWKS that (wrongly) publishes private parameters
            key = key.public_key()
        if not isinstance(key, RSAPublicKey):
            raise InvalidToken(N_("The platform key for this launch is not an RS256 RSA key."), detail=f"kid={kid}")
        _PARSED_KEYS[(url, kid)] = (key, time.monotonic() + self.ttl)
        return key


_PARSED_KEYS: dict[tuple[str, str], tuple[Any, float]] = {}
_FETCH_LOCKS: dict[str, threading.Lock] = {}
_FETCH_LOCKS_GUARD = threading.Lock()


def _fetch_lock(url: str) -> threading.Lock:
    with _FETCH_LOCKS_GUARD:
        return _FETCH_LOCKS.setdefault(url, threading.Lock())


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64url(segment: str) -> bytes:
    """Strict base64url (RFC 7515 §2): the URL-safe alphabet only, canonical; trailing ``=`` tolerated as
    PyJWT tolerates it (some issuers pad)."""
    body = segment.rstrip("=")
    padded = len(segment) - len(body)
    if padded > 2 or (padded and len(segment) % 4) or len(body) % 4 == 1 or not _BASE64URL.fullmatch(body):
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != body.encode():
        raise ValueError("not canonical base64url")
    return raw


@dataclass(frozen=True)
class _Token:
    """A compact JWS split and decoded once; nothing in it is trusted until the signature is verified."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _parse(id_token: str) -> _Token:
    parts = id_token.split(".")
    if len(parts) != 3:
        raise InvalidToken(N_("The id_token is not a JSON Web Token."))
    try:
        header, claims = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (ValueError, RecursionError, binascii.Error) as err:
        raise InvalidToken(N_("The id_token could not be decoded."), detail=str(err)) from err
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken(N_("The id_token could not be decoded."))
    return _Token(header, claims, (parts[0] + "." + parts[1]).encode("ascii"), signature)


def _numeric_date(claims: Mapping[str, Any], name: str) -> float:
    """A NumericDate claim as seconds; JSON's ``NaN`` and ``Infinity`` (which Python's parser accepts) are not."""
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidToken("The id_token's times (exp, iat, nbf) must be numbers of seconds.", detail=name)
    return float(value)


def _client_id_of(body: Mapping[str, Any]) -> str:
    """The client id the token was issued for (Security Framework §5.1.3 steps 3-5)."""
    aud = body.get("aud")
    azp = body.get("azp")
    if isinstance(aud, str):
        audiences = [aud]
    elif isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        audiences = aud
    else:
        raise InvalidToken("The id_token has no valid audience (aud).")
    if azp is not None and (not isinstance(azp, str) or azp not in audiences):
        raise InvalidToken("The id_token's authorized party (azp) is not one of its audiences.")
    if len(audiences) > 1 and azp is None:
        raise InvalidToken("The id_token has several audiences but no authorized party (azp).")
    return azp or audiences[0]


class LaunchValidator:
    def __init__(
        self,
        tool_conf: DatabaseToolConf,
        store: ExpiringStore,
        keys: PlatformKeys,
        settings: LaunchSettings,
    ) -> None:
        self.tool_conf = tool_conf
        self.store = store
        self.keys = keys
        self.settings = settings

    def validate(self, form: Mapping[str, str], cookies: Mapping[str, str]) -> ValidatedLaunch:
        id_token = form.get("id_token")
        state = form.get("state")
        if not id_token:
            if form.get("error"):
                raise BadLaunchRequest(
                    "The LMS refused the login: " + str(form.get("error_description") or form.get("error"))
                )
            raise BadLaunchRequest("The launch has no id_token.")
        if not state:
            raise InvalidState("The launch has no state parameter.")

        token = _parse(id_token)
        header, unverified = token.header, token.claims
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"The id_token is signed with '{header.get('alg')}'; LTI 1.3 requires RS256.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("The id_token header has no key id (kid).")
        if "crit" in header or header.get("b64", True) is not True:
            # No JWS extension is understood here, so none may be critical (RFC 7515 §4.1.11).
            raise InvalidToken("The id_token uses JWS header extensions this tool does not support.")
        iss = unverified.get("iss")
        if not isinstance(iss, str) or not iss:
            raise InvalidToken("The id_token has no issuer (iss).")
        client_id = _client_id_of(unverified)

        platform = self.tool_conf.platform(iss, client_id)
        if platform is None:
            raise UnknownPlatform(detail=f"issuer={iss} client_id={client_id}")
        if not platform.is_active:
            raise DisabledPlatform(detail=f"issuer={iss} client_id={client_id}")

        body = self._verified_body(token, platform, kid)
        message_type = c.check_message_claims(body)
        target = body.get(c.TARGET_LINK_URI)
        if isinstance(target, str) and not self.settings.is_own_url(target):
            raise ForbiddenTarget(detail=target)

        self._consume_state_and_nonce(state, body, platform, cookies)

        deployment_id = c.require_str(body, c.DEPLOYMENT_ID)
        deployment = platform.deployment(deployment_id)
        if deployment is None or not deployment.is_active:
            raise UnknownDeployment(detail=f"deployment_id={deployment_id}")

        launch_id = "launch-" + uuid.uuid4().hex
        if message_type == c.DEEP_LINKING_REQUEST:
            # Only the deep linking picker reads the launch back (to answer the platform).
            self.store.set(launch_id, {"platform_id": platform.id, "body": body}, self.settings.launch_data_ttl)
        return ValidatedLaunch(
            launch_id=launch_id, platform=platform, deployment=deployment, body=body, message_type=message_type
        )

    def _verified_body(self, token: _Token, platform: PlatformInfo, kid: str) -> dict[str, Any]:
        public_key = self.keys.key_for(platform.jwks_url, kid)
        try:
            public_key.verify(token.signature, token.signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as err:
            raise InvalidToken(
                "The launch token's signature is not valid.",
                hint="Check the platform's public keyset (JWKS) URL registered for this LMS.",
            ) from err
        body = token.claims
        for claim in ("exp", "iat", "iss", "aud", "nonce"):
            if body.get(claim) is None:
                raise InvalidToken(f"The id_token has no '{claim}' claim.")
        if body["iss"] != platform.issuer:
            raise InvalidToken("The id_token issuer does not match the registration.")
        # aud checked by hand: a list audience may hold more than our client id (with azp naming us).
        if _client_id_of(body) != platform.client_id:
            raise InvalidToken("The id_token was issued for another client id.")
        now, leeway = time.time(), self.settings.leeway
        if _numeric_date(body, "exp") <= now - leeway:
            raise InvalidToken(
                "The launch token has expired.",
                hint="Open the tool again. If this repeats, check that the LMS server's clock is correct.",
            )
        iat = _numeric_date(body, "iat")
        if iat > now + leeway or ("nbf" in body and _numeric_date(body, "nbf") > now + leeway):
            raise InvalidToken(
                "The launch token was issued in the future.",
                hint="Check that the LMS server's clock is correct.",
            )
        if iat < now - self.settings.max_token_age:
            raise InvalidToken("The id_token was issued too long ago.", hint="Open the tool again from the course.")
        for claim in ("sub", "jti"):
            if claim in body and not isinstance(body[claim], str):
                raise InvalidToken("The id_token is not valid.", detail=f"{claim} is not a string")
        if not isinstance(body["nonce"], str) or not body["nonce"]:
            raise InvalidClaims("The id_token's nonce is not a string.")
        return body

    def _consume_state_and_nonce(
        self, state: str, body: dict[str, Any], platform: PlatformInfo, cookies: Mapping[str, str]
    ) -> None:
        nonce = body["nonce"]
        # Replay check first: a token seen before is refused whatever state it comes with. This is also what
        # makes each state single-use, since a state is bound to one nonce.
        nonce_ttl = self.settings.max_token_age + 2 * self.settings.leeway
        if not self.store.add(f"nonce:{platform.id}:{nonce}", 1, nonce_ttl):
            raise ReplayedToken()
        record = read_state(state, self.settings)
        if record["p"] != platform.id:
            raise InvalidState(N_("The login state belongs to another LMS registration."))
        if record["n"] != nonce:
            raise InvalidToken(N_("The id_token's nonce does not match the login request."))
        cookie = cookies.get(STATE_COOKIE_PREFIX + state)
        if cookie is not None and cookie != state:
            raise InvalidState(N_("The login state cookie does not match."))


class _BodyRequest(Request):
    """pylti1p3 wants a request object; restored launches never read from it."""

    @property
    def session(self):
        return {}

    def is_secure(self) -> bool:
        return True

    def get_param(self, key: str) -> str:
        return ""


class _NoCookies:
    def get_cookie(self, name: str) -> None:
        return None

    def set_cookie(self, name: str, value: object, exp: int | None = 3600) -> None:
        return None


class RestoredLaunch(MessageLaunch):
    """A launch validated by :class:`LaunchValidator`, for pylti1p3's deep linking, AGS and NRPS helpers."""

    def __init__(self, registration: Registration, body: dict[str, Any]) -> None:
        request = _BodyRequest()
        super().__init__(request, None, session_service=SessionService(request), cookie_service=_NoCookies())
        self._registration = registration
        self.set_jwt({"body": body}).set_auto_validation(False).set_restored()  # type: ignore[typeddict-item]
        self._validated = True

    def _get_request_param(self, key: str) -> str:
        return ""
