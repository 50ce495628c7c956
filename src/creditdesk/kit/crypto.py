"""Secrets at rest: AES-256-GCM with a key id, so keys rotate without downtime.

Ciphertext format: ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``. The first key of the ring
encrypts; any key of the ring decrypts. ``associated_data`` binds a ciphertext to its owner (for
example ``tenant_id/bureau/field``) so a value copied to another row fails to decrypt.

Keyed hashes (:meth:`SecretBox.keyed_hash`) are the equality-lookup side of encrypted personal data:
HMAC-SHA256 under a key derived (HKDF) from a ring key, so a PAN can be found by its hash while the
hash reveals nothing to whoever lacks the key (a plain SHA-256 of a PAN is brute-forced in seconds).
Hashes are made with the active key; lookups try every key of the ring, so a rotation never hides a row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_HASH_KEY_INFO = b"creditdesk keyed hash v1"


class DecryptionError(ValueError):
    """The ciphertext is malformed, tampered with, or its key is not in the ring."""


class SecretBox:
    """Encrypts and decrypts small secrets with a key ring [(kid, key), ...]."""

    def __init__(self, keyring: list[tuple[str, bytes]]):
        if not keyring:
            raise ValueError("empty key ring")
        self._keys = {kid: AESGCM(key) for kid, key in keyring}
        self._hash_keys = {
            kid: HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HASH_KEY_INFO).derive(key)
            for kid, key in keyring
        }
        self.active_kid = keyring[0][0]

    def encrypt(self, plaintext: str, associated_data: str = "") -> str:
        """Encrypt with the active key."""
        nonce = os.urandom(12)
        ct = self._keys[self.active_kid].encrypt(nonce, plaintext.encode(), associated_data.encode())
        return f"v1:{self.active_kid}:{base64.urlsafe_b64encode(nonce + ct).decode()}"

    def decrypt(self, token: str, associated_data: str = "") -> str:
        """Decrypt a value produced by :meth:`encrypt` with any key of the ring."""
        try:
            version, kid, payload = token.split(":", 2)
            raw = base64.urlsafe_b64decode(payload)
            if version != "v1" or kid not in self._keys:
                raise DecryptionError(f"unknown key id {kid!r}")
            return self._keys[kid].decrypt(raw[:12], raw[12:], associated_data.encode()).decode()
        except (ValueError, InvalidTag) as exc:
            if isinstance(exc, DecryptionError):
                raise
            raise DecryptionError("ciphertext cannot be decrypted") from None

    def key_id(self, token: str) -> str:
        """Return the key id a ciphertext was made with."""
        return token.split(":", 2)[1]

    def needs_rotation(self, token: str) -> bool:
        """True when the ciphertext was not made with the active key."""
        return self.key_id(token) != self.active_kid

    def rotate(self, token: str, associated_data: str = "") -> str:
        """Re-encrypt a ciphertext under the active key."""
        return self.encrypt(self.decrypt(token, associated_data), associated_data)

    def seal_json(self, document: Any, associated_data: str) -> str:
        """Encrypt a JSON-able document (compact JSON) with the active key."""
        return self.encrypt(json.dumps(document, separators=(",", ":"), default=str), associated_data)

    def open_json(self, token: str, associated_data: str) -> Any:
        """Decrypt a document sealed by :meth:`seal_json`."""
        return json.loads(self.decrypt(token, associated_data))

    def keyed_hash(self, value: str, scope: str = "", *, kid: str | None = None) -> str:
        """HMAC-SHA256 (hex) of ``value`` in ``scope`` (e.g. ``<tenant id>/pan``) under the active key."""
        message = f"{scope}\x00{value}".encode()
        return hmac.new(self._hash_keys[kid or self.active_kid], message, hashlib.sha256).hexdigest()

    def keyed_hashes(self, value: str, scope: str = "") -> list[str]:
        """The keyed hash of ``value`` under every key of the ring, the active key's first (for lookups)."""
        kids = [self.active_kid, *(k for k in self._hash_keys if k != self.active_kid)]
        return [self.keyed_hash(value, scope, kid=k) for k in kids]


@lru_cache(maxsize=4)
def _shared_box(keyring: tuple[tuple[str, bytes], ...]) -> SecretBox:
    return SecretBox(list(keyring))


def shared_box(keyring: list[tuple[str, bytes]]) -> SecretBox:
    """A SecretBox over ``keyring``, built once per ring (the decision path encrypts without set-up)."""
    return _shared_box(tuple(keyring))


def personal_data_box() -> SecretBox:
    """The SecretBox over the configured key ring that seals personal data at rest (see docs/data-protection.md)."""
    from creditdesk.config import get_settings

    return shared_box(get_settings().encryption_keyring())


def pan_hash(box: SecretBox, tenant_id: str, pan: str | None) -> str | None:
    """The lookup hash of a PAN in one tenant (active key); None without a PAN.

    Scoped by tenant: one lender's hash of a PAN says nothing about another's. Applications and loan
    customers share the scheme, so one PAN has one hash across a tenant's tables.
    """
    return box.keyed_hash(pan.strip().upper(), f"{tenant_id}/pan") if pan else None


def pan_hashes(box: SecretBox, tenant_id: str, pan: str) -> list[str]:
    """The lookup hashes of a PAN under every key of the ring (a lookup matches rows of any key)."""
    return box.keyed_hashes(pan.strip().upper(), f"{tenant_id}/pan")


def redact(secret: str | None) -> str | None:
    """Show at most the last 4 characters of a secret (fewer for short secrets)."""
    if not secret:
        return None
    visible = 4 if len(secret) >= 12 else (2 if len(secret) >= 6 else 0)
    return "••••••" + (secret[-visible:] if visible else "")


def sha256_hex(value: str) -> str:
    """Return the hex SHA-256 of a string (for high-entropy tokens such as API keys)."""
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    """Compare two strings in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


def random_token(nbytes: int = 32) -> str:
    """Return a URL-safe random token."""
    return secrets.token_urlsafe(nbytes)
