"""pylti1p3's service connector with access tokens shared by every worker.

LTI Advantage services authorise with an OAuth2 client-credentials token obtained by a signed client
assertion (1EdTech Security Framework §4.1). A token is reused until shortly before it expires, across
processes and hosts, through the shared expiring store: one token request per token lifetime rather than
one per score. pylti1p3's own cache key is issuer + scopes, which mixes up two registrations under one
issuer (Canvas developer keys); ours adds the client id.

Many threads asking at once for a token nobody holds yet would each fetch one; a per-process lock and a
short-lived claim in the shared store (``add``, atomic) let one of them fetch while the others wait for it.
Each process also remembers a token for up to ``LOCAL_SECONDS`` (less than ``EXPIRY_MARGIN``, so never past
the platform's expiry), which spares the shared store a read per score; a token revoked meanwhile answers
401, which drops it here and in the store.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable

import requests
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from ..launch.store import ExpiringStore

# Renew this many seconds before the platform's expiry so a token never dies mid-request.
EXPIRY_MARGIN = 60
# How long another process's token fetch may hold the claim before we fetch ourselves.
FETCH_CLAIM_SECONDS = 10
# How long a process reuses a token it read or fetched without asking the shared store again.
LOCAL_SECONDS = 30.0

_LOCAL: dict[str, tuple[str, float]] = {}

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


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
        local = _LOCAL.get(scope_key)
        if local is not None and local[1] > time.monotonic():
            return local[0]
        token = self.store.get(scope_key)
        if token:
            _LOCAL[scope_key] = (token, time.monotonic() + LOCAL_SECONDS)
        return token

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        ttl = int(float(expires_in or 0)) - EXPIRY_MARGIN
        if ttl > 0:
            self.store.set(scope_key, access_token, ttl)
            _LOCAL[scope_key] = (access_token, time.monotonic() + min(float(ttl), LOCAL_SECONDS))

    def get_access_token(self, scopes):  # type: ignore[no-untyped-def]
        key = self._scope_key(sorted(scopes))
        cached = self._get_cached_access_token(key)
        if cached:
            return cached
        with _lock_for(key):
            cached = self._get_cached_access_token(key)
            if cached:
                return cached
            claim = key + ":fetching"
            if not self.store.add(claim, 1, FETCH_CLAIM_SECONDS):
                cached = self._wait_for_other_fetch(key)
                if cached:
                    return cached
            try:
                self.token_requests += 1
                return super().get_access_token(scopes)
            finally:
                self.store.delete(claim)

    def _wait_for_other_fetch(self, key: str) -> str | None:
        deadline = time.monotonic() + FETCH_CLAIM_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            cached = self._get_cached_access_token(key)
            if cached:
                return cached
            if self.store.get(key + ":fetching") is None:
                return self._get_cached_access_token(key)
        return None

    def forget_access_token(self, scopes: Iterable[str], token: str | None = None) -> None:
        """Drop the shared token (after a 401); only if it is still ``token``, so a fresh one survives."""
        key = self._scope_key(sorted(scopes))
        with _lock_for(key):
            local = _LOCAL.get(key)
            if token is None or (local is not None and local[0] == token):
                _LOCAL.pop(key, None)
            if token is None or self.store.get(key) == token:
                self.store.delete(key)
