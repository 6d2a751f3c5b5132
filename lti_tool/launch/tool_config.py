"""pylti1p3's tool configuration read from the database (``ToolConfAbstract`` extension point).

Every issuer may have many client ids (Canvas: one developer key per institution under the same issuer),
so we always answer through ``find_registration_by_params``; ``find_registration_by_issuer`` is used only
when the platform sends no client id and the issuer has exactly one registration.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Deployment, Platform
from .keys import KeyRing


class DatabaseToolConf(ToolConfAbstract):
    def __init__(self, session: Session, keyring: KeyRing) -> None:
        super().__init__()
        self.session = session
        self.keyring = keyring
        # pylti1p3 keeps this mapping on the class; give each instance its own.
        self.issuers_relation_types = {}

    # pylti1p3 asks which lookup to use; ours handles both.
    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platforms_for(self, iss: str, client_id: str | None) -> list[Platform]:
        query = select(Platform).where(Platform.issuer == iss)
        if client_id:
            query = query.where(Platform.client_id == client_id)
        return list(self.session.execute(query).scalars())

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        found = self.platforms_for(iss, client_id)
        return found[0] if len(found) == 1 else None

    def registration_for(self, platform: Platform) -> Registration:
        key = self.keyring.active()
        reg = Registration()
        reg.set_issuer(platform.issuer)
        reg.set_client_id(platform.client_id)
        reg.set_auth_login_url(platform.auth_login_url)
        reg.set_auth_token_url(platform.auth_token_url)
        reg.set_key_set_url(platform.jwks_url)
        if platform.auth_audience:
            reg.set_auth_audience(platform.auth_audience)
        reg.set_tool_private_key(key.private_pem)
        reg.set_tool_public_key(key.public_pem)
        return reg

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self.platform(iss, None)
        return self.registration_for(platform) if platform else None  # type: ignore[return-value]

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self.platform(iss, client_id)
        return self.registration_for(platform) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)  # type: ignore[arg-type]

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        platform = self.platform(iss, client_id)
        if platform is None:
            return None
        row = deployment_row(self.session, platform, deployment_id)
        if row is None or not row.is_active:
            return None
        return LtiDeployment().set_deployment_id(row.deployment_id)


def deployment_row(session: Session, platform: Platform, deployment_id: str) -> Deployment | None:
    return session.execute(
        select(Deployment).where(Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id)
    ).scalar_one_or_none()
