"""The message log end to end over real HTTP: a lender's accounts on the app's own simulators (and a local
SMTP server), approved templates, sends through the contact policy and the queue, receipts and replies
coming back by signed webhook (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from email.header import decode_header, make_header
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.factories import bearer, make_tenant, make_user
from tests.payments.conftest import running

from creditdesk.audit.service import SYSTEM, SystemActor
from creditdesk.channels import messaging
from creditdesk.channels import service as channels
from creditdesk.channels.demo import sandbox_accounts
from creditdesk.channels.mail import LocalSmtpServer
from creditdesk.channels.models import InboundMessage, Message, MessageTemplate
from creditdesk.channels.providers import Receipt, SendResult
from creditdesk.channels.schemas import (
    ConsentCreate,
    ContactPolicyUpdate,
    MessageCreate,
    OptOut,
    TemplateCreate,
)
from creditdesk.channels.simulator import sms as sms_sim
from creditdesk.channels.simulator import voice as voice_sim
from creditdesk.channels.simulator import whatsapp as wa_sim
from creditdesk.channels.starter import load_starter
from creditdesk.db import set_tenant_scope
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.worker.context import JobContext
from creditdesk.worker.models import OutboxEvent

PHONE = "+919876543210"  # last digit 0: delivered (and read on WhatsApp)
DLT = "1107161234567890123"


def _zone_at(hour: int) -> str:
    """A fixed-offset zone where it is now about ``hour`` o'clock (at noon the contact window is open)."""
    offset = (hour - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def actor(user: Any) -> SystemActor:
    """A user as the services record them."""
    return SystemActor(actor_type="user", id=user.id, email=user.email)


def _template(session: Any, tenant: Any, author: Any, approver: Any, **fields: Any) -> str:
    data = TemplateCreate.model_validate(
        {
            "name": fields.pop("name"),
            "channel": fields.pop("channel"),
            "purpose": fields.pop("purpose", "reminder"),
            "language": fields.pop("language", "en"),
            "tone": "formal",
            **fields,
        }
    )
    draft = channels.create_template(session, tenant=tenant, data=data, actor=actor(author))
    return channels.approve_template(session, tenant=tenant, template_id=draft.id, actor=actor(approver)).id


REMINDER_VARS = {"customer_name": {"type": "text", "max_length": 30}, "amount": {"type": "amount", "max_length": 20}}
REMINDER = "Dear {{customer_name}}, your EMI of {{amount}} is due. Pay to stay on track."


@pytest.fixture
def live_app(app: Any) -> Iterator[str]:
    """The whole app (the API, its worker and, in dev mode, the simulators) over real HTTP."""
    with running(app) as base:
        yield base


@pytest.fixture
def desk(session: Any, live_app: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A lender with a borrower's loan, approved templates and all four channels on local providers."""
    monkeypatch.setattr(settings, "public_base_url", live_app)
    tenant = make_tenant(session)
    tenant.timezone = _zone_at(12)
    admin = make_user(session, tenant, "tenant_admin")
    analyst = make_user(session, tenant, "risk_analyst")
    spec = portfolio.LoanSpec(
        principal=Decimal(100000),
        annual_rate_pct=Decimal(12),
        tenure_months=12,
        disbursed_on=date(2025, 1, 10),
        customer=CustomerIn(name="Asha Rao", phone=PHONE, email="asha@example.in"),
    )
    loan = portfolio.disburse(session, tenant_id=tenant.id, spec=spec)
    ids = {
        "sms": _template(
            session,
            tenant,
            analyst,
            admin,
            name="due",
            channel="sms",
            body=REMINDER,
            variables=REMINDER_VARS,
            dlt_template_id=DLT,
        ),
        "whatsapp": _template(
            session,
            tenant,
            analyst,
            admin,
            name="due_wa",
            channel="whatsapp",
            body=REMINDER,
            variables=REMINDER_VARS,
            whatsapp_category="utility",
        ),
        "collections_wa": _template(
            session,
            tenant,
            analyst,
            admin,
            name="overdue_wa",
            channel="whatsapp",
            purpose="collections",
            body=REMINDER,
            variables=REMINDER_VARS,
            whatsapp_category="utility",
        ),
        "email_hi": _template(
            session,
            tenant,
            analyst,
            admin,
            name="due_mail",
            channel="email",
            language="hi",
            subject="{{customer_name}}, आपकी EMI",
            body="प्रिय {{customer_name}}, आपकी EMI {{amount}} देय है।",
            variables=REMINDER_VARS,
        ),
        "voice": _template(
            session, tenant, analyst, admin, name="due_call", channel="voice", body=REMINDER, variables=REMINDER_VARS
        ),
    }
    # WhatsApp carries what the borrower opted in to (a reminder)
    channels.record(
        session,
        tenant=tenant,
        customer_id=loan.customer_id,
        entry=channels_consent("whatsapp", "reminder"),
        actor=SYSTEM,
    )
    session.commit()
    admin_h = bearer(admin)
    api = f"{live_app}/api/v1/tenants/{tenant.slug}"
    hook = f"{live_app}/api/v1/webhooks/channels/{tenant.slug}"
    sim = f"{live_app}/simulators"
    smtp = LocalSmtpServer().start()
    assert smtp._certificate is not None
    mail = {
        "host": smtp.host,
        "port": smtp.port,
        "from_address": "collections@lender.example",
        "tls_ca_pem": smtp._certificate.decode(),
    }
    for channel, body in (*sandbox_accounts(live_app).items(), ("email", mail)):
        r = httpx.put(f"{api}/channels/{channel}", json=body, headers=admin_h)
        assert r.status_code == 200, r.text
    setup = {
        "api_key": sms_sim.SANDBOX_API_KEY,
        "api_token": sms_sim.SANDBOX_API_TOKEN,
        "webhook_secret": sms_sim.SANDBOX_WEBHOOK_SECRET,
        "inbound_url": f"{hook}/sms",
    }
    assert httpx.put(f"{sim}/sms/accounts/{sms_sim.SANDBOX_SID}", json=setup).is_success
    app_setup = {
        "access_token": wa_sim.SANDBOX_ACCESS_TOKEN,
        "app_secret": wa_sim.SANDBOX_APP_SECRET,
        "webhook_url": f"{hook}/whatsapp",
    }
    assert httpx.put(f"{sim}/whatsapp/apps/{wa_sim.SANDBOX_PHONE_NUMBER_ID}", json=app_setup).is_success
    yield {
        "tenant": tenant, "admin": admin, "analyst": analyst, "loan": loan, "api": api, "sim": sim,
        "templates": ids, "smtp": smtp, "base": live_app,
        # read once: touching an expired ORM object later opens a transaction (on SQLite, the write lock)
        "admin_h": bearer(admin), "analyst_h": bearer(analyst), "loan_id": loan.id, "customer_id": loan.customer_id,
        "tenant_id": tenant.id,
    }  # fmt: skip
    smtp.stop()


def channels_consent(channel: str, purpose: str) -> Any:
    return ConsentCreate.model_validate(
        {"channel": channel, "purpose": purpose, "action": "granted", "source": "portal", "evidence": "signed form"}
    )


def _send(desk: Any, channel: str, template: str, key: str | None = None, **extra: Any) -> httpx.Response:
    body = {
        "loan_id": desk["loan_id"],
        "channel": channel,
        "template": desk["templates"][template],
        "variables": {"customer_name": "Asha", "amount": "12345.50"},
        **extra,
    }
    headers = {**desk["analyst_h"], "Idempotency-Key": key or uuid.uuid4().hex}
    return httpx.post(f"{desk['api']}/messages", json=body, headers=headers)


def _wait(desk: Any, message_id: str, status: str, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        found: dict[str, Any] = httpx.get(f"{desk['api']}/messages/{message_id}", headers=desk["admin_h"]).json()
        if found["status"] == status or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_message_goes_out_through_the_queue_and_receipts_move_it_to_read(desk):
    r = _send(desk, "whatsapp", "whatsapp")
    assert r.status_code == 202, r.text
    queued = r.json()
    assert queued["status"] == "queued" and queued["blocked_by"] is None and queued["recipient"] == "XXXXXX3210"
    read = _wait(desk, queued["id"], "read")
    assert read["status"] == "read", read
    steps = [s["status"] for s in read["history"]]
    assert steps[0] == "queued" and steps[-1] == "read" and "delivered" in steps
    assert read["provider_message_id"].startswith("wamid.") and Decimal(read["cost"]) == Decimal("0.11")
    sent = httpx.get(f"{desk['sim']}/whatsapp/apps/{wa_sim.SANDBOX_PHONE_NUMBER_ID}/messages").json()["items"]
    mine = [m for m in sent if m.get("reference") == queued["id"]]
    assert len(mine) == 1
    log = httpx.get(f"{desk['api']}/messages", params={"loan_id": desk["loan_id"]}, headers=desk["admin_h"])
    assert log.status_code == 200 and [m["id"] for m in log.json()["items"]] == [queued["id"]]


def test_an_sms_is_delivered_and_billed_by_its_parts(desk):
    r = _send(desk, "sms", "sms")
    assert r.status_code == 202, r.text
    delivered = _wait(desk, r.json()["id"], "delivered")
    assert delivered["status"] == "delivered" and delivered["segments"] == 1
    assert Decimal(delivered["cost"]) == Decimal("0.18") and delivered["delivered_at"]


def test_a_hindi_email_arrives_over_starttls_with_indian_rupee_formatting(desk):
    r = _send(desk, "email", "email_hi")
    assert r.status_code == 202, r.text
    (mail,) = desk["smtp"].wait_for(1, timeout_s=30)
    body = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert "प्रिय Asha, आपकी EMI ₹12,345.50 देय है।" in body
    assert str(make_header(decode_header(mail.message["Subject"]))) == "Asha, आपकी EMI"
    assert mail.message["To"] == "asha@example.in"
    assert _wait(desk, r.json()["id"], "sent")["status"] == "sent"


def test_a_voice_call_is_placed_once_and_a_key_press_becomes_a_promise(desk, session):
    r = _send(desk, "voice", "voice")
    assert r.status_code == 202, r.text
    done = _wait(desk, r.json()["id"], "delivered")
    assert done["status"] == "delivered", done
    calls = httpx.get(f"{desk['sim']}/voice/accounts/{voice_sim.SANDBOX_SID}/calls").json()["items"]
    assert len([c for c in calls if c.get("CustomField") == r.json()["id"]]) == 1
    # the borrower (number ending 0) pressed 1: a promise to pay, as a reply to the call
    pressed = select(InboundMessage.intent, InboundMessage.in_reply_to).where(
        InboundMessage.tenant_id == desk["tenant_id"], InboundMessage.channel == "voice"
    )
    deadline = time.monotonic() + 20
    while not (found := session.execute(pressed).all()) and time.monotonic() < deadline:
        session.rollback()
        time.sleep(0.05)
    session.rollback()
    assert [(row.intent, row.in_reply_to) for row in found] == [("promise", r.json()["id"])]


def test_a_retried_send_after_a_lost_answer_makes_one_provider_message(desk):
    faults = {"lose_answer_next": 1, "hang_ms": 0}
    assert httpx.put(f"{desk['sim']}/sms/accounts/{sms_sim.SANDBOX_SID}/faults", json=faults).is_success
    r = _send(desk, "sms", "sms")
    assert r.status_code == 202, r.text
    done = _wait(desk, r.json()["id"], "delivered", timeout_s=60)
    assert done["status"] == "delivered", done
    sent = httpx.get(f"{desk['sim']}/sms/accounts/{sms_sim.SANDBOX_SID}/messages").json()["items"]
    assert len([m for m in sent if m.get("CustomField") == r.json()["id"]]) == 1


def test_collections_on_whatsapp_are_blocked_unless_the_tenant_turned_them_on(desk, session):
    r = _send(desk, "whatsapp", "collections_wa")
    assert r.status_code == 202 and r.json()["status"] == "blocked"
    assert r.json()["blocked_by"] == "whatsapp_collections"


def test_a_stop_reply_opts_out_and_a_dated_reply_is_a_promise_event(desk, session):
    r = _send(desk, "sms", "sms")
    assert _wait(desk, r.json()["id"], "delivered")["status"] == "delivered"
    inbound = f"{desk['sim']}/sms/accounts/{sms_sim.SANDBOX_SID}/inbound"
    assert httpx.post(inbound, json={"from": PHONE, "text": "I will pay on 15 December"}).is_success
    assert httpx.post(inbound, json={"from": PHONE, "text": "STOP"}).is_success
    deadline = time.monotonic() + 20
    of_tenant = select(InboundMessage.intent, InboundMessage.promise_date, InboundMessage.in_reply_to).where(
        InboundMessage.tenant_id == desk["tenant_id"]
    )
    while time.monotonic() < deadline:
        replies = {row.intent: row for row in session.execute(of_tenant)}
        session.rollback()  # an open transaction holds SQLite's write lock: let the webhooks in
        if len(replies) == 2:
            break
        time.sleep(0.05)
    assert set(replies) == {"promise", "stop"}
    again = _send(desk, "sms", "sms")
    assert again.json()["status"] == "blocked" and again.json()["blocked_by"] == "opted_out"

    assert replies["promise"].promise_date is not None and replies["promise"].promise_date.month == 12
    assert replies["promise"].in_reply_to == r.json()["id"]
    events = select(OutboxEvent.payload).where(
        OutboxEvent.tenant_id == desk["tenant_id"], OutboxEvent.kind == "message.replied"
    )
    assert {payload["intent"] for payload in session.execute(events).scalars()} == {"promise", "stop"}
    session.rollback()
    consents = httpx.get(f"{desk['api']}/borrowers/{desk['loan'].customer_id}/consents", headers=desk["admin_h"]).json()
    assert "sms" in consents["opted_out"]


def test_the_same_idempotency_key_is_one_message_even_when_sent_at_once(desk, session):
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _send(desk, "sms", "sms", key=key), range(8)))
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    session.expire_all()
    rows = session.execute(select(Message).where(Message.tenant_id == desk["tenant_id"])).scalars().all()
    session.rollback()  # an open transaction holds SQLite's write lock
    assert len(rows) == 1
    other = _send(desk, "whatsapp", "whatsapp", key=key)
    assert other.status_code == 409


def test_concurrent_sends_to_one_borrower_never_pass_the_daily_cap(desk, session):
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _send(desk, "sms", "sms"), range(8)))
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    statuses = sorted(a.json()["status"] for a in answers)
    assert statuses.count("queued") == 3 and statuses.count("blocked") == 5
    assert {a.json()["blocked_by"] for a in answers if a.json()["status"] == "blocked"} == {"daily_cap"}


def test_bad_sends_are_refused_with_the_field_and_other_tenants_get_404(desk, session):
    bad = _send(desk, "sms", "sms", variables={"customer_name": "Asha", "amount": "lots"})
    assert bad.status_code == 422 and "body.variables.amount" in bad.text
    wrong_channel = _send(desk, "whatsapp", "sms")
    assert wrong_channel.status_code == 422 and "body.channel" in wrong_channel.text
    other = make_tenant(session)
    outsider = bearer(make_user(session, other, "tenant_admin"))
    auditor = bearer(make_user(session, desk["tenant"], "auditor"))
    slug = other.slug
    session.commit()
    mine = _send(desk, "sms", "sms").json()["id"]
    base = f"{desk['base']}/api/v1/tenants/{slug}"
    assert httpx.get(f"{base}/messages/{mine}", headers=outsider).status_code == 404
    body = {"loan_id": desk["loan_id"], "channel": "sms", "template": desk["templates"]["sms"], "variables": {}}
    assert httpx.post(f"{base}/messages", json=body, headers={**outsider, "Idempotency-Key": "x1"}).status_code == 404
    denied = httpx.post(f"{desk['api']}/messages", json=body, headers={**auditor, "Idempotency-Key": "x2"})
    assert denied.status_code == 403


def test_an_unapproved_template_is_never_sent(desk, session):
    data = TemplateCreate.model_validate(
        {"name": "draft_only", "channel": "sms", "purpose": "reminder", "language": "en", "body": REMINDER,
         "variables": REMINDER_VARS, "dlt_template_id": DLT}
    )  # fmt: skip
    draft = channels.create_template(session, tenant=desk["tenant"], data=data, actor=actor(desk["analyst"]))
    session.commit()
    desk["templates"]["draft"] = draft.id
    r = _send(desk, "sms", "draft")
    assert r.status_code == 422 and "only an approved template is sent" in r.text


def test_channel_accounts_are_redacted_tested_live_and_refuse_a_bad_secret(desk):
    admin = desk["admin_h"]
    shown = httpx.get(f"{desk['api']}/channels/sms", headers=admin).json()
    assert shown["configured"] and shown["credentials"]["api_token"].endswith("0001")
    assert sms_sim.SANDBOX_API_TOKEN not in str(shown)
    ok = httpx.post(f"{desk['api']}/channels/sms/test", headers=admin).json()
    assert ok["ok"] is True, ok
    assert httpx.post(f"{desk['api']}/channels/whatsapp/test", headers=admin).json()["ok"] is True
    assert httpx.post(f"{desk['api']}/channels/email/test", headers=admin).json()["ok"] is True
    changed = httpx.put(f"{desk['api']}/channels/sms", json={"api_token": "wrong-token-1"}, headers=admin)
    assert changed.status_code == 200
    failed = httpx.post(f"{desk['api']}/channels/sms/test", headers=admin).json()
    assert failed["ok"] is False and "refused" in failed["detail"]
    wrong_field = httpx.put(f"{desk['api']}/channels/email", json={"caller_id": "+918047100300"}, headers=admin)
    assert wrong_field.status_code == 422 and "body.caller_id" in wrong_field.text
    analyst = httpx.put(f"{desk['api']}/channels/sms", json={"sender": "ABCDEF"}, headers=desk["analyst_h"])
    assert analyst.status_code == 403


def test_a_forged_webhook_is_refused(desk):
    url = f"{desk['base']}/api/v1/webhooks/channels/{desk['tenant'].slug}/sms"
    r = httpx.post(url, content=b"SmsSid=x&Status=delivered", headers={"X-Callback-Signature": "sha256=00"})
    assert r.status_code == 401


# -- the gate at a chosen hour (the service, with the instant given) -----------------------------------


def _at(desk: Any, session: Any, hour: int, minute: int = 0, **extra: Any) -> Message:
    tenant = desk["tenant"]
    tenant.timezone = "Asia/Kolkata"
    data = MessageCreate.model_validate(
        {
            "loan_id": desk["loan_id"],
            "channel": "sms",
            "template": desk["templates"]["sms"],
            "variables": {"customer_name": "Asha", "amount": "100"},
            **extra,
        }
    )
    ist = datetime(2026, 11, 30, hour, minute, tzinfo=UTC).replace(tzinfo=None)
    at = datetime.fromisoformat(f"{ist.isoformat()}+05:30").astimezone(UTC)
    return messaging.queue_message(session, tenant=tenant, data=data, actor=actor(desk["analyst"]), now=at)


def test_a_send_at_1905_borrower_local_is_blocked_and_at_1000_goes_out(desk, session):
    late = _at(desk, session, 19, 5)
    assert late.status == "blocked" and late.blocked_by == "contact_window"
    morning = _at(desk, session, 10)
    assert morning.status == "queued" and morning.blocked_by is None


def test_the_fourth_sms_of_a_day_over_a_cap_of_three_is_blocked(desk, session):
    statuses = [_at(desk, session, 10, m).status for m in range(4)]
    assert statuses == ["queued", "queued", "queued", "blocked"]
    assert _at(desk, session, 11).blocked_by == "daily_cap"


def test_an_opted_out_borrower_gets_nothing_on_any_channel(desk, session):
    channels.record(
        session,
        tenant=desk["tenant"],
        customer_id=desk["customer_id"],
        entry=OptOut.model_validate({"channel": "all", "source": "portal", "evidence": "asked on the phone"}),
        actor=actor(desk["admin"]),
    )
    for channel, template in (("sms", "sms"), ("whatsapp", "whatsapp"), ("email", "email_hi"), ("voice", "voice")):
        message = _at(desk, session, 10, channel=channel, template=desk["templates"][template])
        assert message.status == "blocked" and message.blocked_by == "opted_out", channel


def test_whatsapp_collections_go_out_once_the_tenant_turns_them_on(desk, session):
    policy = channels.get_policy(session, tenant=desk["tenant"])
    update = ContactPolicyUpdate.model_validate(
        {
            **policy.model_dump(include=set(ContactPolicyUpdate.model_fields) - {"version"}),
            "whatsapp_collections_enabled": True,
            "acknowledge_whatsapp_collections_warning": True,
        }
    )
    channels.update_policy(session, tenant=desk["tenant"], data=update, actor=actor(desk["admin"]))
    channels.record(
        session,
        tenant=desk["tenant"],
        customer_id=desk["customer_id"],
        entry=channels_consent("whatsapp", "collections"),
        actor=actor(desk["admin"]),
    )
    message = _at(desk, session, 10, channel="whatsapp", template=desk["templates"]["collections_wa"])
    assert message.status == "queued", message.blocked_by


def test_the_borrowers_own_hours_and_a_bereavement_hold_are_honoured(desk, session):
    url = f"{desk['api']}/borrowers/{desk['customer_id']}/contact-preferences"
    assert httpx.get(url, headers=desk["admin_h"]).json()["version"] == 0
    body = {"preferred_windows": [{"start": "17:00", "end": "18:30"}], "holds": [], "version": 0}
    saved = httpx.put(url, json=body, headers=desk["analyst_h"])
    assert saved.status_code == 200 and saved.json()["version"] == 1, saved.text
    stale = httpx.put(url, json=body, headers=desk["analyst_h"])
    assert stale.status_code == 409
    bad = httpx.put(url, json={"preferred_windows": [{"start": "18:00", "end": "17:00"}]}, headers=desk["admin_h"])
    assert bad.status_code == 422 and "preferred_windows" in bad.text
    session.expire_all()
    assert _at(desk, session, 10).blocked_by == "borrower_preference"
    assert _at(desk, session, 17, 30).status == "queued"
    session.rollback()
    hold = {"preferred_windows": [], "holds": [{"kind": "bereavement", "until": "2026-12-10"}], "version": 1}
    assert httpx.put(url, json=hold, headers=desk["analyst_h"]).status_code == 200
    session.expire_all()
    assert _at(desk, session, 10).blocked_by == "hold"


def test_a_queue_that_falls_behind_does_not_send_after_hours(desk, session, db):
    tenant = desk["tenant"]
    tenant.timezone = _zone_at(12)
    data = MessageCreate.model_validate(
        {
            "loan_id": desk["loan_id"],
            "channel": "sms",
            "template": desk["templates"]["sms"],
            "variables": {"customer_name": "Asha", "amount": "100"},
        }
    )
    message = messaging.queue_message(session, tenant=tenant, data=data, actor=actor(desk["analyst"]))
    assert message.status == "queued"
    message_id = message.id
    tenant.timezone = _zone_at(2)  # by the time the job runs it is 02:00 where the borrower is
    session.flush()
    ctx = JobContext(
        job_id="late",
        kind=messaging.SEND_JOB,
        tenant_id=desk["tenant_id"],
        payload={"message_id": message_id},
        attempt=1,
        session=session,
        db=db,
        lease_seconds=60,
    )
    assert messaging.send(ctx) == {"status": "blocked", "blocked_by": "contact_window"}
    read = messaging.get_message(session, tenant=tenant, message_id=message_id)
    session.rollback()
    assert read.status == "blocked" and [s.status for s in read.history] == ["queued", "blocked"]
    assert read.provider_message_id is None


def test_a_sign_in_code_goes_out_on_the_starter_otp_template_at_any_hour(desk, session):
    starter = next(t for t in load_starter() if t.name == "otp_formal_sms_en")
    session.add(
        MessageTemplate(
            tenant_id=desk["tenant_id"],
            name=starter.name,
            channel="sms",
            purpose="otp",
            language="en",
            tone=starter.tone,
            body=starter.body,
            variables=starter.variables_json(),
            dlt_template_id=starter.dlt_template_id,
            status="approved",
        )
    )
    tenant = desk["tenant"]
    tenant.timezone = _zone_at(2)  # 02:00 where the borrower is: a code they asked for still goes
    message_id = messaging.send_otp(session, tenant=tenant, customer_id=desk["customer_id"], code="482913")
    session.commit()
    done = _wait(desk, message_id, "delivered")
    assert done["status"] == "delivered" and done["purpose"] == "otp" and done["initiated_by"] == "borrower", done
    sent = httpx.get(f"{desk['sim']}/sms/accounts/{sms_sim.SANDBOX_SID}/messages").json()["items"]
    (sms,) = [m for m in sent if m.get("CustomField") == message_id]
    assert "482913" in sms["Body"] and "5" in sms["Body"]


def test_the_providers_answer_never_writes_sent_over_a_receipt_that_came_first(desk, session, db):
    message = Message(  # queued, and no job: this test plays the job's part
        tenant_id=desk["tenant_id"], customer_id=desk["customer_id"], channel="sms", purpose="reminder",
        template_id=desk["templates"]["sms"], template_name="due", template_version=1, language="en",
        status="queued", counts_toward_caps=True, recipient_role="borrower", initiated_by="agent", attempts=1,
    )  # fmt: skip
    session.add(message)
    session.flush()
    message_id = message.id
    session.commit()  # the job's checkpoint: the row is read, the provider is being called
    with db.session() as receipts:  # meanwhile the receipt arrives and is applied
        set_tenant_scope(receipts, desk["tenant_id"])
        receipt = Receipt("SM-1", "delivered", datetime.now(UTC), reference=message_id)
        assert messaging.apply_receipt(receipts, tenant_id=desk["tenant_id"], receipt=receipt)
        receipts.commit()
    result = SendResult("sms", "SM-1", "sent", message_id, PHONE, segments=1)
    outcome = messaging._sent(session, desk["tenant_id"], message_id, result, Decimal("0.18"))
    session.commit()
    assert outcome["status"] == "delivered"
    read = messaging.get_message(session, tenant=desk["tenant"], message_id=message_id)
    session.rollback()
    assert read.status == "delivered" and [s.status for s in read.history].count("sent") == 0
