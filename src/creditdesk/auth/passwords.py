"""Argon2id password hashing and the password rule."""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from creditdesk.config import get_settings

PASSWORD_RULE = (
    "Password must be 12–128 characters, contain at least one letter and one digit or symbol, "
    "and must not contain your e-mail name or be a common password"
)
_COMMON = {
    "password1234",
    "passwordpassword",
    "qwertyuiop12",
    "123456789012",
    "letmein12345",
    "welcome12345",
    "iloveyou1234",
    "administrator",
    "creditdesk123",
    "password@123",
    "admin@123456",
}


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("timing-equaliser-not-a-real-password")


def hash_password(password: str) -> str:
    """Return an Argon2id hash of a password."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time on a dummy hash and return False."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str | None = None) -> str | None:
    """Return the rule a password breaks, or None when it is acceptable."""
    if not 12 <= len(password) <= 128:
        return PASSWORD_RULE
    if not re.search(r"[A-Za-z]", password) or not re.search(r"[^A-Za-z]", password):
        return PASSWORD_RULE
    if password.lower() in _COMMON or len(set(password)) < 5:
        return PASSWORD_RULE
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in password.lower():
            return PASSWORD_RULE
    return None
