"""The simulated WhatsApp Business Cloud API, under ``/simulators/whatsapp``.

Provider API: ``POST /{version}/{phone_number_id}/messages`` with ``Authorization: Bearer <access token>``
and ``{"messaging_product": "whatsapp", "to", "type": "template" | "text", "template": {"name",
"language": {"code"}, "components": […]} | "text": {"body"}, "biz_opaque_callback_data"}``; answers
``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid.…"}]}``;
refusals in the Graph API's error shape (``{"error": {"message", "type", "code", "error_data",
"fbtrace_id"}}``: 190 bad token, 100 invalid parameter, 132001 unknown template, 132000 wrong number
of parameters). ``biz_opaque_callback_data`` is our client reference: the same reference never makes a
second message (the simulator's promise; with another message it is refused).

The 24-hour customer-service window, as the Cloud API enforces it: free-form ``text`` is accepted,
then — when the user's last message to this number is more than 24 hours old, or there is none —
fails with a ``failed`` status carrying error 131047 (Re-engagement message). Templates go any time.

Webhooks go to the app's ``webhook_url`` in the Cloud API's shape (``object: whatsapp_business_account``,
``entry[].changes[].value.statuses[]`` / ``value.messages[]``, ``field: messages``), signed
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the app secret>``, one status per
POST. By the recipient's last digit (:mod:`.state`): sent, delivered, read (0-6); failed 131026 (7);
sent, delivered (8); sent (9).

Control (no auth, dev/demo only): ``GET /sandbox-credentials``; ``PUT /apps/{phone_number_id}``;
``GET``/``PUT /apps/{phone_number_id}/faults``; ``GET /apps/{phone_number_id}/deliveries``;
``GET /apps/{phone_number_id}/messages``; ``POST /apps/{phone_number_id}/inbound``
``{"from": "+91…", "text": "…", "name"?, "reply_to"?, "button_payload"?, "at"?}`` — the borrower writes
(at Unix time ``at``, default now), which opens the window and is posted as a ``messages`` webhook.
"""

from __future__ import annotations

import base64
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from creditdesk.channels.providers import WHATSAPP_SIGNATURE_HEADER, WHATSAPP_WINDOW, sign
from creditdesk.channels.simulator import runner
from creditdesk.channels.simulator.state import (
    AccountRegistry,
    Callback,
    ConfiguredAccount,
    Json,
    Outcome,
    ReferenceConflict,
    SimError,
    number_rule,
)
from creditdesk.kit.crypto import constant_time_equals

PREFIX = "/simulators/whatsapp"
SANDBOX_PHONE_NUMBER_ID = "100200300400500"
SANDBOX_WABA_ID = "200300400500600"
SANDBOX_DISPLAY_NUMBER = "918047100200"
SANDBOX_ACCESS_TOKEN = "EAASimCreditDeskWhatsAppSandboxToken0001"
SANDBOX_APP_SECRET = "sim-whatsapp-app-secret-0001"
ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
_VERSION = re.compile(r"^v\d{1,2}\.\d$")
_WA_ID = re.compile(r"^\d{8,15}$")
UNDELIVERABLE = (131026, "Message undeliverable", "Message Undeliverable.")
REENGAGEMENT = (
    131047,
    "Re-engagement message",
    "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
)
Plan = list[tuple[str, tuple[int, str, str] | None]]
#: the statuses a message goes through, by the recipient's rule (:func:`.state.number_rule`)
STATUS_PLANS: dict[str, Plan] = {
    "ok": [("sent", None), ("delivered", None), ("read", None)],
    "failed": [("failed", UNDELIVERABLE)],
    "other": [("sent", None), ("delivered", None)],
    "silent": [("sent", None)],
}


class TemplateSpec(BaseModel):
    """An approved template: its languages and how many ``{{n}}`` its body has."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str] = Field(min_length=1, max_length=50)
    body_params: int = Field(default=0, ge=0, le=100)


class WhatsAppSetup(BaseModel):
    """A WhatsApp number's settings (``PUT /simulators/whatsapp/apps/{phone_number_id}``).

    With ``templates`` empty any template name goes; otherwise only those, with their parameter count.
    """

    model_config = ConfigDict(extra="forbid")

    access_token: str = Field(min_length=8, max_length=500)
    app_secret: str = Field(min_length=8, max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    waba_id: str = Field(default=SANDBOX_WABA_ID, pattern=r"^\d{1,30}$")
    display_phone_number: str = Field(default=SANDBOX_DISPLAY_NUMBER, pattern=r"^\d{8,15}$")
    templates: dict[str, TemplateSpec] = Field(default_factory=dict, max_length=1000)


class InboundWhatsApp(BaseModel):
    """A borrower's message (``POST /simulators/whatsapp/apps/{phone_number_id}/inbound``)."""

    model_config = ConfigDict(extra="forbid")

    sender: str = Field(alias="from", pattern=r"^\+?\d{8,15}$")
    text: str = Field(min_length=1, max_length=4096)
    name: str = Field(default="Borrower", max_length=100)
    reply_to: str | None = Field(default=None, max_length=200)
    button_payload: str | None = Field(default=None, max_length=200)
    at: float | None = Field(default=None, ge=0)


class GraphErrors:
    """Refusals in the Graph API's shape."""

    @staticmethod
    def error(
        status: int,
        code: int,
        message: str,
        details: str | None = None,
        *,
        kind: str = "OAuthException",
        subcode: int | None = None,
        transient: bool | None = None,
    ) -> SimError:
        """A refusal: ``{"error": {"message", "type", "code", …, "fbtrace_id"}}``."""
        error: Json = {"message": message, "type": kind, "code": code}
        if details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        if subcode is not None:
            error["error_subcode"] = subcode
        if transient is not None:
            error["is_transient"] = transient
        error["fbtrace_id"] = "A" + uuid.uuid4().hex[:22]
        headers = {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'} if status == 401 else None
        return SimError(status, {"error": error}, headers)

    def bad_request(self, message: str) -> SimError:
        """``(#100) Invalid parameter`` with the details."""
        return self.error(400, 100, "(#100) Invalid parameter", message)

    def server_error(self, status: int) -> SimError:
        """An injected 5xx: ``Service temporarily unavailable``, transient."""
        return self.error(status, 2, "Service temporarily unavailable", transient=True)


ERRORS = GraphErrors()


@dataclass(kw_only=True)
class WhatsAppAccount(ConfiguredAccount[WhatsAppSetup]):
    """One simulated WhatsApp Business number (keyed by its phone number id)."""

    messages: dict[str, Json] = field(default_factory=dict)
    #: wa_id → the Unix time of the user's last message to this number (opens the 24-hour window)
    last_inbound: dict[str, float] = field(default_factory=dict)

    def wamid(self, wa_id: str) -> str:
        """A message id like the Cloud API's (``wamid.`` and base64; call under the lock)."""
        raw = f"\x15\x02\x00\x11\x18\x12{wa_id}:{self.token(18, '0123456789ABCDEF')}".encode()
        return "wamid." + base64.b64encode(raw).decode()


@dataclass
class WhatsAppSimulator(AccountRegistry[WhatsAppAccount, WhatsAppSetup]):
    """The simulated Cloud API: numbers by phone number id (the sandbox number exists from the start)."""

    channel = "whatsapp"

    def __post_init__(self) -> None:
        self.configure(
            SANDBOX_PHONE_NUMBER_ID, WhatsAppSetup(access_token=SANDBOX_ACCESS_TOKEN, app_secret=SANDBOX_APP_SECRET)
        )

    def new_account(self, key: str, rng: random.Random, setup: WhatsAppSetup) -> WhatsAppAccount:
        """A new WhatsApp number."""
        return WhatsAppAccount(key=key, rng=rng, now=self.now, seed=self.seed, setup=setup)


# -- operations (under the account's lock; no I/O) ---------------------------------------------------


def _webhook(account: WhatsAppAccount, value: Json, label: str) -> Callback | None:
    url = account.setup.webhook_url
    if url is None:
        return None
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": account.setup.waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": account.setup.display_phone_number,
                                "phone_number_id": account.key,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }
    body = _json_bytes(payload)
    headers = {"Content-Type": "application/json", WHATSAPP_SIGNATURE_HEADER: sign(body, account.setup.app_secret)}
    return Callback(url, body, headers, label)


def _json_bytes(payload: Json) -> bytes:
    """Compact UTF-8 JSON, as Meta sends it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _status(account: WhatsAppAccount, message: Json, state: str, error: tuple[int, str, str] | None) -> Json:
    at = int(account.now())
    status: Json = {
        "id": message["id"],
        "status": state,
        "timestamp": str(at),
        "recipient_id": message["wa_id"],
    }
    if message["reference"] is not None:
        status["biz_opaque_callback_data"] = message["reference"]
    if state == "failed" and error is not None:
        code, title, details = error
        status["errors"] = [
            {"code": code, "title": title, "message": title, "error_data": {"details": details}, "href": ERROR_HREF}
        ]
    else:
        category = "utility" if message["type"] == "template" else "service"
        status["conversation"] = {
            "id": message["conversation_id"],
            "expiration_timestamp": str(int(message["created"]) + 86_400),
            "origin": {"type": category},
        }
        status["pricing"] = {"billable": True, "pricing_model": "PMP", "category": category}
    message["status"] = state
    message["statuses"].append({"status": state, "timestamp": at})
    return status


def _template(account: WhatsAppAccount, template: Any) -> Json:
    if not isinstance(template, dict):
        raise ERRORS.bad_request("template: an object with name, language and components is required")
    name, language = template.get("name"), template.get("language")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,512}", name):
        raise ERRORS.bad_request("template.name: lower-case letters, digits and underscores")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        raise ERRORS.bad_request("template.language.code is required")
    code = language["code"]
    components = template.get("components", [])
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise ERRORS.bad_request("template.components must be a list of objects")
    body_params = 0
    for component in components:
        kind, params = component.get("type"), component.get("parameters", [])
        if kind not in ("header", "body", "button", "footer") or not isinstance(params, list):
            raise ERRORS.bad_request("template.components[].type is header, body or button, with parameters")
        for param in params:
            if not isinstance(param, dict) or param.get("type") != "text" or not isinstance(param.get("text"), str):
                raise ERRORS.bad_request('the simulator takes text parameters: {"type": "text", "text": …}')
        if kind == "body":
            body_params += len(params)
    spec = account.setup.templates.get(name)
    if account.setup.templates and (spec is None or code not in spec.languages):
        raise ERRORS.error(
            400,
            132001,
            "(#132001) Template name does not exist in the translation",
            f"template name ({name}) does not exist in {code}",
        )
    if spec is not None and spec.body_params != body_params:
        raise ERRORS.error(
            400,
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
            f"body: number of localizable_params ({body_params}) does not match the expected number of params "
            f"({spec.body_params})",
        )
    return {"name": name, "language": {"code": code}, "components": components}


async def _no_body(request: Request, errors: runner.ErrorShape) -> Json:
    return {}


def profile(account: WhatsAppAccount, body: Json) -> Outcome:
    """``GET /{version}/{phone_number_id}``: the number's profile, as the Cloud API shows it."""
    return Outcome(
        {
            "verified_name": "CreditDesk Sandbox",
            "display_phone_number": account.setup.display_phone_number,
            "id": account.key,
            "quality_rating": "GREEN",
            "code_verification_status": "VERIFIED",
        }
    )


def send(account: WhatsAppAccount, body: Json) -> Outcome:
    """``POST /{version}/{phone_number_id}/messages``: a template any time, text inside the 24-hour window."""
    if body.get("messaging_product") != "whatsapp":
        raise ERRORS.bad_request("messaging_product must be whatsapp")
    if body.get("recipient_type", "individual") != "individual":
        raise ERRORS.bad_request("recipient_type must be individual")
    to = body.get("to")
    wa_id = to.strip().removeprefix("+") if isinstance(to, str) else ""
    if not _WA_ID.match(wa_id):
        raise ERRORS.bad_request("to: a phone number with its country code")
    kind = body.get("type", "text")
    content: Json
    if kind == "text":
        text = body.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not 1 <= len(text["body"]) <= 4096:
            raise ERRORS.bad_request("text.body: 1 to 4096 characters")
        content = {"body": text["body"], "preview_url": bool(text.get("preview_url", False))}
    elif kind == "template":
        content = _template(account, body.get("template"))
    else:
        raise ERRORS.bad_request("type: the simulator sends template and text messages")
    reference = body.get("biz_opaque_callback_data")
    if reference is not None and (not isinstance(reference, str) or not 1 <= len(reference) <= 512):
        raise ERRORS.bad_request("biz_opaque_callback_data: 1 to 512 characters")
    identity: Json = {"wa_id": wa_id, "type": kind, kind: content}
    try:
        made = account.seen(reference, identity)
    except ReferenceConflict as exc:
        raise ERRORS.bad_request(f"biz_opaque_callback_data {reference} was already used for {exc.made}") from None
    if made is None:
        made, callbacks = _new_message(account, wa_id, kind, content, reference)
        account.remember(reference, identity, made)
    else:
        callbacks = []
    entry: Json = {"id": made}
    if kind == "template":
        entry["message_status"] = "accepted"
    answer = {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": wa_id}], "messages": [entry]}
    return Outcome(answer, callbacks=callbacks)


def _new_message(
    account: WhatsAppAccount, wa_id: str, kind: str, content: Json, reference: str | None
) -> tuple[str, list[Callback]]:
    now = account.now()
    wamid = account.wamid(wa_id)
    message: Json = {
        "id": wamid,
        "wa_id": wa_id,
        "type": kind,
        kind: content,
        "reference": reference,
        "created": now,
        "conversation_id": account.token(32, "0123456789abcdef"),
        "status": "accepted",
        "statuses": [],
    }
    account.messages[wamid] = message
    last = account.last_inbound.get(wa_id)
    window_open = last is not None and now - last < WHATSAPP_WINDOW.total_seconds()
    plan = [("failed", REENGAGEMENT)] if kind == "text" and not window_open else STATUS_PLANS[number_rule(wa_id)]
    callbacks = []
    for state, error in plan:
        status = _status(account, message, state, error)
        callback = _webhook(account, {"statuses": [status]}, f"{wamid}:{state}")
        if callback is not None:
            callbacks.append(callback)
    return wamid, callbacks


def inbound(account: WhatsAppAccount, reply: InboundWhatsApp) -> Outcome:
    """The borrower writes to the number: opens the 24-hour window, posted as a ``messages`` webhook."""
    wa_id = reply.sender.removeprefix("+")
    at = reply.at if reply.at is not None else account.now()
    account.last_inbound[wa_id] = max(at, account.last_inbound.get(wa_id, 0.0))
    wamid = account.wamid(wa_id)
    message: Json = {"from": wa_id, "id": wamid, "timestamp": str(int(at))}
    if reply.button_payload is not None:
        message.update(type="button", button={"payload": reply.button_payload, "text": reply.text})
    else:
        message.update(type="text", text={"body": reply.text})
    if reply.reply_to is not None:
        message["context"] = {"from": account.setup.display_phone_number, "id": reply.reply_to}
    value = {"contacts": [{"profile": {"name": reply.name}, "wa_id": wa_id}], "messages": [message]}
    callback = _webhook(account, value, f"{wamid}:inbound")
    answer = {"id": wamid, "wa_id": wa_id, "window_open_until": int(at + WHATSAPP_WINDOW.total_seconds())}
    answer["webhook_url"] = account.setup.webhook_url
    return Outcome(answer, 201, [callback] if callback is not None else [])


# -- routes -------------------------------------------------------------------------------------------


def authenticate(sim: WhatsAppSimulator, phone_number_id: str, request: Request) -> WhatsAppAccount:
    """The number's account when the request carries its Bearer access token."""
    account = sim.account(phone_number_id)
    if account is None:
        raise ERRORS.error(
            400,
            100,
            f"Unsupported post request. Object with ID '{phone_number_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation.",
            kind="GraphMethodException",
            subcode=33,
        )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_equals(token.strip(), account.setup.access_token):
        raise ERRORS.error(401, 190, "Invalid OAuth access token - Cannot parse access token")
    return account


def build_router(sim: WhatsAppSimulator, *, include_in_schema: bool = False) -> APIRouter:
    """The simulated Cloud API's routes (prefix ``/simulators/whatsapp``)."""
    router = APIRouter(prefix=PREFIX, tags=["simulator: whatsapp"], include_in_schema=include_in_schema)

    runner.add_sandbox_route(
        router,
        {
            "phone_number_id": SANDBOX_PHONE_NUMBER_ID,
            "waba_id": SANDBOX_WABA_ID,
            "access_token": SANDBOX_ACCESS_TOKEN,
            "app_secret": SANDBOX_APP_SECRET,
            "display_phone_number": SANDBOX_DISPLAY_NUMBER,
        },
    )

    @router.put("/apps/{phone_number_id}")
    async def put_app(phone_number_id: str, setup: WhatsAppSetup) -> JSONResponse:
        if not re.fullmatch(r"\d{1,30}", phone_number_id):
            return JSONResponse({"detail": "a phone number id is digits"}, 422)
        sim.configure(phone_number_id, setup)
        return JSONResponse({"phone_number_id": phone_number_id, "webhook_url": setup.webhook_url})

    runner.add_list_route(
        router, "/apps/{key}/messages", sim.account, "app", lambda a: a.messages.values(), "list_messages"
    )

    @router.post("/apps/{phone_number_id}/inbound")
    async def post_inbound(phone_number_id: str, reply: InboundWhatsApp, background: BackgroundTasks) -> JSONResponse:
        return runner.apply_control(
            background, sim.account, phone_number_id, "app", lambda account: inbound(account, reply)
        )

    runner.add_control_routes(router, "/apps/{key}", sim.account, "app")

    @router.get("/{version}/{phone_number_id}")
    async def get_phone_number(
        version: str, phone_number_id: str, request: Request, background: BackgroundTasks
    ) -> JSONResponse:
        if not _VERSION.match(version):
            return runner.error_response(ERRORS.error(400, 2500, f"Unknown path components: /{version}"))
        return await runner.run_authenticated(
            request, background, lambda: authenticate(sim, phone_number_id, request), ERRORS, _no_body, profile
        )

    @router.post("/{version}/{phone_number_id}/messages")
    async def send_message(
        version: str, phone_number_id: str, request: Request, background: BackgroundTasks
    ) -> JSONResponse:
        if not _VERSION.match(version):
            return runner.error_response(ERRORS.error(400, 2500, f"Unknown path components: /{version}"))
        return await runner.run_authenticated(
            request, background, lambda: authenticate(sim, phone_number_id, request), ERRORS, runner.json_body, send
        )

    return router
