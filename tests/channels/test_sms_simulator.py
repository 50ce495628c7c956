"""The SMS simulator (Exotel-shaped) over real HTTP with the connector: sends, idempotency, receipts and
replies verified by the connector, the per-number rules, DLT scrubbing, refusals and every fault."""

from __future__ import annotations

import time
from types import SimpleNamespace
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.channels.conftest import ENTITY_ID, SENDER, TEMPLATE_ID, Live

from creditdesk.channels.providers import (
    SIGNATURE_HEADER,
    ChannelAuthError,
    ChannelConfigError,
    ChannelRejected,
    ChannelSignatureInvalid,
    ChannelTimeout,
    ChannelUnavailable,
    Inbound,
    Receipt,
    parse_sms_webhook,
    receipt_advances,
)
from creditdesk.channels.simulator import build_channel_simulator_app, mount_simulators
from creditdesk.channels.simulator.sms import SANDBOX_API_KEY, SANDBOX_API_TOKEN, SANDBOX_SID, SANDBOX_WEBHOOK_SECRET

SECRET = SANDBOX_WEBHOOK_SECRET
HINDI = "आशा जी, आपकी किस्त ₹1,23,456 दिनांक 05-08-2025 तक देय है। भुगतान हेतु लिंक पर जाएँ। - CreditDesk NBFC"


def _receipts(live: Live, count: int) -> list[Receipt]:
    found = []
    for hook in live.received.wait_for("sms", count):
        parsed = parse_sms_webhook(hook.body, hook.headers[SIGNATURE_HEADER.lower()], SECRET)
        assert isinstance(parsed, Receipt)
        found.append(parsed)
    return found


def _account(live: Live):  # type: ignore[no-untyped-def]
    return live.sims.sms.accounts[SANDBOX_SID]


def test_a_gsm_sms_is_sent_and_its_receipts_verified(live: Live) -> None:
    gateway = live.sms()
    sent = gateway.send(
        to="98765 43210",
        text="Your EMI of Rs 4,500 is due on 05-08. Pay: https://cd.in/p/x",
        template_id=TEMPLATE_ID,
        reference="msg-1",
    )
    assert sent.channel == "sms" and len(sent.provider_message_id) == 32 and sent.status == "queued"
    assert (sent.encoding, sent.segments, sent.recipient, sent.reference) == ("gsm7", 1, "+919876543210", "msg-1")
    receipts = _receipts(live, 2)
    assert [r.status for r in receipts] == ["sent", "delivered"]
    assert {r.provider_message_id for r in receipts} == {sent.provider_message_id}
    assert receipts[1].reference == "msg-1" and receipts[1].recipient == "+919876543210"
    assert receipts[1].error_code is None and receipts[1].at.tzinfo is not None
    form = parse_qs(live.received.of("sms")[1].body.decode())
    assert form["Status"] == ["delivered"] and form["DetailedStatus"] == ["DELIVERED_TO_HANDSET"]
    message = _account(live).messages[sent.provider_message_id]
    assert message["DltEntityId"] == ENTITY_ID and message["From"] == SENDER and message["DltTemplateId"] == TEMPLATE_ID
    assert message["Status"] == "delivered" and message["SmsType"] == "transactional"


def test_unicode_text_is_sent_as_unicode_and_its_segments_counted(live: Live) -> None:
    sent = live.sms().send(to="+919876543211", text=HINDI, template_id=TEMPLATE_ID, reference="msg-hi")
    assert sent.encoding == "ucs2" and sent.segments == 2  # 98 UTF-16 units: two parts of 67
    message = _account(live).messages[sent.provider_message_id]
    assert message["Body"] == HINDI and message["EncodingType"] == "unicode" and message["SmsUnits"] == 2
    long_text = "Pay your EMI today. " * 10  # 200 GSM characters: two parts of 153
    assert live.sms().send(to="+919876543212", text=long_text, template_id=TEMPLATE_ID, reference="m-l").segments == 2


def test_the_same_reference_never_makes_a_second_sms(live: Live) -> None:
    gateway = live.sms()
    first = gateway.send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="once")
    again = gateway.send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="once")
    assert again.provider_message_id == first.provider_message_id
    assert len(_account(live).messages) == 1
    _receipts(live, 2)
    with pytest.raises(ChannelRejected, match="already used"):
        gateway.send(to="+919876543210", text="another text", template_id=TEMPLATE_ID, reference="once")
    assert len(_account(live).messages) == 1 and len(live.received.of("sms")) == 2


@pytest.mark.parametrize(
    ("number", "statuses", "code", "detail"),
    [
        ("+919876543217", ["sent", "failed"], "23010", "FAILED_INVALID_NUMBER"),
        ("+919876543218", ["sent", "failed"], "23090", "EXPIRED_ABSENT_SUBSCRIBER"),
    ],
)
def test_numbers_ending_7_and_8_fail_with_a_reason(
    live: Live, number: str, statuses: list[str], code: str, detail: str
) -> None:
    sent = live.sms().send(to=number, text="EMI due", template_id=TEMPLATE_ID, reference=f"r-{number}")
    receipts = _receipts(live, 2)
    assert [r.status for r in receipts] == statuses
    assert (receipts[1].error_code, receipts[1].error) == (code, detail)
    assert receipts[1].provider_message_id == sent.provider_message_id


def test_a_number_ending_9_gets_no_receipt(live: Live) -> None:
    gateway = live.sms()
    silent = gateway.send(to="+919876543219", text="EMI due", template_id=TEMPLATE_ID, reference="silent")
    loud = gateway.send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="loud")
    assert {r.provider_message_id for r in _receipts(live, 2)} == {loud.provider_message_id}
    assert all(not d["label"].startswith(silent.provider_message_id) for d in _account(live).deliveries)
    fetched = httpx.get(
        f"{live.base('sms')}/v1/Accounts/{SANDBOX_SID}/SMS/Messages/{silent.provider_message_id}.json",
        auth=(SANDBOX_API_KEY, SANDBOX_API_TOKEN),
    )
    assert fetched.json()["SMSMessage"]["Status"] == "queued"


def test_a_borrower_reply_arrives_signed_as_an_inbound_webhook(live: Live) -> None:
    r = httpx.post(
        f"{live.base('sms')}/accounts/{SANDBOX_SID}/inbound",
        json={"from": "+919876543210", "text": "हाँ, शुक्रवार को भुगतान करूँगा"},
    )
    assert r.status_code == 201 and r.json()["To"] == "+918047100100"
    hook = live.received.wait_for("sms-inbound", 1)[0]
    reply = parse_sms_webhook(hook.body, hook.headers["x-callback-signature"], SECRET)
    assert isinstance(reply, Inbound)
    assert (reply.sender, reply.text, reply.provider_message_id) == (
        "+919876543210",
        "हाँ, शुक्रवार को भुगतान करूँगा",
        r.json()["SmsSid"],
    )
    assert (
        httpx.post(
            f"{live.base('sms')}/accounts/nobody/inbound", json={"from": "+919876543210", "text": "x"}
        ).status_code
        == 404
    )


def test_a_bad_signature_is_refused(live: Live) -> None:
    live.sms().send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="sig")
    hook = live.received.wait_for("sms", 2)[1]
    signature = hook.headers["x-callback-signature"]
    assert signature.startswith("sha256=")
    with pytest.raises(ChannelSignatureInvalid):
        parse_sms_webhook(hook.body, signature, "another-webhook-secret")
    with pytest.raises(ChannelSignatureInvalid):
        parse_sms_webhook(hook.body.replace(b"delivered", b"failed"), signature, SECRET)
    with pytest.raises(ChannelSignatureInvalid):
        parse_sms_webhook(hook.body, None, SECRET)


def test_dlt_scrubbing_fails_a_body_that_does_not_match_its_template(live: Live) -> None:
    approved = {TEMPLATE_ID: "Dear {#var#}, your EMI of Rs {#var#} is due on {#var#}. - CRDESK"}
    setup = {
        "api_key": SANDBOX_API_KEY,
        "api_token": SANDBOX_API_TOKEN,
        "webhook_secret": SECRET,
        "dlt_templates": approved,
    }
    assert httpx.put(f"{live.base('sms')}/accounts/{SANDBOX_SID}", json=setup).is_success
    gateway = live.sms()
    good = gateway.send(
        to="+919876543210",
        text="Dear Asha, your EMI of Rs 4,500 is due on 05-08. - CRDESK",
        template_id=TEMPLATE_ID,
        reference="dlt-ok",
    )
    bad = gateway.send(
        to="+919876543211", text="Dear Asha, pay now or else", template_id=TEMPLATE_ID, reference="dlt-bad"
    )
    other = gateway.send(
        to="+919876543212", text="Dear Asha", template_id="1107000000000000001", reference="dlt-unknown"
    )
    receipts = {(r.provider_message_id, r.status): r for r in _receipts(live, 4)}
    assert (good.provider_message_id, "delivered") in receipts
    assert receipts[(bad.provider_message_id, "failed")].error == "FAILED_DLT_TEMPLATE"
    assert receipts[(other.provider_message_id, "failed")].error_code == "23082"


def test_refusals_in_the_providers_shape(live: Live) -> None:
    url = f"{live.base('sms')}/v1/Accounts/{SANDBOX_SID}/Sms/send.json"
    auth = (SANDBOX_API_KEY, SANDBOX_API_TOKEN)
    good = {
        "From": SENDER,
        "To": "+919876543210",
        "Body": "EMI due",
        "DltEntityId": ENTITY_ID,
        "DltTemplateId": TEMPLATE_ID,
    }
    cases = [
        {"From": "CREDITDESK"},
        {"To": "+14155550100"},
        {"DltEntityId": ""},
        {"DltTemplateId": "abc"},
        {"Body": ""},
        {"Body": HINDI},  # plain encoding with Hindi
        {"EncodingType": "binary"},
        {"SmsType": "bulk"},
        {"StatusCallback": "ftp://x"},
        {"CustomField": "x" * 129},
    ]
    for change in cases:
        r = httpx.post(url, data={**good, **change}, auth=auth)
        assert r.status_code == 400, (change, r.text)
        assert set(r.json()["RestException"]) == {"Status", "Code", "Message"}
    assert httpx.post(url, json=good, auth=auth).status_code == 400  # JSON instead of a form
    assert (
        httpx.post(
            url, content=b"\xff\xfe", headers={"content-type": "application/x-www-form-urlencoded"}, auth=auth
        ).status_code
        == 400
    )
    r = httpx.post(url, data=good, auth=(SANDBOX_API_KEY, "wrong"))
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
    assert httpx.post(url, data=good, headers={"Authorization": "Basic %%%"}).status_code == 401
    assert httpx.post(url.replace(SANDBOX_SID, "nobody"), data=good, auth=auth).status_code == 401
    with pytest.raises(ChannelAuthError):
        live.sms(api_token="not-the-token").send(to="+919876543210", text="x", template_id=TEMPLATE_ID, reference="a")
    fetch = f"{live.base('sms')}/v1/Accounts/{SANDBOX_SID}/SMS/Messages/nope.json"
    assert httpx.get(fetch, auth=auth).status_code == 404
    assert httpx.get(fetch, auth=("x", "y")).status_code == 401
    assert httpx.get(f"{live.base('sms')}/accounts/{SANDBOX_SID}/messages").json()["count"] == 0
    assert httpx.get(f"{live.base('sms')}/accounts/nobody/messages").status_code == 404
    with pytest.raises(ChannelConfigError):
        live.sms(status_callback_url=None).send(to="+919876543210", text="x", template_id=TEMPLATE_ID, reference="b")
    with pytest.raises(ValueError, match="Indian mobile"):
        live.sms().send(to="+14155550100", text="x", template_id=TEMPLATE_ID, reference="c")


# -- faults ----------------------------------------------------------------------------------------------


def test_errors_before_the_send_are_retried_into_one_message(live: Live) -> None:
    live.faults("sms", fail_next=2)
    sent = live.sms(attempts=3).send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="f1")
    assert len(_account(live).messages) == 1 and _account(live).request_count == 3
    assert _receipts(live, 2)[0].provider_message_id == sent.provider_message_id
    live.faults("sms", error_rate=1.0, error_status=502)
    with pytest.raises(ChannelUnavailable) as failed:
        live.sms(attempts=2).send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="f2")
    assert failed.value.transient and len(_account(live).messages) == 1


def test_a_timeout_after_the_send_was_accepted_is_retried_without_a_second_message(live: Live) -> None:
    live.faults("sms", timeout_next=1, hang_ms=1500)
    gateway = live.sms(attempts=3, timeout_s=0.5)
    sent = gateway.send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="t1")
    assert len(_account(live).messages) == 1 and _account(live).request_count == 2
    receipts = _receipts(live, 2)
    assert {r.provider_message_id for r in receipts} == {sent.provider_message_id}
    # without retries the caller sees a timeout; sending again later with the reference finds the message
    live.faults("sms", timeout_next=1, hang_ms=1500)
    with pytest.raises(ChannelTimeout) as timed_out:
        live.sms(attempts=1, timeout_s=0.5).send(
            to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="t2"
        )
    assert timed_out.value.transient and timed_out.value.code == "timeout"
    again = gateway.send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="t2")
    assert len(_account(live).messages) == 2
    assert again.provider_message_id in _account(live).messages


def test_a_lost_answer_and_the_per_request_fault_header(live: Live) -> None:
    live.faults("sms", lose_answer_next=1)
    sent = live.sms().send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="lost")
    assert len(_account(live).messages) == 1 and sent.provider_message_id in _account(live).messages
    url = f"{live.base('sms')}/v1/Accounts/{SANDBOX_SID}/Sms/send.json"
    form = {
        "From": SENDER,
        "To": "+919876543211",
        "Body": "x",
        "DltEntityId": ENTITY_ID,
        "DltTemplateId": TEMPLATE_ID,
        "CustomField": "h",
    }
    auth = (SANDBOX_API_KEY, SANDBOX_API_TOKEN)
    r = httpx.post(url, data=form, auth=auth, headers={"X-Sim-Fault": "503"})
    assert r.status_code == 503 and len(_account(live).messages) == 1  # nothing applied
    r = httpx.post(url, data=form, auth=auth, headers={"X-Sim-Fault": "lose-answer", "X-Sim-Hang-Ms": "10"})
    assert r.status_code == 504 and len(_account(live).messages) == 2  # applied, answer lost
    r = httpx.post(url, data=form, auth=auth, headers={"X-Sim-Latency-Ms": "200"})
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.2
    assert httpx.post(url, data=form, auth=auth, headers={"X-Sim-Receipt-Order": "sideways"}).status_code == 400


def test_duplicate_and_out_of_order_receipts_leave_one_final_status(live: Live) -> None:
    live.faults("sms", receipt_duplicates=2, receipt_order="reverse", receipt_delay_ms=5)
    sent = live.sms().send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="dup")
    receipts = _receipts(live, 4)
    assert [r.status for r in receipts] == ["delivered", "delivered", "sent", "sent"]
    status = None
    applied = []
    for receipt in receipts:
        if receipt_advances(status, receipt.status):
            status = receipt.status
            applied.append(receipt.status)
    assert status == "delivered" and applied == ["delivered"]
    assert all(d["status_code"] == 200 for d in _account(live).deliveries)
    deliveries = httpx.get(f"{live.base('sms')}/accounts/{SANDBOX_SID}/deliveries").json()
    assert deliveries["count"] == 4 and deliveries["items"][0]["label"] == f"{sent.provider_message_id}:delivered"


def test_an_unreachable_callback_is_logged_not_fatal(live: Live) -> None:
    gateway = live.sms(status_callback_url="http://127.0.0.1:9/nowhere")
    gateway.send(to="+919876543210", text="EMI due", template_id=TEMPLATE_ID, reference="unreachable")
    account = _account(live)
    for _ in range(250):
        if len(account.deliveries) == 2:
            break
        time.sleep(0.02)
    assert [d["error"] for d in account.deliveries] == ["ConnectError", "ConnectError"]


# -- the simulator on its own -----------------------------------------------------------------------------


def _first_ids(seed: int) -> list[str]:
    with TestClient(build_channel_simulator_app(seed=seed)) as client:
        url = f"/simulators/sms/v1/Accounts/{SANDBOX_SID}/Sms/send.json"
        form = {
            "From": SENDER,
            "To": "+919876543210",
            "Body": "x",
            "DltEntityId": ENTITY_ID,
            "DltTemplateId": TEMPLATE_ID,
        }
        auth = (SANDBOX_API_KEY, SANDBOX_API_TOKEN)
        return [client.post(url, data=form, auth=auth).json()["SMSMessage"]["Sid"] for _ in range(2)]


def test_ids_are_the_same_for_the_same_seed() -> None:
    assert _first_ids(3) == _first_ids(3) != _first_ids(4)


def test_control_routes() -> None:
    with TestClient(build_channel_simulator_app()) as client:
        kit = client.get("/simulators/sms/sandbox-credentials").json()
        assert kit["account_sid"] == SANDBOX_SID and kit["base_url"].endswith("/simulators/sms")
        assert client.get("/simulators/sms/accounts/nobody/faults").status_code == 404
        assert client.put("/simulators/sms/accounts/nobody/faults", json={}).status_code == 404
        assert client.get("/simulators/sms/accounts/nobody/deliveries").status_code == 404
        assert client.put(f"/simulators/sms/accounts/{SANDBOX_SID}/faults", json={"error_rate": 2}).status_code == 422
        assert client.get(f"/simulators/sms/accounts/{SANDBOX_SID}/faults").json()["receipt_duplicates"] == 1
        setup = {"api_key": "k-new", "api_token": "token-new", "webhook_secret": "secret-new"}
        assert client.put("/simulators/sms/accounts/acme", json=setup).json() == {
            "account_sid": "acme",
            "inbound_url": None,
        }
        reply = client.post("/simulators/sms/accounts/acme/inbound", json={"from": "+919876543210", "text": "ok"})
        assert reply.status_code == 201 and reply.json()["webhook_url"] is None  # kept, nowhere to send it


def test_dev_mode_mounts_the_channel_simulators(client) -> None:  # type: ignore[no-untyped-def]
    for channel in ("sms", "whatsapp", "voice"):
        assert client.get(f"/simulators/{channel}/sandbox-credentials").status_code == 200
    assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/simulators/sms")]


def test_other_modes_mount_nothing() -> None:
    app = FastAPI()
    mount_simulators(app, SimpleNamespace(is_dev_like=False))  # type: ignore[arg-type]
    assert not [r for r in app.routes if getattr(r, "path", "").startswith("/simulators")]
