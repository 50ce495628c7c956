"""The connectors without a server: wire helpers, configs, the mapping of answers to the error family
(retry or not), the breaker, and webhook parsing of what the simulators do not send."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from creditdesk.channels.providers import (
    IST,
    SIGNATURE_HEADER,
    CallResult,
    ChannelAuthError,
    ChannelBadResponse,
    ChannelCircuitOpen,
    ChannelError,
    ChannelNotFound,
    ChannelRejected,
    ChannelSignatureInvalid,
    ChannelThrottled,
    ChannelTimeout,
    ChannelUnavailable,
    Inbound,
    Receipt,
    SmsConfig,
    SmsGateway,
    VoiceConfig,
    VoiceGateway,
    WhatsAppCloud,
    WhatsAppConfig,
    WhatsAppTemplate,
    WhatsAppText,
    format_ist,
    indian_mobile,
    is_gsm7,
    parse_ist,
    parse_sms_webhook,
    parse_voice_callback,
    parse_whatsapp_webhook,
    receipt_advances,
    sign,
    sms_segments,
    verify_signature,
    verify_subscription,
    window_open,
)
from creditdesk.channels.voice import IvrOption, IvrScript
from creditdesk.kit.provider_errors import ProviderError, ProviderUnavailable
from creditdesk.kit.resilience import BreakerRegistry, RetryPolicy

FAST = RetryPolicy(attempts=3, wait_initial_s=0.001, wait_max_s=0.002, jitter_s=0.001)
SCRIPT = IvrScript("en-IN", "Your EMI is due.", (IvrOption("1", "promise_to_pay", "Press 1."),))


def _sms_config(**overrides: Any) -> SmsConfig:
    values: dict[str, Any] = {
        "base_url": "https://sms.example/",
        "account_sid": "acme",
        "api_key": "key",
        "api_token": "token",
        "webhook_secret": "secret",
        "entity_id": "1201159543060917386",
        "sender": "CRDESK",
        "status_callback_url": "https://us.example/hooks/sms",
    }
    return SmsConfig(**{**values, **overrides})


def _wa_config(**overrides: Any) -> WhatsAppConfig:
    values: dict[str, Any] = {
        "base_url": "https://graph.example",
        "phone_number_id": "100",
        "access_token": "EAAtoken",
        "app_secret": "app-secret",
    }
    return WhatsAppConfig(**{**values, **overrides})


def _voice_config(**overrides: Any) -> VoiceConfig:
    values: dict[str, Any] = {
        "base_url": "https://voice.example",
        "account_sid": "acme",
        "api_key": "key",
        "api_token": "token",
        "webhook_secret": "secret",
        "caller_id": "+918047100300",
        "status_callback_url": "https://us.example/hooks/voice",
    }
    return VoiceConfig(**{**values, **overrides})


class Calls:
    """A mock transport answering from a list, recording each request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def _sms(calls: Calls, **config: Any) -> SmsGateway:
    breakers = config.pop("breakers", BreakerRegistry(fail_max=100))
    return SmsGateway(_sms_config(**config), client=calls.client(), retry=FAST, breakers=breakers)


def _send_sms(gateway: SmsGateway) -> Any:
    return gateway.send(to="9876543210", text="EMI due", template_id="1107161234567890123", reference="r-1")


# -- wire helpers ----------------------------------------------------------------------------------------


def test_sms_segments() -> None:
    assert sms_segments("a" * 160) == ("gsm7", 1)
    assert sms_segments("a" * 161) == ("gsm7", 2)
    assert sms_segments("a" * 306) == ("gsm7", 2) and sms_segments("a" * 307) == ("gsm7", 3)
    assert sms_segments("{" * 80) == ("gsm7", 1) and sms_segments("{" * 81) == ("gsm7", 2)  # two septets each
    assert sms_segments("€ £ ¥ è @ Δ") == ("gsm7", 1) and is_gsm7("Ünïcödé") is False
    assert sms_segments("₹" * 70) == ("ucs2", 1) and sms_segments("₹" * 71) == ("ucs2", 2)
    assert sms_segments("क" * 134) == ("ucs2", 2) and sms_segments("क" * 135) == ("ucs2", 3)
    assert sms_segments("😀" * 35) == ("ucs2", 1)  # an emoji is two UTF-16 units
    assert sms_segments("plain", "ucs2") == ("ucs2", 1)


def test_indian_mobile_numbers() -> None:
    for raw in ("9876543210", "+91 98765-43210", "919876543210", "09876543210", "(+91) 98765 43210"):
        assert indian_mobile(raw) == "+919876543210"
    for raw in ("12345", "+14155550100", "5876543210", "+91987654321"):
        with pytest.raises(ValueError):
            indian_mobile(raw)


def test_signatures_and_times() -> None:
    body = b"SmsSid=x&Status=delivered"
    assert sign(body, "s").startswith("sha256=") and verify_signature(body, sign(body, "s") + " ", "s")
    assert not verify_signature(body, sign(body, "s"), "") and not verify_signature(body, None, "s")
    at = datetime(2025, 8, 5, 4, 30, tzinfo=UTC).timestamp()
    assert format_ist(at) == "2025-08-05 10:00:00"
    assert parse_ist("2025-08-05 10:00:00") == datetime(2025, 8, 5, 4, 30, tzinfo=UTC)
    assert parse_ist("2025-08-05 10:00:00").astimezone(IST).hour == 10


def test_the_whatsapp_window_and_receipt_order() -> None:
    now = datetime(2025, 8, 5, tzinfo=UTC)
    assert window_open(now - timedelta(hours=23, minutes=59), now)
    assert not window_open(now - timedelta(hours=24), now) and not window_open(None, now)
    assert window_open(datetime.now(UTC))
    assert (
        receipt_advances(None, "sent")
        and receipt_advances("sent", "delivered")
        and receipt_advances("delivered", "read")
    )
    assert receipt_advances("sent", "failed") and receipt_advances("queued", "sent")
    assert not receipt_advances("delivered", "sent") and not receipt_advances("read", "delivered")
    assert not receipt_advances("failed", "delivered") and not receipt_advances("delivered", "delivered")


def test_configs_are_checked_and_never_show_a_secret() -> None:
    config = _sms_config()
    assert config.base_url == "https://sms.example" and "token" not in repr(config) and "secret" not in repr(config)
    assert "EAAtoken" not in repr(_wa_config()) and "app-secret" not in repr(_wa_config())
    for bad in [
        {"base_url": "ftp://x"},
        {"sender": "CREDITDESK"},
        {"entity_id": "PE-1"},
        {"api_token": ""},
        {"timeout_s": 0},
        {"status_callback_url": "x"},
    ]:
        with pytest.raises(ValueError):
            _sms_config(**bad)
    for bad in [{"api_version": "21"}, {"phone_number_id": "abc"}, {"app_secret": ""}, {"timeout_s": 500}]:
        with pytest.raises(ValueError):
            _wa_config(**bad)
    for bad in [{"caller_id": "ExoPhone"}, {"api_key": ""}, {"timeout_s": -1}, {"status_callback_url": "x"}]:
        with pytest.raises(ValueError):
            _voice_config(**bad)


def test_the_error_family_tells_retry_from_do_not_retry() -> None:
    for cls in (ChannelUnavailable, ChannelTimeout, ChannelThrottled):
        assert cls("x").transient and issubclass(cls, ProviderUnavailable)
    for cls in (ChannelAuthError, ChannelRejected, ChannelBadResponse, ChannelNotFound, ChannelSignatureInvalid):
        assert not cls("x").transient and issubclass(cls, ChannelError) and issubclass(cls, ProviderError)
    assert ChannelTimeout("x").code == "timeout" and ChannelThrottled("x").code == "throttled"


# -- answers → errors -------------------------------------------------------------------------------------


def _exotel(status: int, code: int | None = None, message: str = "no") -> httpx.Response:
    return httpx.Response(status, json={"RestException": {"Status": status, "Code": code, "Message": message}})


@pytest.mark.parametrize(
    ("answer", "error", "code"),
    [
        (_exotel(401), ChannelAuthError, None),
        (_exotel(403, 10), ChannelAuthError, "10"),
        (_exotel(404, 20404, "no such account"), ChannelNotFound, "20404"),
        (_exotel(429, 20429), ChannelThrottled, "20429"),
        (_exotel(400, 21211, "bad To"), ChannelRejected, "21211"),
        (httpx.Response(400, text="<html>"), ChannelRejected, None),
        (httpx.Response(200, text="not json"), ChannelBadResponse, None),
        (httpx.Response(200, json=[1]), ChannelBadResponse, None),
        (httpx.Response(200, json={"SMSMessage": {}}), ChannelBadResponse, None),
        (httpx.Response(200, content=b"x" * (6 * 1024 * 1024)), ChannelBadResponse, None),
    ],
)
def test_sms_answers_map_to_the_error_family(
    answer: httpx.Response, error: type[ChannelError], code: str | None
) -> None:
    with pytest.raises(error) as raised:
        _send_sms(_sms(Calls(answer)))
    assert raised.value.provider_code == code and raised.value.provider == "sms"


def test_transient_failures_are_retried_then_reported() -> None:
    calls = Calls(
        httpx.Response(503),
        httpx.ConnectError("refused"),
        httpx.Response(200, json={"SMSMessage": {"Sid": "s1", "Status": "queued", "SmsUnits": 1}}),
    )
    sent = _send_sms(_sms(calls))
    assert sent.provider_message_id == "s1" and len(calls.requests) == 3
    form = dict(httpx.QueryParams(calls.requests[0].content.decode()))
    assert form["CustomField"] == "r-1" and form["To"] == "+919876543210" and form["EncodingType"] == "plain"
    assert calls.requests[0].headers["authorization"].startswith("Basic ")
    for failure, error in [
        (httpx.Response(500), ChannelUnavailable),
        (httpx.ReadTimeout("slow"), ChannelTimeout),
        (httpx.RemoteProtocolError("cut"), ChannelUnavailable),
    ]:
        with pytest.raises(error):
            _send_sms(_sms(Calls(failure)))
    once = Calls(httpx.Response(502))
    with pytest.raises(ChannelUnavailable):
        _send_sms(_sms(once, retry_sends=False))
    assert len(once.requests) == 1


def test_an_open_breaker_sends_nothing() -> None:
    breakers = BreakerRegistry(fail_max=1, reset_timeout_s=60)
    calls = Calls(httpx.Response(503))
    with pytest.raises(ChannelUnavailable):
        _send_sms(_sms(calls, breakers=breakers))
    sent_before = len(calls.requests)
    with pytest.raises(ChannelCircuitOpen):
        _send_sms(_sms(calls, breakers=breakers))
    assert len(calls.requests) == sent_before and breakers.is_open("default", "channels:sms")


def test_a_bad_sms_request_is_refused_before_sending() -> None:
    gateway = _sms(Calls(httpx.Response(500)))
    with pytest.raises(ValueError):
        gateway.send(to="9876543210", text="", template_id="1", reference="r")
    with pytest.raises(ValueError):
        gateway.send(to="9876543210", text="x", template_id="DLT-1", reference="r")
    with pytest.raises(ValueError):
        gateway.send(to="9876543210", text="x", template_id="1", reference="")
    with pytest.raises(ValueError):
        gateway.send(to="9876543210", text="x", template_id="1", reference="new\nline")
    gateway.close()


def _graph(status: int, code: int, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": "m", "type": "OAuthException", "code": code, **extra}})


@pytest.mark.parametrize(
    ("answer", "error", "code"),
    [
        (_graph(401, 190), ChannelAuthError, "190"),
        (_graph(400, 190), ChannelAuthError, "190"),
        (_graph(403, 200), ChannelAuthError, "200"),
        (_graph(400, 130429), ChannelThrottled, "130429"),
        (_graph(400, 131056), ChannelThrottled, "131056"),
        (_graph(400, 1, is_transient=True), ChannelThrottled, "1"),
        (httpx.Response(429, json={}), ChannelThrottled, None),
        (_graph(404, 803), ChannelNotFound, "803"),
        (
            _graph(400, 132001, error_data={"details": "template name (x) does not exist in hi"}),
            ChannelRejected,
            "132001",
        ),
        (httpx.Response(400, json={"error": "flat"}), ChannelRejected, None),
        (httpx.Response(200, json={"messages": []}), ChannelBadResponse, None),
        (httpx.Response(200, json={"messages": [{"id": ""}]}), ChannelBadResponse, None),
    ],
)
def test_graph_answers_map_to_the_error_family(
    answer: httpx.Response, error: type[ChannelError], code: str | None
) -> None:
    wa = WhatsAppCloud(_wa_config(), client=Calls(answer).client(), retry=FAST, breakers=BreakerRegistry(fail_max=100))
    with pytest.raises(error) as raised:
        wa.send(to="+919876543210", message=WhatsAppTemplate("emi_reminder", "hi"), reference="r")
    assert raised.value.provider_code == code
    if code == "132001":
        assert "does not exist in hi" in str(raised.value)


def test_the_whatsapp_request_body() -> None:
    calls = Calls(httpx.Response(200, json={"messages": [{"id": "wamid.X"}]}))
    wa = WhatsAppCloud(_wa_config(), client=calls.client(), retry=FAST)
    template = WhatsAppTemplate("emi_reminder", "hi", body_params=("आशा", "₹4,500"), header_params=("EMI",))
    assert wa.send(to="9876543210", message=template, reference="ref-1").provider_message_id == "wamid.X"
    body = json.loads(calls.requests[0].content)
    assert calls.requests[0].url.path == "/v21.0/100/messages"
    assert calls.requests[0].headers["authorization"] == "Bearer EAAtoken"
    assert body["biz_opaque_callback_data"] == "ref-1" and body["to"] == "+919876543210"
    assert body["template"]["components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": "EMI"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "आशा"}, {"type": "text", "text": "₹4,500"}]},
    ]
    wa.send(to="9876543210", message=WhatsAppText("Hello", preview_url=True), reference="ref-2")
    assert json.loads(calls.requests[1].content)["text"] == {"body": "Hello", "preview_url": True}
    with pytest.raises(ValueError):
        wa.send(to="9876543210", message=WhatsAppText(""), reference="ref-3")


def test_the_voice_request_and_its_refusals() -> None:
    calls = Calls(httpx.Response(200, json={"Call": {"Sid": "c1", "Status": "in-progress"}}))
    gateway = VoiceGateway(_voice_config(), client=calls.client(), retry=FAST)
    assert gateway.send(to="9876543210", script=SCRIPT, reference="v-1").provider_message_id == "c1"
    form = dict(httpx.QueryParams(calls.requests[0].content.decode()))
    assert form["From"] == "+919876543210" and form["CallerId"] == "+918047100300" and form["CustomField"] == "v-1"
    assert json.loads(form["IvrScript"]) == SCRIPT.to_wire() and form["StatusCallbackContentType"] == "application/json"
    for answer, error in [
        (_exotel(401), ChannelAuthError),
        (httpx.Response(200, json={"Call": None}), ChannelBadResponse),
    ]:
        with pytest.raises(error):
            VoiceGateway(_voice_config(), client=Calls(answer).client(), retry=FAST).send(
                to="9876543210", script=SCRIPT, reference="v"
            )
    with pytest.raises(ChannelError, match="callback"):
        VoiceGateway(_voice_config(status_callback_url=None), client=calls.client()).send(
            to="9876543210", script=SCRIPT, reference="v"
        )


# -- webhooks ---------------------------------------------------------------------------------------------


def _signed(fields: dict[str, str]) -> tuple[bytes, str]:
    body = urlencode(fields).encode()
    return body, sign(body, "secret")


def test_sms_webhook_edge_cases() -> None:
    body, signature = _signed(
        {"SmsSid": "s1", "Status": "failed-dnd", "DetailedStatus": "FAILED_DND", "DetailedStatusCode": "23005"}
    )
    receipt = parse_sms_webhook(body, signature, "secret")
    assert isinstance(receipt, Receipt) and (receipt.status, receipt.error_code, receipt.error) == (
        "failed",
        "23005",
        "FAILED_DND",
    )
    assert receipt.reference is None and receipt.at.tzinfo is not None  # no time given: now
    body, signature = _signed({"SmsSid": "in1", "From": "+919876543210", "Body": "STOP", "Date": "2025-08-05 10:00:00"})
    inbound = parse_sms_webhook(body, signature, "secret")
    assert isinstance(inbound, Inbound) and inbound.text == "STOP" and inbound.at.hour == 4
    for fields in [
        {"Status": "delivered"},
        {"SmsSid": "s", "Status": "teleported"},
        {"SmsSid": "s", "Status": "delivered", "DateSent": "yesterday"},
        {"SmsSid": "s"},
    ]:
        body, signature = _signed(fields)
        with pytest.raises(ChannelBadResponse):
            parse_sms_webhook(body, signature, "secret")
    bad_utf8 = b"SmsSid=%FF\xff"
    with pytest.raises(ChannelBadResponse):
        parse_sms_webhook(bad_utf8, sign(bad_utf8, "secret"), "secret")


def _wa(payload: Any) -> list[Receipt | Inbound]:
    body = json.dumps(payload).encode()
    return parse_whatsapp_webhook(body, sign(body, "app"), "app")


def _value(**value: Any) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def test_whatsapp_webhook_edge_cases() -> None:
    assert _wa(_value(statuses=[{"id": "w1", "status": "deleted", "timestamp": "1"}, "junk"])) == []
    assert (
        _wa(
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "account_update", "value": {}}]}, "x"],
            }
        )
        == []
    )
    failed = _wa(
        _value(
            statuses=[
                {
                    "id": "w1",
                    "status": "failed",
                    "timestamp": "1754370000",
                    "errors": [{"code": 131051, "title": "Unsupported message type"}],
                }
            ]
        )
    )
    assert isinstance(failed[0], Receipt) and (failed[0].error_code, failed[0].error) == (
        "131051",
        "Unsupported message type",
    )
    interactive = {
        "from": "919876543210",
        "id": "w2",
        "timestamp": "1754370000",
        "type": "interactive",
        "interactive": {"button_reply": {"id": "pay", "title": "Pay now"}},
    }
    image = {"from": "919876543210", "id": "w3", "timestamp": "1754370000", "type": "image", "image": {"id": "m1"}}
    found = _wa(_value(messages=[interactive, image, 7]))
    assert [(m.kind, m.text, m.button_payload) for m in found if isinstance(m, Inbound)] == [
        ("interactive", "Pay now", "pay"),
        ("image", "", None),
    ]
    for payload in [
        [1],
        {"object": "page"},
        _value(statuses=[{"status": "sent", "timestamp": "1"}]),
        _value(statuses=[{"id": "w", "status": "sent", "timestamp": "soon"}]),
        _value(messages=[{"id": "w", "timestamp": "1"}]),
    ]:
        with pytest.raises(ChannelBadResponse):
            _wa(payload)
    with pytest.raises(ChannelBadResponse):
        parse_whatsapp_webhook(b"{", sign(b"{", "app"), "app")


def test_the_webhook_subscription_check() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert verify_subscription(params, "tok") == "1158201444"
    with pytest.raises(ChannelSignatureInvalid):
        verify_subscription({**params, "hub.verify_token": "other"}, "tok")
    with pytest.raises(ChannelSignatureInvalid):
        verify_subscription({**params, "hub.mode": "unsubscribe"}, "tok")


def test_voice_callback_edge_cases() -> None:
    def parse(payload: Any) -> CallResult:
        body = json.dumps(payload).encode()
        return parse_voice_callback(body, sign(body, "secret"), "secret")

    result = parse(
        {"CallSid": "c", "Status": "completed", "Duration": "31", "Digits": '"2"', "EndTime": "2025-08-05 10:00:31"}
    )
    assert (result.duration_s, result.digits, result.event) == (31, "2", "terminal")
    assert parse({"CallSid": "c", "Status": "canceled"}).status == "failed"
    assert parse({"CallSid": "c", "Status": "ringing", "EventType": "answered", "Digits": ""}).digits is None
    for payload in [
        [1],
        {"Status": "completed"},
        {"CallSid": "c", "Status": "teleported"},
        {"CallSid": "c", "Status": "completed", "Duration": "long"},
    ]:
        with pytest.raises(ChannelBadResponse):
            parse(payload)
    with pytest.raises(ChannelBadResponse):
        parse_voice_callback(b"{", sign(b"{", "secret"), "secret")
    assert SIGNATURE_HEADER == "X-Callback-Signature"
