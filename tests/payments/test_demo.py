"""The demo tenant's gateway account on the built-in simulator, and the simulator's webhooks pointed at it."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select
from tests.factories import make_tenant

from creditdesk.config import Settings
from creditdesk.payments import demo
from creditdesk.payments.service import find_settings
from creditdesk.payments.simulator import SANDBOX_KEY_ID, mount_simulator
from creditdesk.payments.simulator.app import build_router
from creditdesk.tenancy.models import Tenant


def test_the_demo_tenant_gets_the_simulator_and_follows_the_port(session, settings):
    make_tenant(session, settings.demo_tenant_slug)
    session.commit()
    moved = settings.model_copy(update={"public_base_url": "http://localhost:9123"})
    demo.seed_payments(session, settings)
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one()
    record = find_settings(session, tenant_id=tenant.id)
    assert record is not None and record.base_url == "http://127.0.0.1:8000/simulators/payments"
    assert record.key_id == SANDBOX_KEY_ID and set(record.secrets) == {"key_secret", "webhook_secret"}
    demo.seed_payments(session, moved)
    assert record.base_url == "http://localhost:9123/simulators/payments"
    record.base_url = "https://gateway.example/v1"
    demo.seed_payments(session, moved)
    assert record.base_url == "https://gateway.example/v1"


def test_without_the_demo_tenant_nothing_is_seeded(session, settings):
    demo.seed_payments(session, settings)
    assert session.execute(select(Tenant)).first() is None


def test_in_demo_mode_the_sandbox_sends_webhooks_to_the_demo_tenant(monkeypatch):
    seen = []
    monkeypatch.setattr("creditdesk.payments.simulator.build_router", lambda sim: seen.append(sim) or build_router(sim))
    mount_simulator(FastAPI(), Settings(mode="demo", public_base_url="http://127.0.0.1:8011"))
    account = seen[0].account(SANDBOX_KEY_ID)
    assert account.setup.webhook_url == "http://127.0.0.1:8011/api/v1/webhooks/payments/demo-nbfc"
    mount_simulator(FastAPI(), Settings(mode="dev"))
    assert seen[1].account(SANDBOX_KEY_ID).setup.webhook_url is None
