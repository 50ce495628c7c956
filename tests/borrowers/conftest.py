"""Borrowers of two lenders with loans, the whole app over real HTTP, and codes read off the texts it sends.

The first lender has an approved OTP template on SMS and its SMS account on the app's own simulator, so a
code asked for goes out through the queue like in production; a test reads it from the simulated gateway's
list of texts (``Codes``). Codes are never read from the database: only their hashes are there.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tests.factories import bearer, make_tenant, make_user
from tests.payments.conftest import running

from creditdesk.audit.service import SystemActor
from creditdesk.channels import service as channels
from creditdesk.channels.schemas import TemplateCreate
from creditdesk.channels.simulator import sms as sms_sim
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.tenancy.models import Tenant

ASHA = "+919812345670"
RAVI = "9876501234"
MEENA = "919900011122"  # a customer of the other lender (stored without the +)
NOBODY = "+919000000001"  # no lender's customer
DLT = "1107161234567890123"
SIGN_IN_TEXT = "{{otp}} is your sign-in code for Sahyadri Finance. It works once, for 5 minutes. Never share it."


@dataclass
class Borrower:
    tenant: Tenant
    phone: str
    customer_id: str
    loan_id: str


@dataclass
class Codes:
    """The codes in the texts the simulated SMS gateway was given, in order."""

    url: str
    texts: list[dict[str, Any]] = field(default_factory=list)

    def _sent(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = httpx.get(self.url).json()["items"]
        return items

    def next(self, timeout_s: float = 30) -> str:
        """The code in the next text the gateway gets (once the worker has sent it)."""
        deadline = time.monotonic() + timeout_s
        while len(sent := self._sent()) <= len(self.texts):
            assert time.monotonic() < deadline, "no new text reached the SMS gateway"
            time.sleep(0.05)
        self.texts.append(sent[len(self.texts)])
        return code_in(self.texts[-1])

    def count(self) -> int:
        """How many texts the gateway got so far."""
        return len(self._sent())


def code_in(text: dict[str, Any]) -> str:
    body = next(str(v) for k, v in text.items() if k.lower() in ("body", "text"))
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1)


def disburse(session, tenant: Tenant, phone: str | None, *, disbursed_on: date, name: str = "Borrower") -> Any:
    """A loan of ₹1,20,000 at 14 % over 12 months to a new customer with ``phone``."""
    spec = portfolio.LoanSpec(
        principal=Decimal(120000),
        annual_rate_pct=Decimal(14),
        tenure_months=12,
        disbursed_on=disbursed_on,
        customer=CustomerIn(name=name, phone=phone),
    )
    return portfolio.disburse(session, tenant_id=tenant.id, spec=spec)


@pytest.fixture
def live_app(app: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The whole app (API, worker, simulators) over real HTTP; code requests answered without the floor
    (the enumeration test puts it back)."""
    monkeypatch.setattr(settings, "borrower_otp_min_response_ms", 0)
    with running(app) as base:
        monkeypatch.setattr(settings, "public_base_url", base)
        yield base


@pytest.fixture
def client(live_app: str) -> Iterator[httpx.Client]:
    """An HTTP client of the live app (these tests never use the in-process test client)."""
    with httpx.Client(base_url=live_app, timeout=60) as http:
        yield http


def _sends_codes_by_sms(session: Any, tenant: Tenant, live_app: str) -> str:
    """Give ``tenant`` an approved OTP template on SMS and its SMS account on the simulator; the URL of the
    simulated gateway's list of texts."""
    admin, analyst = make_user(session, tenant, "tenant_admin"), make_user(session, tenant, "risk_analyst")
    template = {
        "name": "sign_in_code",
        "channel": "sms",
        "purpose": "otp",
        "language": "en",
        "tone": "formal",
        "body": SIGN_IN_TEXT,
        "variables": {"otp": {"type": "otp", "max_length": 8}},
        "dlt_template_id": DLT,
    }
    draft = channels.create_template(
        session,
        tenant=tenant,
        data=TemplateCreate.model_validate(template),
        actor=SystemActor(actor_type="user", id=analyst.id, email=analyst.email),
    )
    approver = SystemActor(actor_type="user", id=admin.id, email=admin.email)
    channels.approve_template(session, tenant=tenant, template_id=draft.id, actor=approver)
    session.commit()
    sim = f"{live_app}/simulators/sms"
    account = {
        "base_url": sim,
        "account_sid": sms_sim.SANDBOX_SID,
        "api_key": sms_sim.SANDBOX_API_KEY,
        "api_token": sms_sim.SANDBOX_API_TOKEN,
        "webhook_secret": sms_sim.SANDBOX_WEBHOOK_SECRET,
        "sender": "SAHYFN",
        "entity_id": "1201159543060917386",
        "unit_cost": "0.18",
    }
    r = httpx.put(f"{live_app}/api/v1/tenants/{tenant.slug}/channels/sms", json=account, headers=bearer(admin))
    assert r.status_code == 200, r.text
    setup = {
        "api_key": sms_sim.SANDBOX_API_KEY,
        "api_token": sms_sim.SANDBOX_API_TOKEN,
        "webhook_secret": sms_sim.SANDBOX_WEBHOOK_SECRET,
        "inbound_url": f"{live_app}/api/v1/webhooks/channels/{tenant.slug}/sms",
    }
    assert httpx.put(f"{sim}/accounts/{sms_sim.SANDBOX_SID}", json=setup).is_success
    return f"{sim}/accounts/{sms_sim.SANDBOX_SID}/messages"


@pytest.fixture
def lenders(session: Any, live_app: str) -> dict[str, Borrower]:
    """Asha and Ravi borrow from Sahyadri Finance (which sends codes by SMS), Meena from Kaveri Credit."""
    bank, other = make_tenant(session, "sahyadri-finance"), make_tenant(session, "kaveri-credit")
    asha = disburse(session, bank, ASHA, disbursed_on=date(2026, 6, 10), name="Asha Kulkarni")
    ravi = disburse(session, bank, RAVI, disbursed_on=date(2025, 3, 5), name="Ravi Shetty")
    meena = disburse(session, other, MEENA, disbursed_on=date(2026, 1, 20), name="Meena Iyer")
    session.commit()
    return {
        "asha": Borrower(bank, ASHA, asha.customer_id, asha.id),
        "ravi": Borrower(bank, RAVI, ravi.customer_id, ravi.id),
        "meena": Borrower(other, MEENA, meena.customer_id, meena.id),
    }


@pytest.fixture
def codes(session: Any, live_app: str, lenders: dict[str, Borrower]) -> Codes:
    """The codes Sahyadri Finance's borrowers receive."""
    return Codes(_sends_codes_by_sms(session, lenders["asha"].tenant, live_app))


def ask(client, tenant: str, phone: str, **extra: Any):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/borrower-auth/otp", json={"tenant": tenant, "phone": phone, **extra})


def check(client, tenant: str, phone: str, code: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/borrower-auth/verify", json={"tenant": tenant, "phone": phone, "code": code})


def sign_in(client, codes: Codes, borrower: Borrower) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Ask for a code, read it off the text and sign in with it; the token pair."""
    assert ask(client, borrower.tenant.slug, borrower.phone).status_code == 202
    r = check(client, borrower.tenant.slug, borrower.phone, codes.next())
    assert r.status_code == 200, r.text
    return r.json()


def as_borrower(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}
