"""The WhatsApp Cloud API simulator over real HTTP with the connector: templates, the 24-hour window,
webhooks in the Cloud API's shape verified by X-Hub-Signature-256, replies, refusals and faults."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.channels.conftest import Live

from creditdesk.channels.providers import (
    REENGAGEMENT_ERROR,
    WHATSAPP_SIGNATURE_HEADER,
    ChannelAuthError,
    ChannelRejected,
    ChannelSignatureInvalid,
    ChannelUnavailable,
    Inbound,
    Receipt,
    WhatsAppTemplate,
    WhatsAppText,
    parse_whatsapp_webhook,
    receipt_advances,
)
from creditdesk.channels.simulator import build_channel_simulator_app
from creditdesk.channels.simulator.whatsapp import (
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_APP_SECRET,
    SANDBOX_PHONE_NUMBER_ID,
    SANDBOX_WABA_ID,
)

SECRET = SANDBOX_APP_SECRET
REMINDER = WhatsAppTemplate("emi_reminder", "hi", body_params=("आशा", "₹4,500", "05-08-2025"))


def _events(live: Live, count: int) -> list[Receipt | Inbound]:
    """The first ``count`` distinct webhooks' events: a callback the simulator had to send again (its answer
    timed out on a busy machine) arrives twice with the same body, as a provider's retry does."""
    found: list[Receipt | Inbound] = []
    deadline = time.monotonic() + 10
    while True:
        distinct = list(dict.fromkeys(hook.body for hook in live.received.of("whatsapp")))
        if len(distinct) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(distinct) >= count, f"expected {count} webhooks, got {len(distinct)}"
    signature = {hook.body: hook.headers[WHATSAPP_SIGNATURE_HEADER.lower()] for hook in live.received.of("whatsapp")}
    for body in distinct[:count]:
        found.extend(parse_whatsapp_webhook(body, signature[body], SECRET))
    return found


def _account(live: Live):  # type: ignore[no-untyped-def]
    return live.sims.whatsapp.accounts[SANDBOX_PHONE_NUMBER_ID]


def _inbound(live: Live, **body: object) -> httpx.Response:
    url = f"{live.base('whatsapp')}/apps/{SANDBOX_PHONE_NUMBER_ID}/inbound"
    return httpx.post(url, json={"from": "+919876543210", "text": "ठीक है", **body})


def test_a_template_goes_any_time_and_its_statuses_come_as_signed_webhooks(live: Live) -> None:
    sent = live.whatsapp().send(to="+919876543210", message=REMINDER, reference="wa-1")
    assert sent.channel == "whatsapp" and sent.provider_message_id.startswith("wamid.") and sent.status == "queued"
    receipts = _events(live, 3)
    assert [(r.status, r.provider_message_id) for r in receipts if isinstance(r, Receipt)] == [
        ("sent", sent.provider_message_id),
        ("delivered", sent.provider_message_id),
        ("read", sent.provider_message_id),
    ]
    first = receipts[0]
    assert isinstance(first, Receipt) and first.reference == "wa-1" and first.recipient == "+919876543210"
    payload = json.loads(live.received.of("whatsapp")[0].body)
    assert payload["object"] == "whatsapp_business_account" and payload["entry"][0]["id"] == SANDBOX_WABA_ID
    change = payload["entry"][0]["changes"][0]
    assert change["field"] == "messages" and change["value"]["metadata"]["phone_number_id"] == SANDBOX_PHONE_NUMBER_ID
    status = change["value"]["statuses"][0]
    assert status["pricing"]["category"] == "utility" and status["conversation"]["origin"]["type"] == "utility"
    message = _account(live).messages[sent.provider_message_id]
    assert message["template"]["components"][0]["parameters"][1]["text"] == "₹4,500"


def test_the_raw_answer_is_the_cloud_apis(live: Live) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": "919876543210",
        "type": "template",
        "template": {"name": "emi_reminder", "language": {"code": "en"}},
    }
    url = f"{live.base('whatsapp')}/v21.0/{SANDBOX_PHONE_NUMBER_ID}/messages"
    r = httpx.post(url, json=body, headers={"Authorization": f"Bearer {SANDBOX_ACCESS_TOKEN}"})
    assert r.status_code == 200
    answer = r.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "919876543210", "wa_id": "919876543210"}]
    assert answer["messages"][0]["id"].startswith("wamid.") and answer["messages"][0]["message_status"] == "accepted"


def test_free_form_text_only_inside_the_24_hour_window(live: Live) -> None:
    wa = live.whatsapp()
    outside = wa.send(to="+919876543210", message=WhatsAppText("Please call us back"), reference="text-1")
    failed = _events(live, 1)[0]
    assert isinstance(failed, Receipt) and failed.provider_message_id == outside.provider_message_id
    assert (failed.status, failed.error_code) == ("failed", REENGAGEMENT_ERROR) and "24 hours" in (failed.error or "")
    # the borrower writes: the window opens, and the reply reaches us as an inbound message
    reply = _inbound(live, text="मैं कल भुगतान करूँगा", name="Asha")
    assert reply.status_code == 201
    inbound = _events(live, 2)[1]
    assert isinstance(inbound, Inbound)
    assert (inbound.sender, inbound.text, inbound.kind) == ("+919876543210", "मैं कल भुगतान करूँगा", "text")
    assert inbound.provider_message_id == reply.json()["id"]
    inside = wa.send(to="+919876543210", message=WhatsAppText("Thank you, Asha"), reference="text-2")
    statuses = [r.status for r in _events(live, 5)[2:] if isinstance(r, Receipt)]
    assert statuses == ["sent", "delivered", "read"]
    assert _account(live).messages[inside.provider_message_id]["status"] == "read"


def test_a_reply_older_than_24_hours_does_not_open_the_window(live: Live) -> None:
    assert _inbound(live, at=time.time() - 25 * 3600, text="old").status_code == 201
    wa = live.whatsapp()
    wa.send(to="+919876543210", message=WhatsAppText("Hello"), reference="late")
    events = _events(live, 2)  # the reply and the receipt, in whichever order their callbacks arrived
    (late,) = [e for e in events if isinstance(e, Receipt)]
    assert late.status == "failed" and late.error_code == "131047"
    wa.send(to="+919876543210", message=REMINDER, reference="late-template")  # a template still goes
    assert [r.status for r in _events(live, 5)[2:] if isinstance(r, Receipt)] == ["sent", "delivered", "read"]


def test_a_button_reply_names_the_message_it_answers(live: Live) -> None:
    sent = live.whatsapp().send(to="+919876543212", message=REMINDER, reference="btn")
    _events(live, 3)
    assert (
        _inbound(
            live,
            **{
                "from": "+919876543212",
                "text": "Paid",
                "button_payload": "already_paid",
                "reply_to": sent.provider_message_id,
            },
        ).status_code
        == 201
    )
    reply = _events(live, 4)[3]
    assert isinstance(reply, Inbound) and reply.kind == "button"
    assert (reply.button_payload, reply.text, reply.in_reply_to) == ("already_paid", "Paid", sent.provider_message_id)


@pytest.mark.parametrize(
    ("number", "statuses"),
    [("+919876543217", ["failed"]), ("+919876543218", ["sent", "delivered"]), ("+919876543219", ["sent"])],
)
def test_the_per_number_rules(live: Live, number: str, statuses: list[str]) -> None:
    live.whatsapp().send(to=number, message=REMINDER, reference=f"rule-{number}")
    receipts = [r for r in _events(live, len(statuses)) if isinstance(r, Receipt)]
    assert [r.status for r in receipts] == statuses
    if statuses == ["failed"]:
        assert receipts[0].error_code == "131026" and receipts[0].error == "Message Undeliverable."


def test_the_same_reference_never_makes_a_second_message(live: Live) -> None:
    wa = live.whatsapp()
    first = wa.send(to="+919876543210", message=REMINDER, reference="same")
    again = wa.send(to="+919876543210", message=REMINDER, reference="same")
    assert first.provider_message_id == again.provider_message_id and len(_account(live).messages) == 1
    with pytest.raises(ChannelRejected, match="already used"):
        wa.send(to="+919876543210", message=WhatsAppTemplate("other", "hi"), reference="same")
    _events(live, 3)
    assert len(live.received.of("whatsapp")) == 3


def test_a_bad_signature_is_refused(live: Live) -> None:
    live.whatsapp().send(to="+919876543210", message=REMINDER, reference="sig")
    hook = live.received.wait_for("whatsapp", 1)[0]
    signature = hook.headers["x-hub-signature-256"]
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    with pytest.raises(ChannelSignatureInvalid):
        parse_whatsapp_webhook(hook.body, signature, "another-app-secret")
    with pytest.raises(ChannelSignatureInvalid):
        parse_whatsapp_webhook(hook.body.replace(b'"sent"', b'"read"'), signature, SECRET)
    with pytest.raises(ChannelSignatureInvalid):
        parse_whatsapp_webhook(hook.body, "", SECRET)


def test_refusals_in_the_graph_error_shape(live: Live) -> None:
    base = live.base("whatsapp")
    url = f"{base}/v21.0/{SANDBOX_PHONE_NUMBER_ID}/messages"
    bearer = {"Authorization": f"Bearer {SANDBOX_ACCESS_TOKEN}"}
    good = {"messaging_product": "whatsapp", "to": "+919876543210", "type": "text", "text": {"body": "hi"}}
    bad_bodies = [
        {**good, "messaging_product": "sms"},
        {**good, "recipient_type": "group"},
        {**good, "to": "12"},
        {**good, "text": {"body": ""}},
        {**good, "type": "image"},
        {**good, "type": "template", "template": "x"},
        {**good, "type": "template", "template": {"name": "Bad Name", "language": {"code": "hi"}}},
        {**good, "type": "template", "template": {"name": "ok", "language": "hi"}},
        {**good, "type": "template", "template": {"name": "ok", "language": {"code": "hi"}, "components": "x"}},
        {
            **good,
            "type": "template",
            "template": {"name": "ok", "language": {"code": "hi"}, "components": [{"type": "x"}]},
        },
        {
            **good,
            "type": "template",
            "template": {
                "name": "ok",
                "language": {"code": "hi"},
                "components": [{"type": "body", "parameters": [{"type": "image"}]}],
            },
        },
        {**good, "biz_opaque_callback_data": ""},
    ]
    for body in bad_bodies:
        r = httpx.post(url, json=body, headers=bearer)
        assert r.status_code == 400, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == 100 and error["type"] == "OAuthException" and error["fbtrace_id"]
    assert httpx.post(url, content=b"{", headers=bearer).status_code == 400
    assert httpx.post(url, json=[1], headers=bearer).status_code == 400
    r = httpx.post(url, json=good, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == 190
    r = httpx.post(f"{base}/v21.0/999/messages", json=good, headers=bearer)
    assert r.status_code == 400 and r.json()["error"]["type"] == "GraphMethodException"
    assert httpx.post(f"{base}/latest/{SANDBOX_PHONE_NUMBER_ID}/messages", json=good, headers=bearer).status_code == 400
    with pytest.raises(ChannelAuthError) as refused:
        live.whatsapp(access_token="EAAwrong-token").send(to="+919876543210", message=REMINDER, reference="x")
    assert refused.value.provider_code == "190"
    with pytest.raises(ChannelRejected) as unknown:
        live.whatsapp(phone_number_id="999").send(to="+919876543210", message=REMINDER, reference="y")
    assert unknown.value.provider_code == "100"


def test_registered_templates_are_checked(live: Live) -> None:
    setup = {
        "access_token": SANDBOX_ACCESS_TOKEN,
        "app_secret": SANDBOX_APP_SECRET,
        "webhook_url": live.hook("whatsapp"),
        "templates": {"emi_reminder": {"languages": ["hi", "en"], "body_params": 3}},
    }
    assert httpx.put(f"{live.base('whatsapp')}/apps/{SANDBOX_PHONE_NUMBER_ID}", json=setup).is_success
    wa = live.whatsapp()
    assert wa.send(to="+919876543210", message=REMINDER, reference="ok").provider_message_id
    with pytest.raises(ChannelRejected) as missing:
        wa.send(to="+919876543210", message=WhatsAppTemplate("emi_reminder", "ta", ("a", "b", "c")), reference="ta")
    assert missing.value.provider_code == "132001" and "does not exist in ta" in str(missing.value)
    with pytest.raises(ChannelRejected) as wrong:
        wa.send(to="+919876543210", message=WhatsAppTemplate("emi_reminder", "hi", ("only one",)), reference="n")
    assert wrong.value.provider_code == "132000"


def test_faults(live: Live) -> None:
    live.faults("whatsapp", fail_next=1)
    first = live.whatsapp().send(to="+919876543210", message=REMINDER, reference="f-1")
    assert len(_account(live).messages) == 1
    live.faults("whatsapp", timeout_next=1, hang_ms=1500)
    again = live.whatsapp(timeout_s=0.5).send(to="+919876543211", message=REMINDER, reference="f-2")
    assert len(_account(live).messages) == 2 and first.provider_message_id != again.provider_message_id
    live.faults("whatsapp", error_rate=1.0, error_status=500)
    with pytest.raises(ChannelUnavailable):
        live.whatsapp(attempts=2).send(to="+919876543210", message=REMINDER, reference="f-3")
    url = f"{live.base('whatsapp')}/v21.0/{SANDBOX_PHONE_NUMBER_ID}/messages"
    r = httpx.post(url, json={}, headers={"Authorization": f"Bearer {SANDBOX_ACCESS_TOKEN}"})
    assert r.status_code == 500 and r.json()["error"]["is_transient"] is True
    live.faults("whatsapp", receipt_duplicates=2, receipt_order="shuffle")
    dup = live.whatsapp().send(to="+919876543213", message=REMINDER, reference="f-4")
    hooks = live.received.wait_for("whatsapp", 6 + 6)
    receipts = [
        r
        for h in hooks
        for r in parse_whatsapp_webhook(h.body, h.headers["x-hub-signature-256"], SECRET)
        if isinstance(r, Receipt) and r.provider_message_id == dup.provider_message_id
    ]
    assert sorted(r.status for r in receipts) == ["delivered", "delivered", "read", "read", "sent", "sent"]
    status = None
    for receipt in receipts:
        if receipt_advances(status, receipt.status):
            status = receipt.status
    assert status == "read"


def test_control_routes() -> None:
    with TestClient(build_channel_simulator_app()) as client:
        kit = client.get("/simulators/whatsapp/sandbox-credentials").json()
        assert kit["phone_number_id"] == SANDBOX_PHONE_NUMBER_ID and kit["base_url"].endswith("/simulators/whatsapp")
        setup = {"access_token": "EAA-another-token", "app_secret": "another-secret"}
        assert client.put("/simulators/whatsapp/apps/not-digits", json=setup).status_code == 422
        assert client.put("/simulators/whatsapp/apps/555", json=setup).status_code == 200
        assert client.get("/simulators/whatsapp/apps/555/messages").json()["count"] == 0
        assert client.get("/simulators/whatsapp/apps/556/messages").status_code == 404
        assert (
            client.post(
                "/simulators/whatsapp/apps/556/inbound", json={"from": "+919876543210", "text": "x"}
            ).status_code
            == 404
        )
        reply = client.post("/simulators/whatsapp/apps/555/inbound", json={"from": "+919876543210", "text": "x"})
        assert reply.status_code == 201 and reply.json()["webhook_url"] is None
        assert client.get("/simulators/whatsapp/apps/555/faults").json()["receipt_order"] == "in_order"
        assert client.get("/simulators/whatsapp/apps/555/deliveries").json() == {"count": 0, "items": []}
