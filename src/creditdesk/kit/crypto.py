"""Secrets at rest: AES-256-GCM with a key id, so keys rotate without downtime.

Ciphertext format: ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``. The first key of the ring
encrypts; any key of the ring decrypts. ``associated_data`` binds a ciphertext to its owner (for
example ``tenant_id/bureau/field``) so a value copied to another row fails to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class DecryptionError(ValueError):
    """The ciphertext is malformed, tampered with, or its key is not in the ring."""


class SecretBox:
    """Encrypts and decrypts small secrets with a key ring [(kid, key), ...]."""

    def __init__(self, keyring: list[tuple[str, bytes]]):
        if not keyring:
            raise ValueError("empty key ring")
        self._keys = {kid: AESGCM(key) for kid, key in keyring}
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
