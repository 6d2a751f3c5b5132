"""Tool keys: created on first start, rotated with a grace period, published as a valid JWKS."""

import json
from datetime import UTC, datetime, timedelta

import jwt
from jwcrypto.jwk import JWK

from lti_tool.launch import keys


def test_first_key_is_created_and_published(tmp_path):
    """ensure_key creates one active key; the JWKS lists it with kid, alg RS256 and use sig."""
    keys.ensure_key(tmp_path)
    keys.ensure_key(tmp_path)  # idempotent
    ring = keys.KeyRing(tmp_path)
    jwks = ring.jwks()
    assert len(jwks["keys"]) == 1
    jwk = jwks["keys"][0]
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert "d" not in jwk, "private parts must never be published"
    assert jwk["kid"] == JWK(**jwk).thumbprint()


def test_rotation_keeps_previous_public_key_for_grace_period(tmp_path):
    """After rotate the new key signs and the old key still verifies until its grace period ends."""
    keys.ensure_key(tmp_path)
    ring = keys.KeyRing(tmp_path)
    old = ring.active()
    token = jwt.encode({"x": 1}, old.private_pem, algorithm="RS256", headers={"kid": old.kid})
    new_kid, removed = keys.rotate(tmp_path, grace_days=7)
    assert removed == []
    assert ring.active().kid == new_kid != old.kid
    published = {k["kid"]: k for k in ring.jwks()["keys"]}
    assert set(published) == {old.kid, new_kid}
    public = JWK(**published[old.kid]).export_to_pem()
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"x": 1}


def test_rotation_drops_keys_past_their_grace_period(tmp_path):
    """A retiring key whose grace period has ended leaves the JWKS and its file is deleted."""
    keys.ensure_key(tmp_path)
    first = keys.KeyRing(tmp_path).active().kid
    keys.rotate(tmp_path, grace_days=7)
    ring_file = tmp_path / keys.KEYRING
    data = json.loads(ring_file.read_text())
    for entry in data["keys"]:
        if entry["kid"] == first:
            entry["retire_at"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    ring_file.write_text(json.dumps(data))
    assert first not in {k["kid"] for k in keys.KeyRing(tmp_path).jwks()["keys"]}
    _, removed = keys.rotate(tmp_path, grace_days=7)
    assert removed == [first]
    assert not (tmp_path / f"{first}.pem").exists()


def test_cli_rotate_and_jwks_endpoint(live):
    """`flask keys rotate` adds a key that /.well-known/jwks.json serves next to the previous one."""
    import requests

    before = requests.get(live.tool_url + "/.well-known/jwks.json", timeout=10).json()["keys"]
    result = live.app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "New active key" in result.output
    after = requests.get(live.tool_url + "/.well-known/jwks.json", timeout=10).json()["keys"]
    assert {k["kid"] for k in before} < {k["kid"] for k in after}
    listing = live.app.test_cli_runner().invoke(args=["keys", "list"])
    assert "active" in listing.output and "retiring" in listing.output
