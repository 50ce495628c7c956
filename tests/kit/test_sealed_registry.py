"""The registry of encrypted columns (kit.crypto): complete, and `creditdesk keys rotate` re-seals all of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select, type_coerce
from sqlalchemy.orm import Session
from tests.factories import bearer, make_tenant, make_user
from tests.test_secrets_at_rest import CUSTOMER, GUARANTOR, SINGLE, _applicant
from typer.testing import CliRunner

from creditdesk import models_registry
from creditdesk.audit import service as audit
from creditdesk.bureaus.config import update_config
from creditdesk.bureaus.schemas_api import BureauConfigUpdate
from creditdesk.channels import accounts
from creditdesk.channels.demo import sandbox_accounts
from creditdesk.channels.models import InboundMessage, Message
from creditdesk.channels.schemas import ChannelSettingsUpdate
from creditdesk.cli import app as cli
from creditdesk.config import generate_encryption_key, get_settings
from creditdesk.db import set_tenant_scope
from creditdesk.kit.crypto import DecryptionError, Sealed, SealedField, SecretBox, is_ciphertext, sealed_fields
from creditdesk.monitoring.dashboards import put_embed_config
from creditdesk.monitoring.schemas import EmbedConfigIn
from creditdesk.payments import service as payments
from creditdesk.payments.schemas import GatewaySettingsUpdate
from creditdesk.portfolio.models import Customer
from creditdesk.scoring.models import Batch, BatchRow
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned
from creditdesk.webhooks import service as webhooks
from creditdesk.webhooks.schemas import WebhookCreate

#: The naming convention of columns that hold ciphertexts (see the kit.crypto module docstring).
ENCRYPTED_NAME = re.compile(r"^(secrets|identity)$|_ciphertext$|sealed|encrypted")


def _registered() -> set[str]:
    return {f.name for f in sealed_fields()}


def test_every_encrypted_column_is_registered_for_rotation() -> None:
    """A column of the Sealed type or named like an encrypted one must be registered in kit.crypto."""
    looks_encrypted = {
        f"{table.name}.{column.name}"
        for table in models_registry.Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Sealed) or ENCRYPTED_NAME.search(column.name)
    }
    assert looks_encrypted, "sanity: the metadata was read"
    unregistered = looks_encrypted - _registered()
    assert not unregistered, (
        f"encrypted columns not registered with kit.crypto.sealed_field (keys rotate would skip them): {unregistered}"
    )
    stale = _registered() - {
        f"{t.name}.{c.name}" for t in models_registry.Base.metadata.sorted_tables for c in t.columns
    }
    assert not stale, f"registered columns that do not exist: {stale}"


# -- rotation --------------------------------------------------------------------------------------------

BUREAU_SECRETS = {"password": "registry-cibil-password-1177", "api_key": "registry-cibil-api-key-2288"}
POWERBI_SECRET = "registry-powerbi-client-secret-3399"


def _seed_secrets(session: Session, tenant: Tenant, actor: Any) -> None:
    """A bureau configuration, a webhook, a Power BI embedding, a payment gateway and a batch row, all sealed."""
    body = {"endpoint_url": "http://127.0.0.1:9/simulators/cibil", "member_id": "M-1", "credentials": BUREAU_SECRETS}
    update_config(session, tenant=tenant, bureau="cibil", data=BureauConfigUpdate.model_validate(body), actor=actor)
    webhook = WebhookCreate.model_validate({"url": "http://127.0.0.1:9/hooks", "events": ["application.decided"]})
    webhooks.create(session, tenant_id=tenant.id, data=webhook, actor=actor)
    embed = {
        "provider": "powerbi",
        "report_id": "r",
        "workspace_id": "w",
        "embed_url": "https://app.powerbi.com/reportEmbed",
        "client_id": "c",
        "directory_id": "d",
        "credentials": {"client_secret": POWERBI_SECRET},
    }
    put_embed_config(session, tenant=tenant, data=EmbedConfigIn.model_validate(embed), actor=actor)
    gateway = {"base_url": "http://127.0.0.1:9/simulators/payments", "key_id": "key_registry"}
    gateway |= {"key_secret": "registry-gateway-key-secret-4400", "webhook_secret": "registry-gateway-hook-5511"}
    payments.update_settings(session, tenant=tenant, data=GatewaySettingsUpdate.model_validate(gateway), actor=actor)
    batch = Batch(tenant_id=tenant.id, job_id="registry-job", filename="rows.csv", format="csv", rows=1)
    session.add(batch)
    session.flush()
    session.add(
        BatchRow(
            batch_id=batch.id, row_number=1, tenant_id=tenant.id, input={"pan": SINGLE[1]}, parse_error="bad", error="x"
        )
    )


def _tokens(session: Session, field: SealedField) -> list[tuple[Any, str | None, str]]:
    return list(field.stored(session))


def _ciphertext_columns(session: Session) -> Iterator[str]:
    """``table.column`` of every stored value (or top-level JSON member) in the ciphertext format."""
    for table in models_registry.Base.metadata.sorted_tables:
        columns = [
            type_coerce(c, c.type.raw_type() if isinstance(c.type, Sealed) else c.type).label(c.name)
            for c in table.columns
            if isinstance(c.type, String | Text | JSON | Sealed)
        ]
        if not columns:
            continue
        for row in session.execute(select(*columns)).mappings():
            for name, value in row.items():
                members = value.values() if isinstance(value, dict) else [value]
                if any(is_ciphertext(v) for v in members):
                    yield f"{table.name}.{name}"


@pytest.fixture
def seeded(client, session, champion):  # type: ignore[no-untyped-def]
    """One stored value of every registered field, under the original key."""
    tenant = make_tenant(session, "registry")
    admin = make_user(session, tenant, "tenant_admin")
    _seed_secrets(session, tenant, audit.SYSTEM)
    session.commit()
    base = f"/api/v1/tenants/{tenant.slug}"
    assert client.post(f"{base}/applications", json=_applicant(*SINGLE), headers=bearer(admin)).status_code == 201
    loan = {
        "customer": {"name": CUSTOMER[0], "pan": CUSTOMER[1]},
        "principal": "1000", "annual_rate_pct": "12", "tenure_months": 6, "disbursed_on": "2025-01-10",
        "guarantors": [{"name": GUARANTOR[0], "pan": GUARANTOR[1], "phone": GUARANTOR[2]}],
    }  # fmt: skip
    assert client.post(f"{base}/portfolio/loans", json=loan, headers=bearer(admin)).status_code == 201
    _seed_channels(session, tenant)
    return tenant


def _seed_channels(session: Session, tenant: Tenant) -> None:
    """An SMS account (sealed secrets), a message (sealed variables) and a reply (sealed text)."""
    sms = ChannelSettingsUpdate.model_validate(sandbox_accounts("http://127.0.0.1:9")["sms"])
    accounts.update_account(session, tenant=tenant, channel="sms", data=sms, actor=audit.SYSTEM)
    customer_id = session.execute(select_owned(Customer, tenant.id).limit(1)).scalar_one().id
    message = Message(
        tenant_id=tenant.id, customer_id=customer_id, channel="sms", purpose="reminder", template_id="t",
        template_name="due", template_version=1, language="en", variables={"customer_name": CUSTOMER[0]},
        status="blocked", blocked_by="contact_window",
    )  # fmt: skip
    session.add(message)
    session.add(
        InboundMessage(
            tenant_id=tenant.id, channel="sms", provider_message_id="in-1", customer_id=customer_id,
            text="I will pay on Friday", intent="promise",
        )
    )  # fmt: skip
    session.commit()


def test_keys_rotate_reseals_every_registered_field(db, settings, seeded, monkeypatch):
    old = settings.encryption_keys.get_secret_value()
    old_kid = old.split(":", 1)[0]
    with db.session() as s:
        set_tenant_scope(s, None)
        before = {f.name: _tokens(s, f) for f in sealed_fields()}
        found = set(_ciphertext_columns(s))
    unseeded = [name for name, tokens in before.items() if not tokens]
    assert not unseeded, f"seed a value of every registered field in this test: {unseeded}"
    assert found <= _registered(), f"ciphertexts stored in unregistered columns: {found - _registered()}"
    assert all(token.startswith(f"v1:{old_kid}:") for tokens in before.values() for _, _, token in tokens)
    total = sum(len(tokens) for tokens in before.values())

    new = generate_encryption_key("k5")
    monkeypatch.setenv("CREDITDESK_ENCRYPTION_KEYS", f"{new},{old}")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert f"re-encrypted {total} secret(s) under key k5; 0 already current; 0 failed" in result.output

    monkeypatch.setenv("CREDITDESK_ENCRYPTION_KEYS", new)  # the old key is retired
    get_settings.cache_clear()
    keyring = dict(get_settings().encryption_keyring())
    only_new = SecretBox([("k5", keyring["k5"])])
    old_only = SecretBox([(old_kid, settings.encryption_keyring()[0][1])])
    with db.session() as s:
        set_tenant_scope(s, None)
        for field in sealed_fields():
            tokens = _tokens(s, field)
            assert len(tokens) == len(before[field.name]), field.name
            for row, key, token in tokens:
                label = field.label(row, key)
                assert token.startswith("v1:k5:"), (field.name, label)
                only_new.decrypt(token, label)  # opens with the new key alone
                with pytest.raises(DecryptionError):
                    old_only.decrypt(token, label)
        config = next(
            r for r, _, _ in _tokens(s, next(f for f in sealed_fields() if f.name == "bureau_config.secrets"))
        )
        assert {
            name: only_new.decrypt(t, f"{config.tenant_id}/cibil/{name}") for name, t in config.secrets.items()
        } == (BUREAU_SECRETS)
    get_settings.cache_clear()
