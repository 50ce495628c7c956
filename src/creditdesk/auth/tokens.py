"""JWT access and refresh tokens (HS256 only; ``alg=none`` and every other algorithm are refused)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from creditdesk.config import get_settings
from creditdesk.db import utcnow
from creditdesk.errors import Unauthorized
from creditdesk.kit.crypto import random_token

ALGORITHM = "HS256"
ISSUER = "creditdesk"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


def issue(
    *, typ: str, subject: str, family_id: str, lifetime: timedelta, extra: dict[str, Any] | None = None
) -> IssuedToken:
    """Sign a token of type ``access`` or ``refresh``."""
    now = utcnow()
    jti = random_token(16)
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "typ": typ,
        "fam": family_id,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        **(extra or {}),
    }
    return IssuedToken(jwt.encode(claims, get_settings().jwt_key(), algorithm=ALGORITHM), jti, now + lifetime)


def decode(token: str, *, typ: str) -> dict[str, Any]:
    """Verify signature, expiry, issuer and type; any failure is a 401."""
    try:
        claims = jwt.decode(
            token,
            get_settings().jwt_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ", "jti", "fam"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid token") from None
    if claims.get("typ") != typ:
        raise Unauthorized("Invalid token type")
    return claims
