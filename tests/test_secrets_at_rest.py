"""No password, token or secret appears in clear in the database file or the logs."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from tests.factories import bearer, make_user


def test_no_clear_secrets_in_database_or_logs(client, session, settings, db):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)  # the app's JSON formatter
    logging.getLogger().addHandler(handler)
    root = make_user(session, None, "platform_admin")
    session.commit()
    password = "Unmistakable-Passw0rd-XYZ"
    r = client.post(
        "/api/v1/tenants",
        headers=bearer(root),
        json={
            "slug": "clear-check",
            "name": "C",
            "admin": {"email": "c@clear.example", "name": "C", "password": password},
        },
    )
    assert r.status_code == 201
    tokens = client.post("/api/v1/auth/token", json={"email": "c@clear.example", "password": password}).json()
    client.post("/api/v1/auth/token", json={"email": "c@clear.example", "password": password + "-wrong"})
    key = client.post(
        "/api/v1/tenants/clear-check/api-keys",
        json={"name": "k"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()["key"]
    secrets = [password, password + "-wrong", key, tokens["refresh_token"], tokens["access_token"], settings.jwt_key()]

    logging.getLogger().removeHandler(handler)
    logs = stream.getvalue()
    assert '"event": "request"' in logs  # sanity: access logs were captured
    for secret in secrets:
        assert secret not in logs
    if not db.is_postgres:
        db.dispose()  # checkpoint the WAL into the main file
        blob = b""
        for suffix in ("", "-wal"):
            path = settings.sqlalchemy_url.removeprefix("sqlite:///") + suffix
            if Path(path).exists():
                blob += Path(path).read_bytes()
        assert b"c@clear.example" in blob  # sanity: we are reading the right file
        for secret in secrets:
            assert secret.encode() not in blob
