"""The tool's own RSA signing keys: generate, rotate with a grace period, publish as JWKS.

Private keys are PEM files in ``KEYS_DIR`` (git-ignored); ``keyring.json`` records which key signs now and
which old public keys stay in the JWKS until their grace period ends, so that a platform which cached our
JWKS (or holds a token signed a minute before a rotation) still verifies it. Key ids are RFC 7638
thumbprints, the same value pylti1p3 puts in the ``kid`` header of every JWT we sign; Moodle refuses
client assertions without a ``kid``.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

KEYRING = "keyring.json"


@dataclass(frozen=True)
class ToolKey:
    kid: str
    private_pem: str
    public_pem: str
    status: str
    created_at: str
    retire_at: str | None = None

    def signing_key(self) -> Any:
        """The loaded private key; loading a PEM validates the RSA key (tens of ms), so do it once."""
        return _load_private(self.kid, self.private_pem)

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(JWK.from_pem(self.public_pem.encode()).export_public())
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return jwk


@lru_cache(maxsize=16)
def _load_private(kid: str, private_pem: str) -> Any:
    return serialization.load_pem_private_key(private_pem.encode(), password=None)


class KeyError_(Exception):
    """The key folder is missing, unreadable or inconsistent."""


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _locked(keys_dir: Path):
    keys_dir.mkdir(parents=True, exist_ok=True)
    with open(keys_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_ring(keys_dir: Path) -> list[dict[str, Any]]:
    path = keys_dir / KEYRING
    if not path.exists():
        return []
    return list(json.loads(path.read_text())["keys"])


def _write_ring(keys_dir: Path, entries: list[dict[str, Any]]) -> None:
    tmp = keys_dir / (KEYRING + ".tmp")
    tmp.write_text(json.dumps({"keys": entries}, indent=2))
    os.replace(tmp, keys_dir / KEYRING)


def _new_private_key() -> tuple[str, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    kid = JWK.from_pem(public_pem.encode()).thumbprint()
    return kid, private_pem, public_pem


def _add_key(keys_dir: Path, entries: list[dict[str, Any]]) -> dict[str, Any]:
    kid, private_pem, public_pem = _new_private_key()
    pem_path = keys_dir / f"{kid}.pem"
    pem_path.write_text(private_pem)
    pem_path.chmod(0o600)
    entry = {"kid": kid, "status": "active", "created_at": _now().isoformat(), "retire_at": None}
    entries.append(entry)
    return entry


def ensure_key(keys_dir: str | Path) -> None:
    """Create the first signing key if the folder has none."""
    keys_dir = Path(keys_dir)
    with _locked(keys_dir):
        entries = _read_ring(keys_dir)
        if not any(e["status"] == "active" for e in entries):
            _add_key(keys_dir, entries)
            _write_ring(keys_dir, entries)


def rotate(keys_dir: str | Path, grace_days: int) -> tuple[str, list[str]]:
    """Make a new active key; the previous one stays published for ``grace_days``.

    Returns the new kid and the kids removed because their grace period had ended.
    """
    keys_dir = Path(keys_dir)
    now = _now()
    with _locked(keys_dir):
        entries = _read_ring(keys_dir)
        for entry in entries:
            if entry["status"] == "active":
                entry["status"] = "retiring"
                entry["retire_at"] = (now + timedelta(days=grace_days)).isoformat()
        removed = [
            e["kid"] for e in entries if e["status"] == "retiring" and datetime.fromisoformat(e["retire_at"]) <= now
        ]
        entries = [e for e in entries if e["kid"] not in removed]
        for kid in removed:
            (keys_dir / f"{kid}.pem").unlink(missing_ok=True)
        new = _add_key(keys_dir, entries)
        _write_ring(keys_dir, entries)
    return new["kid"], removed


def load_keys(keys_dir: str | Path) -> list[ToolKey]:
    """Every key still published: the active one first, then retiring ones within their grace period."""
    keys_dir = Path(keys_dir)
    now = _now()
    keys = []
    for entry in _read_ring(keys_dir):
        if entry["status"] == "retiring" and datetime.fromisoformat(entry["retire_at"]) <= now:
            continue
        pem_path = keys_dir / f"{entry['kid']}.pem"
        try:
            private_pem = pem_path.read_text()
        except FileNotFoundError as err:
            raise KeyError_(f"key file {pem_path} listed in {KEYRING} is missing") from err
        private = serialization.load_pem_private_key(private_pem.encode(), password=None)
        public_pem = (
            private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        keys.append(
            ToolKey(
                kid=entry["kid"],
                private_pem=private_pem,
                public_pem=public_pem,
                status=entry["status"],
                created_at=entry["created_at"],
                retire_at=entry.get("retire_at"),
            )
        )
    keys.sort(key=lambda k: k.status != "active")
    return keys


class KeyRing:
    """Reads the key folder, re-reading only when ``keyring.json`` changes (another process rotated)."""

    def __init__(self, keys_dir: str | Path) -> None:
        self.keys_dir = Path(keys_dir)
        self._stamp: float | None = None
        self._keys: list[ToolKey] = []

    def keys(self) -> list[ToolKey]:
        try:
            stamp = (self.keys_dir / KEYRING).stat().st_mtime_ns
        except FileNotFoundError as err:
            raise KeyError_(f"no {KEYRING} in {self.keys_dir}; run `flask keys rotate`") from err
        if stamp != self._stamp:
            self._keys = load_keys(self.keys_dir)
            self._stamp = stamp
        return self._keys

    def active(self) -> ToolKey:
        keys = self.keys()
        if not keys or keys[0].status != "active":
            raise KeyError_(f"no active key in {self.keys_dir}; run `flask keys rotate`")
        return keys[0]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [k.public_jwk() for k in self.keys()]}
