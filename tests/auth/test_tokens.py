"""Refresh rotation, reuse detection, logout, and hostile tokens."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
from tests.factories import PASSWORD, make_user

from creditdesk.auth import tokens
from creditdesk.config import get_settings


def _pair(client, email):
    r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()


def _me(client, access):
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"})


def test_refresh_rotates_and_reuse_kills_the_family(client, session):
    make_user(session, None, "platform_admin", email="ops@platform.example")
    session.commit()
    first = _pair(client, "ops@platform.example")
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert _me(client, second["access_token"]).status_code == 200

    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["error"] == "TokenReuseDetected"
    # the newer token of the family is dead too, and so are its access tokens
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401
    assert _me(client, second["access_token"]).status_code == 401
    # another sign-in is unaffected
    other = _pair(client, "ops@platform.example")
    assert _me(client, other["access_token"]).status_code == 200


def test_logout_revokes(client, session):
    make_user(session, None, "platform_admin", email="bye@platform.example")
    session.commit()
    pair = _pair(client, "bye@platform.example")
    assert client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert _me(client, pair["access_token"]).status_code == 401


def test_web_client_gets_refresh_cookie_not_body(client, session):
    make_user(session, None, "platform_admin", email="web@platform.example")
    session.commit()
    r = client.post(
        "/api/v1/auth/token",
        json={"email": "web@platform.example", "password": PASSWORD},
        headers={"X-CreditDesk-Client": "web"},
    )
    assert r.status_code == 200 and r.json()["refresh_token"] is None
    cookie = r.headers["set-cookie"]
    assert "creditdesk_refresh=" in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    again = client.post("/api/v1/auth/refresh", headers={"X-CreditDesk-Client": "web"})
    assert again.status_code == 200 and again.json()["access_token"]


def _b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_tampered_expired_and_alg_none_tokens_are_401(client, session):
    user = make_user(session, None, "platform_admin")
    session.commit()
    good = tokens.issue(typ="access", subject=user.id, family_id="f", lifetime=timedelta(minutes=5)).token
    assert _me(client, good).status_code == 200

    header, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "platform_admin"
    claims["sub"] = "someone-else"
    assert _me(client, f"{header}.{_b64(claims)}.{sig}").status_code == 401

    none_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    assert _me(client, none_token).status_code == 401

    forged = jwt.encode({**claims, "sub": user.id}, "not-the-server-key-but-long-enough-123", algorithm="HS256")
    assert _me(client, forged).status_code == 401

    expired = jwt.encode(
        {
            "iss": "creditdesk",
            "sub": user.id,
            "typ": "access",
            "fam": "f",
            "jti": "x",
            "iat": int(time.time()) - 3600,
            "exp": int(time.time()) - 60,
        },
        get_settings().jwt_key(),
        algorithm="HS256",
    )
    r = _me(client, expired)
    assert r.status_code == 401 and r.json()["detail"] == "Token has expired"

    refresh_as_access = tokens.issue(typ="refresh", subject=user.id, family_id="f", lifetime=timedelta(minutes=5)).token
    assert _me(client, refresh_as_access).status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer "}).status_code == 401
