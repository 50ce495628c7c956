"""Secrets at rest: AES-GCM with key ids, rotation, binding, redaction."""

from __future__ import annotations

import base64
import os

import pytest

from creditdesk.kit.crypto import DecryptionError, SecretBox, redact


def _key() -> bytes:
    return os.urandom(32)


def test_round_trip_binding_and_tamper():
    box = SecretBox([("k1", _key())])
    token = box.encrypt("s3cr3t-api-key", "tenant-1/cibil/api_key")
    assert "s3cr3t" not in token and token.startswith("v1:k1:")
    assert box.decrypt(token, "tenant-1/cibil/api_key") == "s3cr3t-api-key"
    with pytest.raises(DecryptionError):
        box.decrypt(token, "tenant-2/cibil/api_key")  # copied to another owner
    raw = bytearray(base64.urlsafe_b64decode(token.split(":", 2)[2]))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        box.decrypt("v1:k1:" + base64.urlsafe_b64encode(bytes(raw)).decode())
    with pytest.raises(DecryptionError):
        box.decrypt("garbage")


def test_rotation_keeps_old_ciphertexts_readable():
    old, new = ("k1", _key()), ("k2", _key())
    token = SecretBox([old]).encrypt("pw")
    ring = SecretBox([new, old])
    assert ring.decrypt(token) == "pw" and ring.needs_rotation(token)
    rotated = ring.rotate(token)
    assert ring.key_id(rotated) == "k2" and not ring.needs_rotation(rotated)
    with pytest.raises(DecryptionError):
        SecretBox([new]).decrypt(token)


def test_redaction_shows_at_most_four_characters():
    assert redact("abcdefghijkl3f9a") == "••••••3f9a"
    assert redact("short1").endswith("t1") and len(redact("short1").lstrip("•")) == 2
    assert redact("abc") == "••••••"
    assert redact(None) is None


def test_update_map_seals_only_what_changed_and_keeps_what_was_left_out(settings):
    from creditdesk.bureaus.models import BUREAU_CREDENTIALS, BureauConfigRecord

    row = BureauConfigRecord(tenant_id="t1", bureau="cibil", secrets={})
    assert BUREAU_CREDENTIALS.update_map(row, {"password": "first", "api_key": "k-1"}) == ["password", "api_key"]
    sealed_key = row.secrets["api_key"]
    assert BUREAU_CREDENTIALS.update_map(row, {"password": "second", "api_key": "k-1"}) == ["password"]
    assert row.secrets["api_key"] == sealed_key  # the same value is not re-sealed
    assert BUREAU_CREDENTIALS.update_map(row, {}) == []  # left out: kept
    assert BUREAU_CREDENTIALS.open(row, "password") == "second"
    row.secrets = {**row.secrets, "api_key": "v1:not-a-ciphertext"}  # no key of the ring opens it
    assert BUREAU_CREDENTIALS.update_map(row, {"api_key": "k-1"}) == ["api_key"]
    assert BUREAU_CREDENTIALS.open(row, "api_key") == "k-1"
