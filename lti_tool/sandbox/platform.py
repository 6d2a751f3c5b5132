"""The demo platform's core: signing keys, JWT signing, and the id_token claims of each LMS flavour.

Framework-free: functions take a SQLAlchemy session and plain values, never a Flask request, so tests and
benchmarks can build and sign launches directly (``build_launch_claims`` + ``sign_jwt``) and post them to
the tool over HTTP.
"""

from __future__ import annotations

import json
import time
import uuid
from functools import lru_cache
from typing import Any, TypeVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import utcnow
from ..models.queries import get_or_create
from . import urls
from .directory import course_by_context, enrolment, resource_link, tool_by_client_id, user_by_sub
from .errors import SandboxError
from .flavours import FLAVOURS, Flavour, get_flavour
from .models import SandboxCourse, SandboxKey, SandboxLineItem, SandboxResourceLink, SandboxTool, SandboxUser

__all__ = [
    "FLAVOURS",
    "build_launch_claims",
    "default_placement",
    "platform_jwks",
    "platform_private_key",
    "rotate_platform_key",
    "sign_jwt",
    "verify_platform_jwt",
]

T = TypeVar("T")

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
ALL_SCOPES = (*AGS_SCOPES, SCOPE_NRPS)

ID_TOKEN_LIFETIME = 300
DEEP_LINK_DATA_LIFETIME = 3600


# --- keys -----------------------------------------------------------------------------------------------


def _new_key() -> SandboxKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = JWK.from_pem(public_pem)
    kid = jwk.thumbprint()
    public_jwk = {**jwk.export_public(as_dict=True), "kid": kid, "alg": "RS256", "use": "sig"}
    return SandboxKey(kid=kid, private_pem=private_pem, public_jwk=public_jwk, active_slot=1)


def _active_key(session: Session) -> SandboxKey | None:
    return session.execute(select(SandboxKey).where(SandboxKey.active_slot == 1)).scalar_one_or_none()


def ensure_platform_key(session: Session) -> SandboxKey:
    """The current signing key, generated and committed on first use so that every worker shares it.

    Two workers racing to create it both insert ``active_slot=1``; the unique constraint lets one win and
    the other re-reads. Commits the session when it creates the key.
    """
    key = _active_key(session)
    if key is not None:
        return key
    try:
        session.add(_new_key())
        session.commit()
    except IntegrityError:
        session.rollback()
    key = _active_key(session)
    if key is None:  # pragma: no cover - only if the winner rotated away at the same instant
        raise SandboxError("The demo LMS could not create its signing key.", status=500)
    return key


def platform_private_key(session: Session) -> tuple[str, str]:
    """(private PEM, kid) of the key the demo LMS signs with now."""
    key = ensure_platform_key(session)
    return key.private_pem, key.kid


def rotate_platform_key(session: Session) -> str:
    """Make a new signing key; the old one stays in the JWKS (tools holding a cached JWKS must refetch on
    the unknown ``kid``, LTI 1.3 Security Framework §6.3). Commits; returns the new kid."""
    current = _active_key(session)
    if current is not None:
        current.active_slot = None
        current.retired_at = utcnow()
        session.flush()
    new = _new_key()
    session.add(new)
    session.commit()
    return new.kid


def platform_jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The public keys: the signing key first, then retired ones (kept so earlier tokens still verify)."""
    ensure_platform_key(session)
    keys = session.execute(
        select(SandboxKey).order_by(SandboxKey.active_slot.is_(None), SandboxKey.created_at.desc())
    ).scalars()
    return {"keys": [dict(k.public_jwk) for k in keys]}


def sign_jwt(claims: dict[str, Any], private_pem: str | Any, kid: str) -> str:
    """Sign ``claims`` with RS256 and the ``kid`` header (LTI 1.3 Security Framework §5.1.3 requires RS256).

    ``private_pem`` is a PEM string or an already loaded key object.
    """
    key = _loaded_key(private_pem) if isinstance(private_pem, str) else private_pem
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@lru_cache(maxsize=8)
def _loaded_key(private_pem: str) -> Any:
    """Loading a PEM validates the RSA key (tens of milliseconds); each key is loaded once per process."""
    return serialization.load_pem_private_key(private_pem.encode(), password=None)


def verify_platform_jwt(session: Session, token: str, *, audience: str | None = None) -> dict[str, Any]:
    """Verify a JWT the demo LMS signed itself (e.g. the deep linking ``data`` it gets echoed back)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as err:
        raise SandboxError("The token is not a JWT signed by this LMS.") from err
    key = session.get(SandboxKey, kid) if isinstance(kid, str) else None
    if key is None:
        raise SandboxError("The token was not signed by a key of this LMS.")
    public_pem = JWK(**key.public_jwk).export_to_pem()
    try:
        return jwt.decode(
            token,
            public_pem,
            algorithms=["RS256"],
            audience=audience,
            options={"require": ["exp", "iat"], "verify_aud": audience is not None},
        )
    except jwt.PyJWTError as err:
        raise SandboxError(f"The token signed by this LMS is not valid: {err}.") from err


# --- placements -----------------------------------------------------------------------------------------


def default_placement(session: Session, flavour: str, course: SandboxCourse, tool: SandboxTool) -> SandboxResourceLink:
    """The tool's default placement in a course ("Mentoring Space" in the course menu), created if missing."""
    link_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{flavour}:{tool.client_id}:{course.context_id}"))

    def find() -> SandboxResourceLink | None:
        return session.execute(
            select(SandboxResourceLink).where(SandboxResourceLink.link_id == link_id)
        ).scalar_one_or_none()

    def create() -> SandboxResourceLink:
        return SandboxResourceLink(
            link_id=link_id,
            flavour=flavour,
            course_id=course.id,
            tool_id=tool.id,
            title=tool.name,
            text="Mentoring programs for this course.",
            is_default=True,
        )

    return get_or_create(session, find, create)


# --- claims ---------------------------------------------------------------------------------------------


def _substitute(custom: dict[str, Any] | None, user: SandboxUser, course: SandboxCourse, link_id: str | None):
    """Expand the LTI substitution variables the demo knows (LTI 1.3 Core §5.4.1; Appendix C)."""
    values = {
        "$User.id": user.sub,
        "$User.username": user.username,
        "$Person.name.full": user.name,
        "$Person.name.given": user.given_name,
        "$Person.name.family": user.family_name,
        "$Person.email.primary": user.email,
        "$Context.id": course.context_id,
        "$Context.title": course.title,
        "$Context.label": course.label,
        "$CourseSection.title": course.title,
        "$ResourceLink.id": link_id or "",
    }
    return {str(k): values.get(str(v), str(v)) for k, v in (custom or {}).items()}


def _identity_claims(flavour: Flavour, user: SandboxUser, course: SandboxCourse, sandbox_url: str) -> dict:
    """Name, email and picture as the course's privacy level allows (OIDC Core §5.1 standard claims)."""
    claims: dict[str, Any] = {}
    if course.shares_names:
        claims.update(name=user.name, given_name=user.given_name, family_name=user.family_name)
        if flavour.code == "canvas":
            claims["picture"] = urls.picture(sandbox_url)
    if course.shares_emails:
        claims["email"] = user.email
    return claims


def _flavour_claims(flavour: Flavour, user: SandboxUser, course: SandboxCourse, message_type: str) -> dict[str, Any]:
    """Claims only some LMSs send (see :mod:`lti_tool.sandbox.flavours`)."""
    if flavour.code == "moodle":
        return {
            LTI + "ext": {"user_username": user.username, "lms": "moodle-2"},
            LTI + "lis": {"person_sourcedid": user.sourcedid, "course_section_sourcedid": course.label},
        }
    if flavour.code == "canvas":
        return {
            LTI + "lis": {
                "person_sourcedid": user.sourcedid,
                "course_offering_sourcedid": f"CO-{course.label}",
            },
            "https://www.instructure.com/placement": (
                "link_selection" if message_type == DEEP_LINKING_REQUEST else "course_navigation"
            ),
            LTI + "lti11_legacy_user_id": uuid.uuid5(uuid.NAMESPACE_OID, user.sub).hex,
        }
    return {}


def _service_claims(
    flavour: Flavour,
    tool: SandboxTool,
    course: SandboxCourse,
    line_item: SandboxLineItem | None,
    sandbox_url: str,
) -> dict[str, Any]:
    """NRPS 2.0 §3.6.1 and AGS 2.0 §3.2 claims, for the scopes the tool was registered with."""
    claims: dict[str, Any] = {}
    if SCOPE_NRPS in tool.scopes:
        claims[NRPS_CLAIM] = {
            "context_memberships_url": urls.nrps(sandbox_url, flavour.code, course.context_id, tool.id),
            "service_versions": ["2.0"],
        }
    ags_scopes = [s for s in AGS_SCOPES if s in tool.scopes]
    if ags_scopes:
        endpoint: dict[str, Any] = {
            "scope": ags_scopes,
            "lineitems": urls.lineitems(sandbox_url, flavour.code, course.context_id, tool.id),
        }
        if line_item is not None:
            endpoint["lineitem"] = urls.lineitem(sandbox_url, flavour.code, course.context_id, line_item.id, tool.id)
        claims[AGS_CLAIM] = endpoint
    return claims


def deep_link_data(
    session: Session, *, flavour: str, client_id: str, context_id: str, user_sub: str, sandbox_url: str
) -> str:
    """The opaque ``data`` of a deep linking request: signed by the LMS, so the echo can be trusted."""
    now = int(time.time())
    private_pem, kid = platform_private_key(session)
    payload = {
        "aud": urls.deep_link_return(sandbox_url, flavour),
        "flavour": flavour,
        "client_id": client_id,
        "context_id": context_id,
        "user_sub": user_sub,
        "iat": now,
        "exp": now + DEEP_LINK_DATA_LIFETIME,
    }
    return sign_jwt(payload, private_pem, kid)


def build_launch_claims(
    session: Session,
    *,
    flavour: str,
    user_sub: str,
    context_id: str,
    nonce: str,
    message_type: str = RESOURCE_LINK_REQUEST,
    resource_link_id: str | None = None,
    target_link_uri: str,
    client_id: str | None = None,
    deployment_id: str | None = None,
    sandbox_url: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete id_token claim set for a launch, in the shape ``flavour``'s LMS sends.

    Follows LTI 1.3 Core §5.3 (required claims), §5.4 (optional claims), Deep Linking 2.0 §4.4 and the
    service claims of AGS 2.0 and NRPS 2.0. A resource link launch without ``resource_link_id`` opens the
    tool's default placement in the course, creating it if needed (flush only; the caller commits).
    ``extra`` is merged last, to craft unusual launches in tests.
    """
    fl = get_flavour(flavour)
    if message_type not in MESSAGE_TYPES:
        raise SandboxError(f"The demo LMS does not send '{message_type}' messages.")
    tool = tool_by_client_id(session, flavour, client_id)
    user = user_by_sub(session, user_sub)
    course = course_by_context(session, context_id)
    member = enrolment(session, course, user)
    if member is None and not user.is_site_admin:
        raise SandboxError(f"{user.name} is not enrolled in {course.title}.", error="access_denied", status=403)
    if member is not None and not member.active and not user.is_site_admin:
        raise SandboxError(f"{user.name}'s enrolment in {course.title} is inactive.", error="access_denied", status=403)

    now = int(time.time())
    issuer = urls.issuer(sandbox_url, flavour)
    locale = fl.locale(user.locale)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": [tool.client_id] if fl.aud_as_list else tool.client_id,
        "sub": user.sub,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "nonce": nonce,
        "locale": locale,
    }
    if fl.sends_azp:
        claims["azp"] = tool.client_id
    claims.update(_identity_claims(fl, user, course, sandbox_url))

    link: SandboxResourceLink | None = None
    if message_type == RESOURCE_LINK_REQUEST:
        if resource_link_id:
            link = resource_link(session, flavour, course, resource_link_id)
            if link.tool_id != tool.id:
                raise SandboxError("That placement belongs to another tool.")
        else:
            link = default_placement(session, flavour, course, tool)

    claims.update(
        {
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": deployment_id or tool.deployment_id,
            LTI + "target_link_uri": target_link_uri,
            LTI + "roles": fl.roles(member.role if member else None, site_admin=user.is_site_admin),
            LTI + "context": {
                "id": course.context_id,
                "label": course.label,
                "title": course.title,
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            LTI + "tool_platform": {
                "guid": f"{fl.code}.sandbox.mentoring-space.example",
                "name": fl.platform_name,
                "product_family_code": fl.product_family_code,
                "version": fl.version,
            },
            LTI + "launch_presentation": {
                "document_target": "iframe",
                "locale": locale,
                "return_url": urls.course_page(sandbox_url, flavour, course.context_id),
            },
            LTI + "custom": {
                **_substitute(tool.custom, user, course, link.link_id if link else None),
                **_substitute(link.custom if link else None, user, course, link.link_id if link else None),
            },
        }
    )
    line_item = None
    if link is not None:
        claims[LTI + "resource_link"] = {"id": link.link_id, "title": link.title, "description": link.text or ""}
        line_item = (
            session.execute(
                select(SandboxLineItem).where(SandboxLineItem.resource_link_id == link.id).order_by(SandboxLineItem.id)
            )
            .scalars()
            .first()
        )
    claims.update(_service_claims(fl, tool, course, line_item, sandbox_url))
    if message_type == DEEP_LINKING_REQUEST:
        claims[DL + "deep_linking_settings"] = {
            "deep_link_return_url": urls.deep_link_return(sandbox_url, flavour),
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "auto_create": True,
            "title": f"Add to {course.title}",
            "data": deep_link_data(
                session,
                flavour=flavour,
                client_id=tool.client_id,
                context_id=course.context_id,
                user_sub=user.sub,
                sandbox_url=sandbox_url,
            ),
        }
    claims.update(_flavour_claims(fl, user, course, message_type))
    if extra:
        claims.update(json.loads(json.dumps(extra)))
    return claims
