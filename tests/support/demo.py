"""Who is in the demo LMS's default course, and forged launches for the negative tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Person, Platform

COURSE = "course-101"


def people(app, role: str, context_id: str = COURSE) -> list[str]:
    """Subs of the demo course's members with a sandbox course role (instructor, ta, student)."""
    from lti_tool.sandbox.models import SandboxCourse, SandboxEnrolment, SandboxUser

    with app.app_context():
        return list(
            db.session.execute(
                select(SandboxUser.sub)
                .join(SandboxEnrolment, SandboxEnrolment.user_id == SandboxUser.id)
                .join(SandboxCourse, SandboxCourse.id == SandboxEnrolment.course_id)
                .where(
                    SandboxCourse.context_id == context_id,
                    SandboxEnrolment.role == role,
                    SandboxEnrolment.active.is_(True),
                )
                .order_by(SandboxEnrolment.id)
            ).scalars()
        )


def ensure_seeded(browser) -> None:
    """The demo platforms exist once any sandbox page has been served."""
    assert browser.get(browser.lms_url + "/sandbox/").status == 200


def person(app, sub: str, issuer_suffix: str | None = None) -> Person | None:
    with app.app_context():
        query = select(Person).where(Person.sub == sub)
        if issuer_suffix:
            query = query.join(Platform, Platform.id == Person.platform_id).where(
                Platform.issuer.endswith(issuer_suffix)
            )
        found = db.session.execute(query).scalars().first()
        if found is not None:
            db.session.expunge(found)
        return found


def id_token_for(
    live,
    auth: dict[str, str],
    user: str,
    *,
    flavour: str = "moodle",
    mutate: Callable[[dict[str, Any]], None] | None = None,
    sign: Callable[[dict[str, Any], str, str], str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """An id_token for the login ``auth`` built by the demo LMS, altered by ``mutate``/``sign``."""
    from lti_tool.sandbox.platform import build_launch_claims, platform_private_key, sign_jwt

    with live.app.app_context():
        claims = build_launch_claims(
            db.session,
            flavour=flavour,
            user_sub=user,
            context_id=COURSE,
            nonce=auth["nonce"],
            target_link_uri=live.tool_url + "/lti/launch",
            client_id=auth["client_id"],
            sandbox_url=live.lms_url,
        )
        pem, kid = platform_private_key(db.session)
    if mutate:
        mutate(claims)
    return (sign or sign_jwt)(claims, pem, kid), claims


def forged_launch(
    live,
    browser,
    *,
    flavour: str = "moodle",
    user: str,
    mutate: Callable[[dict[str, Any]], None] | None = None,
    sign: Callable[[dict[str, Any], str, str], str] | None = None,
    state: str | None = None,
):
    """Run a real login, then post an id_token built by the demo LMS, altered by ``mutate``/``sign``."""
    auth = browser.login_only(flavour, user)
    token, claims = id_token_for(live, auth, user, flavour=flavour, mutate=mutate, sign=sign)
    return browser.post_launch(token, state if state is not None else auth["state"]), claims, auth


def rogue_signer(claims: dict[str, Any], pem: str, kid: str) -> str:
    """Sign with a key the platform never published, under the platform's kid."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": kid})


def forge_token(app, token: str, **changes: Any) -> str:
    """A correctly signed tool-session token like ``token`` but with fields changed (course_id, role, …):
    what an attacker holding a valid session could never produce, used to prove the server re-checks."""
    from dataclasses import asdict

    from lti_tool.views.access import signer

    with app.app_context():
        real = signer(app).loads(token)
        fields = {k: v for k, v in asdict(real).items() if k != "sid"} | changes
        return signer(app).dumps(signer(app).new(**fields))
