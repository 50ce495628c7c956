"""The simulated voice/IVR gateway, in the shape of Exotel's call API, under ``/simulators/voice``.

Provider API (HTTP basic auth with the API key and token; form-encoded; JSON answers):

- ``POST /v1/Accounts/{sid}/Calls/connect.json`` — ``From`` (the borrower's ``+91`` mobile, called first),
  ``CallerId`` (our ExoPhone), ``CallType`` (``trans``), ``TimeLimit``, ``TimeOut``, ``StatusCallback``,
  ``StatusCallbackContentType`` (``application/json``: the only kind simulated), ``StatusCallbackEvents[n]``
  (``terminal``, ``answered``), ``CustomField`` (our client reference: one call per reference) and
  ``IvrScript`` — the script as JSON (:class:`~creditdesk.channels.voice.IvrScript`). A real Exotel call
  plays a flow built in Exotel's dashboard and named by ``Url``; the simulator has no dashboard, so the
  flow travels with the call (``Url`` is accepted and kept). ``PromptSha256``, the hash of the rendered
  prompt, is kept with the call. Answers ``{"Call": {"Sid", "Status": "in-progress", …}}``.
- ``GET /v1/Accounts/{sid}/Calls/{call_sid}.json`` — the call now.

Status callbacks are JSON POSTs signed ``X-Callback-Signature: sha256=<hex HMAC-SHA256 of the raw body
under the account's webhook secret>`` (Exotel itself does not sign): ``answered`` (when subscribed and
answered) then ``terminal`` with ``CallSid``, ``Status``, ``ConversationDuration``, ``Digits`` and
``CustomField``. By the borrower's last digit ``d`` (:mod:`.state`): 0-5 — answered, and the borrower
presses the script's option number ``d mod (number of options)`` in the order given (with options 1, 2,
9: d=0 → 1, 1 → 2, 2 → 9, 3 → 1 …); 6 — answered, nothing pressed; 7 — failed; 8 — busy; 9 — no answer.
An answered call lasts ``12 + (last two digits mod 40)`` seconds (at most ``TimeLimit``).

Control (no auth, dev/demo only): ``GET /sandbox-credentials``, ``PUT /accounts/{sid}``,
``GET``/``PUT /accounts/{sid}/faults``, ``GET /accounts/{sid}/deliveries``, ``GET /accounts/{sid}/calls``.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass, field

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse

from creditdesk.channels.providers import SIGNATURE_HEADER, format_ist, sign
from creditdesk.channels.simulator import runner
from creditdesk.channels.simulator.sms import ERRORS, ExotelSetup, authenticate
from creditdesk.channels.simulator.state import (
    AccountRegistry,
    Callback,
    ConfiguredAccount,
    Json,
    Outcome,
    ReferenceConflict,
    last_digit,
    number_rule,
)
from creditdesk.channels.voice import IvrScript

PREFIX = "/simulators/voice"
SANDBOX_SID = "creditdesk-sandbox"
SANDBOX_API_KEY = "sim-voice-api-key-0001"
SANDBOX_API_TOKEN = "sim-voice-api-token-0001"
SANDBOX_WEBHOOK_SECRET = "sim-voice-webhook-secret-0001"
SANDBOX_CALLER_ID = "+918047100300"
_MOBILE = re.compile(r"^\+91[6-9]\d{9}$")


class VoiceSetup(ExotelSetup):
    """A voice account's settings (``PUT /simulators/voice/accounts/{sid}``)."""


@dataclass(kw_only=True)
class VoiceAccount(ConfiguredAccount[VoiceSetup]):
    """One simulated voice account (keyed by its sid)."""

    calls: dict[str, Json] = field(default_factory=dict)


@dataclass
class VoiceSimulator(AccountRegistry[VoiceAccount, VoiceSetup]):
    """The simulated voice gateway: accounts by sid (the sandbox account exists from the start)."""

    channel = "voice"

    def __post_init__(self) -> None:
        sandbox = VoiceSetup(
            api_key=SANDBOX_API_KEY, api_token=SANDBOX_API_TOKEN, webhook_secret=SANDBOX_WEBHOOK_SECRET
        )
        self.configure(SANDBOX_SID, sandbox)

    def new_account(self, key: str, rng: random.Random, setup: VoiceSetup) -> VoiceAccount:
        """A new voice account."""
        return VoiceAccount(key=key, rng=rng, now=self.now, seed=self.seed, setup=setup)


# -- operations (under the account's lock; no I/O) ---------------------------------------------------


def _int(form: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = form.get(name) or str(default)
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ERRORS.bad_request(f"{name}: a whole number from {low} to {high}")
    return int(raw)


def _outcome(number: str, script: IvrScript, time_limit: int) -> tuple[str, int, str | None]:
    """(status, duration in seconds, digits pressed) by the number's rule."""
    rule = number_rule(number)
    if rule != "ok":
        return {"failed": "failed", "other": "busy", "silent": "no-answer"}[rule], 0, None
    digit = last_digit(number)
    pressed = script.options[digit % len(script.options)].digit if digit <= 5 else None
    tail = int("".join(ch for ch in number if ch.isdigit())[-2:])
    return "completed", min(12 + tail % 40, time_limit), pressed


def _callback(account: VoiceAccount, call: Json, event: str, url: str) -> Callback:
    payload: Json = {
        "CallSid": call["Sid"],
        "EventType": event,
        "DateCreated": call["DateCreated"],
        "DateUpdated": call["DateUpdated"],
        "Status": "in-progress" if event == "answered" else call["Status"],
        "To": call["To"],
        "From": call["From"],
        "PhoneNumberSid": call["PhoneNumberSid"],
        "Direction": "outbound-api",
        "StartTime": call["StartTime"],
        "EndTime": call["EndTime"] if event == "terminal" else None,
        "ConversationDuration": call["Duration"] if event == "terminal" else 0,
        "Digits": call["Digits"] if event == "terminal" else None,
        "RecordingUrl": None,
        "CustomField": call["CustomField"],
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, account.setup.webhook_secret)}
    return Callback(url, body, headers, f"{call['Sid']}:{event}")


def connect(account: VoiceAccount, form: dict[str, str]) -> Outcome:
    """``POST /v1/Accounts/{sid}/Calls/connect.json``: one call per ``CustomField``; the outcome by the number."""
    number = form.get("From", "").strip()
    if not _MOBILE.match(number):
        raise ERRORS.bad_request("From: the number to call, an Indian mobile in E.164 (+91XXXXXXXXXX)")
    caller_id = form.get("CallerId", "").strip()
    if not re.fullmatch(r"\+?\d{6,15}", caller_id):
        raise ERRORS.bad_request("CallerId: your ExoPhone is required")
    call_type = form.get("CallType", "trans")
    if call_type not in ("trans", "promo"):
        raise ERRORS.bad_request("CallType: trans or promo")
    callback = form.get("StatusCallback") or None
    if callback is not None and (not re.match(r"^https?://", callback) or len(callback) > 2000):
        raise ERRORS.bad_request("StatusCallback: must be an http(s) URL")
    if form.get("StatusCallbackContentType", "application/json") != "application/json":
        raise ERRORS.bad_request("StatusCallbackContentType: the simulator sends application/json callbacks only")
    events = {v for k, v in form.items() if k.startswith("StatusCallbackEvents")} or {"terminal"}
    if not events <= {"terminal", "answered"}:
        raise ERRORS.bad_request("StatusCallbackEvents: terminal and answered")
    time_limit = _int(form, "TimeLimit", 14_400, 1, 14_400)
    time_out = _int(form, "TimeOut", 30, 1, 300)
    try:
        script = IvrScript.from_wire(json.loads(form.get("IvrScript") or "null"))
    except ValueError as exc:
        raise ERRORS.bad_request(f"IvrScript: {exc}") from None
    prompt_sha256 = form.get("PromptSha256") or None
    if prompt_sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", prompt_sha256):
        raise ERRORS.bad_request("PromptSha256: 64 lower-case hex digits")
    reference = form.get("CustomField") or None
    if reference is not None and len(reference) > 128:
        raise ERRORS.bad_request("CustomField: at most 128 characters")
    identity: Json = {"From": number, "CallerId": caller_id, "IvrScript": script.canonical_text()}
    try:
        made = account.seen(reference, identity)
    except ReferenceConflict as exc:
        raise ERRORS.error(409, f"CustomField {reference} was already used for another call ({exc.made})") from None
    if made is not None:
        return Outcome({"Call": _public(account.calls[made])})
    sid = account.hex_id()
    now = format_ist(account.now())
    call: Json = {
        "Sid": sid,
        "ParentCallSid": None,
        "DateCreated": now,
        "DateUpdated": now,
        "AccountSid": account.key,
        "To": caller_id,
        "From": number,
        "PhoneNumberSid": caller_id,
        "Status": "in-progress",
        "StartTime": now,
        "EndTime": None,
        "Duration": None,
        "Price": None,
        "Direction": "outbound-api",
        "AnsweredBy": None,
        "ForwardedFrom": None,
        "CallerName": None,
        "Uri": f"/v1/Accounts/{account.key}/Calls/{sid}.json",
        "RecordingUrl": None,
        "CustomField": reference,
        "CallType": call_type,
        "TimeOut": time_out,
        "Url": form.get("Url") or None,
        "PromptSha256": prompt_sha256,
        "IvrScript": script.to_wire(),
        "Digits": None,
    }
    answer = {"Call": _public(call)}
    account.calls[sid] = call
    account.remember(reference, identity, sid)
    status, duration, digits = _outcome(number, script, time_limit)
    callbacks = []
    if callback is not None and status == "completed" and "answered" in events:
        callbacks.append(_callback(account, call, "answered", callback))
    call.update(Status=status, Duration=duration, Digits=digits, EndTime=format_ist(account.now() + duration))
    call["DateUpdated"] = call["EndTime"]
    if callback is not None:
        callbacks.append(_callback(account, call, "terminal", callback))
    return Outcome(answer, callbacks=callbacks)


def _public(call: Json) -> Json:
    """The call as Exotel shows it (without the script the simulator keeps)."""
    return {k: copy.deepcopy(v) for k, v in call.items() if k != "IvrScript"}


def fetch(account: VoiceAccount, call_sid: str) -> Outcome:
    """``GET /v1/Accounts/{sid}/Calls/{call_sid}.json``."""
    call = account.calls.get(call_sid)
    if call is None:
        raise ERRORS.error(404, f"Call {call_sid} not found")
    return Outcome({"Call": _public(call)})


# -- routes -------------------------------------------------------------------------------------------


def build_router(sim: VoiceSimulator, *, include_in_schema: bool = False) -> APIRouter:
    """The simulated voice gateway's routes (prefix ``/simulators/voice``)."""
    router = APIRouter(prefix=PREFIX, tags=["simulator: voice"], include_in_schema=include_in_schema)

    @router.post("/v1/Accounts/{sid}/Calls/connect.json")
    async def connect_call(sid: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        return await runner.run_authenticated(
            request, background, lambda: authenticate(sim, sid, request), ERRORS, runner.form_body, connect
        )

    @router.get("/v1/Accounts/{sid}/Calls/{call_sid}.json")
    async def get_call(sid: str, call_sid: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        return await runner.run_authenticated(
            request,
            background,
            lambda: authenticate(sim, sid, request),
            ERRORS,
            runner.json_body,
            lambda account, _: fetch(account, call_sid),
        )

    runner.add_sandbox_route(
        router,
        {
            "account_sid": SANDBOX_SID,
            "api_key": SANDBOX_API_KEY,
            "api_token": SANDBOX_API_TOKEN,
            "webhook_secret": SANDBOX_WEBHOOK_SECRET,
            "caller_id": SANDBOX_CALLER_ID,
        },
    )

    @router.put("/accounts/{sid}")
    async def put_account(sid: str, setup: VoiceSetup) -> JSONResponse:
        sim.configure(sid, setup)
        return JSONResponse({"account_sid": sid})

    runner.add_list_route(
        router, "/accounts/{key}/calls", sim.account, "account", lambda a: a.calls.values(), "list_calls"
    )

    runner.add_control_routes(router, "/accounts/{key}", sim.account, "account")
    return router
