"""`creditdesk keys rotate`: every stored secret moves to the active key; the old key can then go."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.bureaus.helpers import put_body
from tests.factories import bearer, make_tenant, make_user
from typer.testing import CliRunner

from creditdesk.bureaus.config import runtime_config
from creditdesk.bureaus.models import BureauConfigRecord
from creditdesk.cli import app as cli
from creditdesk.config import generate_encryption_key, get_settings

SECRETS = {
    "cibil": {"password": "rotation-cibil-password-4411", "api_key": "rotation-cibil-api-key-5522"},
    "crif": {"user_id": "rotation-crif-user-6633", "password": "rotation-crif-password-7744"},
}


@pytest.fixture
def configured(client, session, live_simulators):
    """Two tenants, four secrets stored under the original key."""
    headers = []
    for slug, bureau in (("rota-one", "cibil"), ("rota-two", "crif")):
        tenant = make_tenant(session, slug)
        headers.append((slug, bureau, bearer(make_user(session, tenant, "tenant_admin"))))
    session.commit()
    for slug, bureau, h in headers:
        body = put_body(bureau, live_simulators[0], {"member_id": "M-1", "credentials": SECRETS[bureau]})
        assert client.put(f"/api/v1/tenants/{slug}/bureaus/{bureau}", json=body, headers=h).status_code == 200
    return headers


def stored(db) -> list[BureauConfigRecord]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.execute(select(BureauConfigRecord).order_by(BureauConfigRecord.bureau)).scalars())


def use_keys(monkeypatch, keys: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CREDITDESK_ENCRYPTION_KEYS", keys)
    get_settings.cache_clear()


def test_rotate_re_encrypts_everything_and_the_old_key_can_be_removed(client, db, settings, configured, monkeypatch):
    old = settings.encryption_keys.get_secret_value()
    old_kid = old.split(":", 1)[0]
    new = generate_encryption_key("k2")
    assert all(t.startswith(f"v1:{old_kid}:") for r in stored(db) for t in r.secrets.values())

    use_keys(monkeypatch, f"{new},{old}")
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 4 secret(s) under key k2; 0 already current; 0 failed" in result.output
    again = CliRunner().invoke(cli, ["keys", "rotate"])
    assert "re-encrypted 0 secret(s) under key k2; 4 already current" in again.output

    use_keys(monkeypatch, new)  # the old key is gone
    records = stored(db)
    assert all(t.startswith("v1:k2:") for r in records for t in r.secrets.values())
    for record in records:
        config = runtime_config(record, settings=get_settings())
        assert {name: config.secret(name) for name in SECRETS[record.bureau]} == SECRETS[record.bureau]
    for slug, bureau, h in configured:
        item = next(
            i for i in client.get(f"/api/v1/tenants/{slug}/bureaus", headers=h).json()["items"] if i["bureau"] == bureau
        )
        assert item["credentials"] == {name: "••••••" + value[-4:] for name, value in SECRETS[bureau].items()}
    get_settings.cache_clear()


def test_secrets_under_a_removed_key_are_reported_not_lost_silently(client, db, settings, configured, monkeypatch):
    use_keys(monkeypatch, generate_encryption_key("k9"))  # the original key was dropped before rotating
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 1
    assert "re-encrypted 0 secret(s) under key k9; 0 already current; 4 failed" in result.output
    slug, bureau, h = configured[0]
    check = client.post(f"/api/v1/tenants/{slug}/bureaus/{bureau}/test", headers=h).json()
    assert check["ok"] is False and "cannot be decrypted" in check["error"]
    listed = client.get(f"/api/v1/tenants/{slug}/bureaus", headers=h).json()["items"][0]["credentials"]
    assert listed == {"password": "••••••", "api_key": "••••••"}  # a value exists; nothing of it is shown
    get_settings.cache_clear()
