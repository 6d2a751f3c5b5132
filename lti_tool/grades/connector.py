"""pylti1p3's service connector with access tokens shared by every worker.

LTI Advantage services authorise with an OAuth2 client-credentials token obtained by a signed client
assertion (1EdTech Security Framework §4.1). A token is reused until shortly before it expires, across
processes and hosts, through the shared expiring store: one token request per token lifetime rather than
one per score. pylti1p3's own cache key is issuer + scopes, which mixes up two registrations under one
issuer (Canvas developer keys); ours adds the client id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import requests
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from ..launch.store import ExpiringStore

# Renew this many seconds before the platform's expiry so a token never dies mid-request.
EXPIRY_MARGIN = 60


class SharedTokenServiceConnector(ServiceConnector):
    def __init__(
        self,
        registration: Registration,
        store: ExpiringStore,
        requests_session: requests.Session | None = None,
    ) -> None:
        super().__init__(registration, requests_session)
        self.store = store
        self.token_requests = 0

    def _scope_key(self, scopes: Iterable[str]) -> str:
        parts = [self._registration.get_issuer() or "", self._registration.get_client_id() or "", *sorted(scopes)]
        return "svc-token:" + hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        return self.store.get(scope_key)

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        ttl = int(float(expires_in or 0)) - EXPIRY_MARGIN
        if ttl > 0:
            self.store.set(scope_key, access_token, ttl)

    def get_access_token(self, scopes):  # type: ignore[no-untyped-def]
        cached = self._get_cached_access_token(self._scope_key(sorted(scopes)))
        if cached:
            return cached
        self.token_requests += 1
        return super().get_access_token(scopes)
