"""Plain settings the protocol code needs, so it never reads Flask's config itself."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LaunchSettings:
    public_url: str
    secret_key: str
    state_ttl: int = 600
    launch_data_ttl: int = 7200
    jwks_ttl: int = 3600
    leeway: int = 60
    # An id_token issued longer ago than this is refused even if its exp is far away.
    max_token_age: int = 3600

    @property
    def tool_host(self) -> str:
        return urlsplit(self.public_url).netloc.lower()

    def is_own_url(self, url: str) -> bool:
        """True for an absolute http(s) URL on this tool's own host (no open redirect)."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return parts.scheme in {"http", "https"} and parts.netloc.lower() == self.tool_host
