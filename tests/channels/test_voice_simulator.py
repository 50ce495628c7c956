"""The voice simulator (Exotel-shaped IVR calls) over real HTTP with the connector — the DTMF callback,
the per-number outcomes, idempotency, refusals, faults — and the IVR script model and its rendering."""

from __future__ import annotations

import hashlib
import json
import shutil

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.channels.conftest import Live

from creditdesk.channels import voice
from creditdesk.channels.providers import (
    CallResult,
    ChannelAuthError,
    ChannelRejected,
    ChannelSignatureInvalid,
    ChannelUnavailable,
    parse_voice_callback,
)
from creditdesk.channels.simulator import build_channel_simulator_app
from creditdesk.channels.simulator.voice import (
    SANDBOX_API_KEY,
    SANDBOX_API_TOKEN,
    SANDBOX_CALLER_ID,
    SANDBOX_SID,
    SANDBOX_WEBHOOK_SECRET,
)
from creditdesk.channels.voice import (
    ALREADY_PAID,
    PROMISE_TO_PAY,
    TALK_TO_AGENT,
    IvrOption,
    IvrScript,
    render_prompt,
    script_sha256,
)

SECRET = SANDBOX_WEBHOOK_SECRET
SCRIPT = IvrScript(
    language="hi-IN",
    prompt="नमस्ते आशा जी। आपकी किस्त ₹4,500 पाँच अगस्त को देय है।",
    options=(
        IvrOption("1", PROMISE_TO_PAY, "भुगतान का वादा करने के लिए 1 दबाएँ।"),
        IvrOption("2", ALREADY_PAID, "यदि आप भुगतान कर चुके हैं तो 2 दबाएँ।"),
        IvrOption("9", TALK_TO_AGENT, "हमसे बात करने के लिए 9 दबाएँ।"),
    ),
)


def _results(live: Live, count: int) -> list[CallResult]:
    return [
        parse_voice_callback(h.body, h.headers["x-callback-signature"], SECRET)
        for h in live.received.wait_for("voice", count)
    ]


def _account(live: Live):  # type: ignore[no-untyped-def]
    return live.sims.voice.accounts[SANDBOX_SID]


def test_an_answered_call_reports_the_digit_pressed(live: Live) -> None:
    sent = live.voice().send(to="+919876543210", script=SCRIPT, reference="call-1")
    assert sent.channel == "voice" and len(sent.provider_message_id) == 32 and sent.status == "queued"
    assert sent.prompt_sha256 == script_sha256(SCRIPT)
    answered, terminal = _results(live, 2)
    assert (answered.event, answered.status, answered.digits) == ("answered", "in-progress", None)
    assert (terminal.event, terminal.status, terminal.digits) == ("terminal", "completed", "1")
    assert terminal.duration_s == 12 + 10 % 40 and terminal.reference == "call-1"
    assert terminal.recipient == "+919876543210" and terminal.provider_call_id == sent.provider_message_id
    assert SCRIPT.intent_for(terminal.digits) == PROMISE_TO_PAY
    assert terminal.receipt().status == "delivered" and answered.receipt().status == "sent"
    call = _account(live).calls[sent.provider_message_id]
    assert call["PromptSha256"] == sent.prompt_sha256 and call["To"] == SANDBOX_CALLER_ID
    assert call["IvrScript"] == SCRIPT.to_wire() and call["Status"] == "completed"


@pytest.mark.parametrize(
    ("number", "status", "digits", "intent"),
    [
        ("+919876543211", "completed", "2", ALREADY_PAID),
        ("+919876543212", "completed", "9", TALK_TO_AGENT),
        ("+919876543213", "completed", "1", PROMISE_TO_PAY),
        ("+919876543216", "completed", None, None),
        ("+919876543217", "failed", None, None),
        ("+919876543218", "busy", None, None),
        ("+919876543219", "no-answer", None, None),
    ],
)
def test_the_outcome_is_fixed_by_the_number(
    live: Live, number: str, status: str, digits: str | None, intent: str | None
) -> None:
    live.voice().send(to=number, script=SCRIPT, reference=f"c-{number}")
    result = _results(live, 2 if status == "completed" else 1)[-1]
    assert (result.status, result.digits, SCRIPT.intent_for(result.digits)) == (status, digits, intent)
    if status != "completed":
        assert result.duration_s == 0
        receipt = result.receipt()
        assert (receipt.status, receipt.error_code) == ("failed", status)


def test_the_rendered_prompts_hash_is_kept_with_the_call(live: Live) -> None:
    prompt = voice.RenderedPrompt(sha256="ab" * 32, hashed="audio", audio=b"RIFF", mime_type="audio/wav")
    sent = live.voice().send(to="+919876543210", script=SCRIPT, reference="p", prompt=prompt)
    assert sent.prompt_sha256 == "ab" * 32
    calls = httpx.get(f"{live.base('voice')}/accounts/{SANDBOX_SID}/calls").json()
    assert calls["items"][0]["PromptSha256"] == "ab" * 32
    fetched = httpx.get(
        f"{live.base('voice')}/v1/Accounts/{SANDBOX_SID}/Calls/{sent.provider_message_id}.json",
        auth=(SANDBOX_API_KEY, SANDBOX_API_TOKEN),
    ).json()["Call"]
    assert fetched["Sid"] == sent.provider_message_id and "IvrScript" not in fetched


def test_the_same_reference_never_places_a_second_call(live: Live) -> None:
    gateway = live.voice()
    first = gateway.send(to="+919876543210", script=SCRIPT, reference="once")
    again = gateway.send(to="+919876543210", script=SCRIPT, reference="once")
    assert first.provider_message_id == again.provider_message_id and len(_account(live).calls) == 1
    other = IvrScript("en-IN", "Your EMI is due.", (IvrOption("1", PROMISE_TO_PAY, "Press 1 to promise to pay."),))
    with pytest.raises(ChannelRejected, match="already used"):
        gateway.send(to="+919876543210", script=other, reference="once")
    assert len(_results(live, 2)) == 2 and len(_account(live).calls) == 1


def test_a_bad_signature_is_refused(live: Live) -> None:
    live.voice().send(to="+919876543217", script=SCRIPT, reference="sig")
    hook = live.received.wait_for("voice", 1)[0]
    assert json.loads(hook.body)["Status"] == "failed"
    with pytest.raises(ChannelSignatureInvalid):
        parse_voice_callback(hook.body, hook.headers["x-callback-signature"], "another-secret")
    with pytest.raises(ChannelSignatureInvalid):
        parse_voice_callback(hook.body.replace(b"failed", b"completed"), hook.headers["x-callback-signature"], SECRET)


def test_refusals(live: Live) -> None:
    url = f"{live.base('voice')}/v1/Accounts/{SANDBOX_SID}/Calls/connect.json"
    auth = (SANDBOX_API_KEY, SANDBOX_API_TOKEN)
    good = {"From": "+919876543210", "CallerId": SANDBOX_CALLER_ID, "IvrScript": json.dumps(SCRIPT.to_wire())}
    cases = [
        {"From": "+14155550100"},
        {"CallerId": "exophone"},
        {"CallType": "robo"},
        {"StatusCallback": "mailto:x"},
        {"StatusCallbackContentType": "multipart/form-data"},
        {"StatusCallbackEvents[0]": "ringing"},
        {"TimeLimit": "0"},
        {"TimeOut": "x"},
        {"IvrScript": "not json"},
        {"IvrScript": json.dumps({"language": "hi-IN", "prompt": "x", "options": []})},
        {"PromptSha256": "xyz"},
        {"CustomField": "c" * 129},
    ]
    for change in cases:
        r = httpx.post(url, data={**good, **change}, auth=auth)
        assert r.status_code == 400, (change, r.text)
        assert r.json()["RestException"]["Status"] == 400
    assert httpx.post(url, data=good, auth=auth).status_code == 200  # no callback URL: placed, nobody told
    assert httpx.post(url, data=good, auth=(SANDBOX_API_KEY, "nope")).status_code == 401
    assert httpx.post(url, data=good, headers={"Authorization": "Basic !!"}).status_code == 401
    call = f"{live.base('voice')}/v1/Accounts/{SANDBOX_SID}/Calls/none.json"
    assert httpx.get(call, auth=auth).status_code == 404
    assert httpx.get(call, auth=("a", "b")).status_code == 401
    with pytest.raises(ChannelAuthError):
        live.voice(api_key="someone-else").send(to="+919876543210", script=SCRIPT, reference="auth")


def test_faults(live: Live) -> None:
    live.faults("voice", timeout_next=1, hang_ms=1500)
    sent = live.voice(timeout_s=0.5).send(to="+919876543210", script=SCRIPT, reference="hang")
    assert len(_account(live).calls) == 1 and _account(live).request_count == 2
    results = _results(live, 2)
    assert {r.provider_call_id for r in results} == {sent.provider_message_id}
    live.faults("voice", receipt_duplicates=3)
    live.voice().send(to="+919876543218", script=SCRIPT, reference="dup")
    assert [r.status for r in _results(live, 5)[2:]] == ["busy"] * 3
    live.faults("voice", fail_next=5)
    with pytest.raises(ChannelUnavailable):
        live.voice(attempts=2).send(to="+919876543210", script=SCRIPT, reference="down")
    assert len(_account(live).calls) == 2


def test_control_routes() -> None:
    with TestClient(build_channel_simulator_app()) as client:
        kit = client.get("/simulators/voice/sandbox-credentials").json()
        assert kit["caller_id"] == SANDBOX_CALLER_ID and kit["base_url"].endswith("/simulators/voice")
        setup = {"api_key": "k-acme", "api_token": "token-acme", "webhook_secret": "secret-acme"}
        assert client.put("/simulators/voice/accounts/acme", json=setup).json() == {"account_sid": "acme"}
        assert client.put("/simulators/voice/accounts/acme", json=setup).status_code == 200  # replaced
        assert client.get("/simulators/voice/accounts/acme/calls").json()["count"] == 0
        assert client.get("/simulators/voice/accounts/nobody/calls").status_code == 404


# -- the IVR script ---------------------------------------------------------------------------------------


def test_a_script_is_validated_and_read_back_from_the_wire() -> None:
    assert IvrScript.from_wire(SCRIPT.to_wire()) == SCRIPT
    assert SCRIPT.digits == ("1", "2", "9") and SCRIPT.intent_for("") is None and SCRIPT.intent_for("5") is None
    assert SCRIPT.spoken_text().startswith("नमस्ते") and SCRIPT.spoken_text().endswith("9 दबाएँ।")
    with pytest.raises(ValueError, match="digit"):
        IvrOption("10", PROMISE_TO_PAY, "x")
    with pytest.raises(ValueError, match="intent"):
        IvrOption("1", "Promise To Pay", "x")
    with pytest.raises(ValueError, match="announcement"):
        IvrOption("1", PROMISE_TO_PAY, "   ")
    option = IvrOption("1", PROMISE_TO_PAY, "Press 1")
    for bad, match in [
        ({"language": "Hindi"}, "BCP 47"),
        ({"prompt": ""}, "prompt"),
        ({"options": ()}, "options"),
        ({"options": (option, option)}, "own digit"),
        ({"timeout_s": 0}, "timeout_s"),
    ]:
        with pytest.raises(ValueError, match=match):
            IvrScript(**{"language": "en-IN", "prompt": "Your EMI is due.", "options": (option,), **bad})  # type: ignore[arg-type]
    for wire in [None, {"language": "en-IN", "prompt": "x", "options": "1"}, {"prompt": "x", "options": []}]:
        with pytest.raises(ValueError):
            IvrScript.from_wire(wire)


def test_the_canonical_text_does_not_depend_on_how_the_text_was_typed() -> None:
    spaced = IvrScript(SCRIPT.language, "  " + SCRIPT.prompt.replace(" ", "   ") + "\n", SCRIPT.options)
    assert spaced.canonical_text() == SCRIPT.canonical_text() and script_sha256(spaced) == script_sha256(SCRIPT)
    nfd = IvrScript("en-IN", "Cafe\u0301 EMI due", (IvrOption("1", PROMISE_TO_PAY, "Press 1"),))
    nfc = IvrScript("en-IN", "Café EMI due", (IvrOption("1", PROMISE_TO_PAY, "Press 1"),))
    assert nfd.canonical_text() == nfc.canonical_text()
    assert json.loads(SCRIPT.canonical_text())["options"][2]["intent"] == TALK_TO_AGENT


def test_without_espeak_ng_the_script_text_is_hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice.shutil, "which", lambda _: None)
    rendered = render_prompt(SCRIPT)
    assert (rendered.has_audio, rendered.hashed, rendered.engine) == (False, "script", None)
    assert rendered.sha256 == hashlib.sha256(SCRIPT.canonical_text().encode()).hexdigest()
    unsupported = IvrScript("fr-FR", "Bonjour", (IvrOption("1", PROMISE_TO_PAY, "Tapez 1"),))
    assert render_prompt(unsupported, espeak="/usr/bin/espeak-ng").hashed == "script"  # no voice for it


def test_a_failing_espeak_ng_is_an_error_not_a_silent_fallback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    failing = tmp_path / "espeak-ng"
    failing.write_text("#!/bin/sh\necho 'no voice' >&2\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(RuntimeError, match="status 3"):
        render_prompt(SCRIPT, espeak=str(failing))
    with pytest.raises(RuntimeError, match="could not render"):
        render_prompt(SCRIPT, espeak=str(tmp_path / "missing"))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_ng_renders_the_same_audio_for_the_same_script() -> None:
    first, second = render_prompt(SCRIPT), render_prompt(SCRIPT)
    assert first.has_audio and first.audio is not None and first.audio[:4] == b"RIFF" and first.audio[8:12] == b"WAVE"
    assert (first.hashed, first.engine, first.voice, first.mime_type) == ("audio", "espeak-ng", "hi", "audio/wav")
    assert first.sha256 == hashlib.sha256(first.audio).hexdigest() == second.sha256
    assert first.sha256 != script_sha256(SCRIPT)
    english = IvrScript("en-IN", "Your EMI is due.", (IvrOption("1", PROMISE_TO_PAY, "Press 1 to promise to pay."),))
    assert render_prompt(english).sha256 != first.sha256
