"""The simulated SMS gateway, in the shape of Exotel's SMS API, under ``/simulators/sms``.

Provider API (HTTP basic auth with the account's API key and token; form-encoded parameters; JSON
answers, as Exotel's ``.json`` endpoints):

- ``POST /v1/Accounts/{sid}/Sms/send.json`` — ``From`` (the 6-character DLT header), ``To`` (``+91`` mobile),
  ``Body``, ``EncodingType`` (``plain`` GSM-7 or ``unicode``), ``DltEntityId``, ``DltTemplateId``,
  ``SmsType``, ``StatusCallback`` (the delivery-receipt URL) and ``CustomField`` (our client reference:
  the same reference never makes a second message; the same reference with another message is 409).
  Answers ``{"SMSMessage": {"Sid", "Status": "queued", "SmsUnits": <segments>, …}}``.
- ``GET /v1/Accounts/{sid}/SMS/Messages/{sms_sid}.json`` — the message now.

Delivery receipts go to ``StatusCallback`` as form-encoded POSTs (``SmsSid``, ``To``, ``Status``,
``DetailedStatus``, ``DetailedStatusCode``, ``DateSent``, ``SmsUnits``, ``CustomField``), signed in
``X-Callback-Signature: sha256=<hex HMAC-SHA256 of the raw body under the account's webhook secret>``
(Exotel itself does not sign). By the recipient's last digit (:mod:`.state`): ``submitted`` then
``delivered`` (0-6), ``submitted`` then ``failed`` 23010 FAILED_INVALID_NUMBER (7), ``submitted`` then
``expired`` 23090 EXPIRED_ABSENT_SUBSCRIBER (8), no receipt at all (9). When the account has DLT
templates registered (``dlt_templates``: template id → the approved text with ``{#var#}``), a body
that does not match its template fails with 23082 FAILED_DLT_TEMPLATE, as operator scrubbing does.

Control (no auth, dev/demo only): ``GET /sandbox-credentials``; ``PUT /accounts/{sid}``;
``GET``/``PUT /accounts/{sid}/faults``; ``GET /accounts/{sid}/deliveries``; ``GET /accounts/{sid}/messages``;
``POST /accounts/{sid}/inbound`` ``{"from": "+91…", "text": "…"}`` — a borrower replies to the
account's virtual number: the reply goes, signed, to the account's ``inbound_url`` (``SmsSid``, ``From``,
``To``, ``Date``, ``Body``).
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from creditdesk.channels.providers import SIGNATURE_HEADER, format_ist, is_gsm7, sign, sms_segments
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

PREFIX = "/simulators/sms"
SANDBOX_SID = "creditdesk-sandbox"
SANDBOX_API_KEY = "sim-sms-api-key-0001"
SANDBOX_API_TOKEN = "sim-sms-api-token-0001"
SANDBOX_WEBHOOK_SECRET = "sim-sms-webhook-secret-0001"
SANDBOX_VIRTUAL_NUMBER = "+918047100100"
SMS_TYPES = ("transactional", "transactional_opt_in", "promotional")
_MOBILE = re.compile(r"^\+91[6-9]\d{9}$")
_DIGITS = re.compile(r"^\d{1,30}$")
#: the receipts' statuses: (Status, DetailedStatusCode, DetailedStatus)
SUBMITTED = ("submitted", 21020, "SUBMITTED")
DELIVERED = ("delivered", 20005, "DELIVERED_TO_HANDSET")
INVALID_NUMBER = ("failed", 23010, "FAILED_INVALID_NUMBER")
EXPIRED = ("expired", 23090, "EXPIRED_ABSENT_SUBSCRIBER")
DLT_MISMATCH = ("failed", 23082, "FAILED_DLT_TEMPLATE")


class ExotelSetup(BaseModel):
    """What every Exotel-shaped account (SMS, voice) is set up with: API key and token, webhook secret."""

    model_config = ConfigDict(extra="forbid")

    api_key: str = Field(min_length=4, max_length=200)
    api_token: str = Field(min_length=8, max_length=200)
    webhook_secret: str = Field(min_length=8, max_length=200)


class SmsSetup(ExotelSetup):
    """An SMS account's settings (``PUT /simulators/sms/accounts/{sid}``)."""

    inbound_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    virtual_number: str = Field(default=SANDBOX_VIRTUAL_NUMBER, pattern=r"^\+\d{8,15}$")
    dlt_templates: dict[str, str] = Field(default_factory=dict, max_length=1000)


class InboundSms(BaseModel):
    """A borrower's reply (``POST /simulators/sms/accounts/{sid}/inbound``)."""

    model_config = ConfigDict(extra="forbid")

    sender: str = Field(alias="from", pattern=r"^\+91[6-9]\d{9}$")
    text: str = Field(min_length=1, max_length=2000)


class ExotelErrors:
    """Refusals in Exotel's shape: ``{"RestException": {"Status", "Code", "Message"}}``."""

    @staticmethod
    def error(status: int, message: str, code: int | None = None) -> SimError:
        """A refusal."""
        headers = {"WWW-Authenticate": 'Basic realm="Exotel"'} if status == 401 else None
        return SimError(status, {"RestException": {"Status": status, "Code": code, "Message": message}}, headers)

    def bad_request(self, message: str) -> SimError:
        """A 400."""
        return self.error(400, message)

    def server_error(self, status: int) -> SimError:
        """An injected 5xx."""
        return self.error(status, "Internal error, please retry" if status != 504 else "Gateway timeout")


ERRORS = ExotelErrors()
E = TypeVar("E", bound=ConfiguredAccount[Any])


@dataclass(kw_only=True)
class SmsAccount(ConfiguredAccount[SmsSetup]):
    """One simulated SMS account (keyed by its sid)."""

    messages: dict[str, Json] = field(default_factory=dict)
    inbound: list[Json] = field(default_factory=list)


@dataclass
class SmsSimulator(AccountRegistry[SmsAccount, SmsSetup]):
    """The simulated SMS gateway: accounts by sid (the sandbox account exists from the start)."""

    channel = "sms"

    def __post_init__(self) -> None:
        sandbox = SmsSetup(api_key=SANDBOX_API_KEY, api_token=SANDBOX_API_TOKEN, webhook_secret=SANDBOX_WEBHOOK_SECRET)
        self.configure(SANDBOX_SID, sandbox)

    def new_account(self, key: str, rng: random.Random, setup: SmsSetup) -> SmsAccount:
        """A new SMS account."""
        return SmsAccount(key=key, rng=rng, now=self.now, seed=self.seed, setup=setup)


# -- operations (under the account's lock; no I/O) ---------------------------------------------------


def _dlt_matches(approved: str, body: str) -> bool:
    """Whether ``body`` is the DLT text ``approved`` with each ``{#var#}`` filled (up to 30 characters)."""
    parts = [re.escape(p) for p in re.split(r"\{#var#\}", approved, flags=re.IGNORECASE)]
    return re.fullmatch(r"(?s)" + r".{1,30}".join(parts), body) is not None


def _receipt(account: SmsAccount, message: Json, state: tuple[str, int, str], url: str) -> Callback:
    status, code, detail = state
    at = format_ist(account.now())
    message.update(Status=status, DetailedStatusCode=code, DetailedStatus=detail, DateUpdated=at)
    if status in ("submitted", "delivered") and message["DateSent"] is None:
        message["DateSent"] = at
    fields = {
        "SmsSid": message["Sid"],
        "AccountSid": message["AccountSid"],
        "From": message["From"],
        "To": message["To"],
        "Status": status,
        "DetailedStatus": detail,
        "DetailedStatusCode": str(code),
        "DateSent": at,
        "SmsUnits": str(message["SmsUnits"]),
        "CustomField": message["CustomField"] or "",
    }
    body = urlencode(fields).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        SIGNATURE_HEADER: sign(body, account.setup.webhook_secret),
    }
    return Callback(url, body, headers, f"{message['Sid']}:{status}")


def _field(form: dict[str, str], name: str, pattern: re.Pattern[str], problem: str) -> str:
    value = form.get(name, "").strip()
    if not pattern.match(value):
        raise ERRORS.bad_request(f"{name}: {problem}")
    return value


def send(account: SmsAccount, form: dict[str, str]) -> Outcome:
    """``POST /v1/Accounts/{sid}/Sms/send.json``: one message per ``CustomField``; receipts by the number's rule."""
    sender = _field(form, "From", re.compile(r"^[A-Za-z0-9]{6}$"), "must be the 6-character DLT header")
    to = _field(form, "To", _MOBILE, "must be an Indian mobile number in E.164 (+91XXXXXXXXXX)")
    entity_id = _field(form, "DltEntityId", _DIGITS, "the DLT principal entity id is required (digits)")
    template_id = _field(form, "DltTemplateId", _DIGITS, "the DLT template id is required (digits)")
    body = form.get("Body", "")
    if not 1 <= len(body) <= 2000:
        raise ERRORS.bad_request("Body: must be 1 to 2000 characters")
    encoding_type = form.get("EncodingType", "plain")
    if encoding_type not in ("plain", "unicode"):
        raise ERRORS.bad_request("EncodingType: must be plain or unicode")
    if encoding_type == "plain" and not is_gsm7(body):
        raise ERRORS.bad_request("Body: has characters outside GSM-7; send it with EncodingType=unicode")
    sms_type = form.get("SmsType", "transactional")
    if sms_type not in SMS_TYPES:
        raise ERRORS.bad_request("SmsType: must be transactional, transactional_opt_in or promotional")
    callback = form.get("StatusCallback") or None
    if callback is not None and (not re.match(r"^https?://", callback) or len(callback) > 2000):
        raise ERRORS.bad_request("StatusCallback: must be an http(s) URL")
    reference = form.get("CustomField") or None
    if reference is not None and len(reference) > 128:
        raise ERRORS.bad_request("CustomField: at most 128 characters")
    identity: Json = {
        "From": sender,
        "To": to,
        "Body": body,
        "EncodingType": encoding_type,
        "DltEntityId": entity_id,
        "DltTemplateId": template_id,
    }
    try:
        made = account.seen(reference, identity)
    except ReferenceConflict as exc:
        raise ERRORS.error(409, f"CustomField {reference} was already used for another message ({exc.made})") from None
    if made is not None:
        return Outcome({"SMSMessage": copy.deepcopy(account.messages[made])})
    _, segments = sms_segments(body, "gsm7" if encoding_type == "plain" else "ucs2")
    sid = account.hex_id()
    now = format_ist(account.now())
    message: Json = {
        "Sid": sid,
        "AccountSid": account.key,
        "From": sender,
        "To": to,
        "DateCreated": now,
        "DateUpdated": now,
        "DateSent": None,
        "Body": body,
        "Direction": "outbound-api",
        "Uri": f"/v1/Accounts/{account.key}/SMS/Messages/{sid}.json",
        "ApiVersion": None,
        "Price": None,
        "Status": "queued",
        "DetailedStatusCode": 21010,
        "DetailedStatus": "QUEUED",
        "SmsUnits": segments,
        "EncodingType": encoding_type,
        "DltEntityId": entity_id,
        "DltTemplateId": template_id,
        "SmsType": sms_type,
        "CustomField": reference,
    }
    answer = {"SMSMessage": copy.deepcopy(message)}
    account.messages[sid] = message
    account.remember(reference, identity, sid)
    # the message moves to its final state now (fetches show it); the receipts go only with a callback URL
    receipts = [
        _receipt(account, message, state, callback or "") for state in _receipt_states(account, to, template_id, body)
    ]
    return Outcome(answer, callbacks=receipts if callback else [])


def _receipt_states(account: SmsAccount, to: str, template_id: str, body: str) -> list[tuple[str, int, str]]:
    approved = account.setup.dlt_templates
    if approved and not _dlt_matches(approved.get(template_id, "\x00"), body):
        return [DLT_MISMATCH]
    rule = number_rule(to)
    if rule == "ok":
        return [SUBMITTED, DELIVERED]
    if rule == "failed":
        return [SUBMITTED, INVALID_NUMBER]
    if rule == "other":
        return [SUBMITTED, EXPIRED]
    return []  # silent: the operator never reports


def fetch(account: SmsAccount, sms_sid: str) -> Outcome:
    """``GET /v1/Accounts/{sid}/SMS/Messages/{sms_sid}.json``."""
    message = account.messages.get(sms_sid)
    if message is None:
        raise ERRORS.error(404, f"SMS {sms_sid} not found")
    return Outcome({"SMSMessage": copy.deepcopy(message)})


def inbound(account: SmsAccount, reply: InboundSms) -> Outcome:
    """A borrower's reply to the account's virtual number, posted signed to ``inbound_url``."""
    sid = account.hex_id()
    record: Json = {
        "SmsSid": sid,
        "From": reply.sender,
        "To": account.setup.virtual_number,
        "Date": format_ist(account.now()),
        "Body": reply.text,
    }
    account.inbound.append(record)
    url = account.setup.inbound_url
    answer = {**record, "webhook_url": url}
    if url is None:
        return Outcome(answer, 201)
    body = urlencode(record).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        SIGNATURE_HEADER: sign(body, account.setup.webhook_secret),
    }
    return Outcome(answer, 201, [Callback(url, body, headers, f"{sid}:inbound")])


# -- routes -------------------------------------------------------------------------------------------


def authenticate(sim: AccountRegistry[E, Any], sid: str, request: Request) -> E:
    """The Exotel-shaped account ``sid`` when the request carries its API key and token (HTTP basic)."""
    account = sim.account(sid)
    if account is None or not runner.basic_auth_matches(request, account.setup.api_key, account.setup.api_token):
        raise ERRORS.error(401, "Authentication failed: check the API key and token")
    return account


def build_router(sim: SmsSimulator, *, include_in_schema: bool = False) -> APIRouter:
    """The simulated SMS gateway's routes (prefix ``/simulators/sms``)."""
    router = APIRouter(prefix=PREFIX, tags=["simulator: sms"], include_in_schema=include_in_schema)

    @router.post("/v1/Accounts/{sid}/Sms/send.json")
    async def send_sms(sid: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        return await runner.run_authenticated(
            request, background, lambda: authenticate(sim, sid, request), ERRORS, runner.form_body, send
        )

    @router.get("/v1/Accounts/{sid}/SMS/Messages/{sms_sid}.json")
    async def get_sms(sid: str, sms_sid: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        return await runner.run_authenticated(
            request,
            background,
            lambda: authenticate(sim, sid, request),
            ERRORS,
            runner.json_body,
            lambda account, _: fetch(account, sms_sid),
        )

    # -- control ------------------------------------------------------------------------------------

    runner.add_sandbox_route(
        router,
        {
            "account_sid": SANDBOX_SID,
            "api_key": SANDBOX_API_KEY,
            "api_token": SANDBOX_API_TOKEN,
            "webhook_secret": SANDBOX_WEBHOOK_SECRET,
            "virtual_number": SANDBOX_VIRTUAL_NUMBER,
        },
    )

    @router.put("/accounts/{sid}")
    async def put_account(sid: str, setup: SmsSetup) -> JSONResponse:
        sim.configure(sid, setup)
        return JSONResponse({"account_sid": sid, "inbound_url": setup.inbound_url})

    runner.add_list_route(
        router, "/accounts/{key}/messages", sim.account, "account", lambda a: a.messages.values(), "list_messages"
    )

    @router.post("/accounts/{sid}/inbound")
    async def post_inbound(sid: str, reply: InboundSms, background: BackgroundTasks) -> JSONResponse:
        return runner.apply_control(background, sim.account, sid, "account", lambda account: inbound(account, reply))

    runner.add_control_routes(router, "/accounts/{key}", sim.account, "account")
    return router
