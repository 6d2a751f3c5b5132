"""pylti1p3's tool configuration read from the database (``ToolConfAbstract`` extension point).

Every issuer may have many client ids (Canvas: one developer key per institution under the same issuer),
so we always answer through ``find_registration_by_params``; ``find_registration_by_issuer`` is used only
when the platform sends no client id and the issuer has exactly one registration.

Registrations are read on every login and launch, and change rarely, so each process keeps what it read
for ``CACHE_SECONDS`` as immutable snapshots: a registration disabled or added on one worker takes effect
on the others within that time (immediately on the worker that changed it, which calls ``forget``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Platform
from .keys import KeyRing

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class DeploymentInfo:
    id: int
    deployment_id: str
    is_active: bool


@dataclass(frozen=True)
class PlatformInfo:
    """A registration as read from the database, safe to share between threads."""

    id: int
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    jwks_url: str
    auth_audience: str | None
    product_family: str | None
    is_active: bool
    deployments: Mapping[str, DeploymentInfo]

    @classmethod
    def of(cls, platform: Platform) -> PlatformInfo:
        return cls(
            id=platform.id,
            name=platform.name,
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=platform.auth_login_url,
            auth_token_url=platform.auth_token_url,
            jwks_url=platform.jwks_url,
            auth_audience=platform.auth_audience,
            product_family=platform.product_family,
            is_active=platform.is_active,
            deployments={
                d.deployment_id: DeploymentInfo(d.id, d.deployment_id, d.is_active) for d in platform.deployments
            },
        )

    def deployment(self, deployment_id: str) -> DeploymentInfo | None:
        return self.deployments.get(deployment_id)


_CACHE: dict[tuple[str, str | None], tuple[float, list[PlatformInfo]]] = {}
_CACHE_LOCK = threading.Lock()


def forget() -> None:
    """Drop this process's cached registrations (after registering, enabling or disabling one)."""
    with _CACHE_LOCK:
        _CACHE.clear()


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

    def platforms_for(self, iss: str, client_id: str | None) -> list[PlatformInfo]:
        key = (iss, client_id or None)
        cached = _CACHE.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        query = select(Platform).where(Platform.issuer == iss).options(selectinload(Platform.deployments))
        if client_id:
            query = query.where(Platform.client_id == client_id)
        found = [PlatformInfo.of(p) for p in self.session.execute(query).scalars()]
        with _CACHE_LOCK:
            _CACHE[key] = (time.monotonic() + CACHE_SECONDS, found)
        return found

    def platform(self, iss: str, client_id: str | None) -> PlatformInfo | None:
        found = self.platforms_for(iss, client_id)
        return found[0] if len(found) == 1 else None

    def registration_for(self, platform: PlatformInfo | Platform) -> Registration:
        key = self.keyring.active()
        reg = Registration()
        reg.set_issuer(platform.issuer)
        reg.set_client_id(platform.client_id)
        reg.set_auth_login_url(platform.auth_login_url)
        reg.set_auth_token_url(platform.auth_token_url)
        reg.set_key_set_url(platform.jwks_url)
        if platform.auth_audience:
            reg.set_auth_audience(platform.auth_audience)
        reg.set_tool_private_key(key.signing_key())  # a key object: PyJWT signs with it directly
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
        deployment = platform.deployment(deployment_id) if platform else None
        if deployment is None or not deployment.is_active:
            return None
        return LtiDeployment().set_deployment_id(deployment.deployment_id)
