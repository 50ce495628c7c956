"""The channel connectors: SMS, WhatsApp and voice over httpx and kit.resilience, and their webhooks.

Three providers, each in a real provider's public API shape (the simulators under ``/simulators/…``
speak the same HTTP, :mod:`creditdesk.channels.simulator`):

- SMS — :class:`SmsGateway`, Exotel's SMS API (``POST /v1/Accounts/{sid}/Sms/send.json``, form-encoded,
  HTTP basic auth with the API key and token). A send carries the DLT principal entity id
  (``DltEntityId``), the 6-character header (``From``), the DLT template id (``DltTemplateId``), the
  recipient (+91 mobile), the text and its encoding (``plain`` GSM-7 or ``unicode``: see
  :func:`sms_segments`), our client reference (``CustomField``) and the delivery-receipt callback
  (``StatusCallback``).
- WhatsApp — :class:`WhatsAppCloud`, the WhatsApp Business Cloud API (``POST /{version}/{phone number
  id}/messages``, Bearer token); our reference travels in ``biz_opaque_callback_data``, which the
  status webhooks echo.
- Voice — :class:`VoiceGateway`, Exotel's call API (``POST /v1/Accounts/{sid}/Calls/connect.json``) with
  the IVR script (:class:`~creditdesk.channels.voice.IvrScript`) and a JSON status callback carrying the
  call's status, duration and the DTMF digits pressed.

Idempotency: every send carries our client reference, and the providers make one message (one call)
per reference — a retried send answers the message made first. Sends are therefore retried on
transient failures (timeouts, connection errors, 5xx) like the payment connector's payouts; a config
whose provider does not honour that (check at onboarding) sets ``retry_sends=False``, and the caller
then reconciles a :class:`ChannelUnavailable` before sending again.

Failures are the :mod:`creditdesk.kit.provider_errors` family under channel names: ``transient`` tells a
send job to retry later (:class:`ChannelUnavailable`, :class:`ChannelTimeout`, :class:`ChannelThrottled`)
or not (:class:`ChannelAuthError`, :class:`ChannelRejected`, :class:`ChannelBadResponse` …).

Webhooks: :func:`parse_sms_webhook`, :func:`parse_whatsapp_webhook` and :func:`parse_voice_callback`
verify the signature over the raw body (constant time) and parse into the common :class:`Receipt`,
:class:`Inbound` and :class:`CallResult`. WhatsApp signs with ``X-Hub-Signature-256: sha256=<hex HMAC
of the body under the app secret>``. Exotel's callbacks carry no signature of their own; the simulators
sign SMS and voice callbacks the same way under the account's webhook secret in
``X-Callback-Signature`` (a real Exotel account needs the callback URL itself authenticated instead —
an onboarding question, not solved here). Webhooks may come twice and out of order:
:func:`receipt_advances` says whether a receipt moves a message on.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar
from urllib.parse import parse_qs

import httpx

from creditdesk.channels import templates
from creditdesk.channels.voice import IvrScript, RenderedPrompt, script_sha256
from creditdesk.kit.crypto import constant_time_equals
from creditdesk.kit.provider_errors import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderCircuitOpen,
    ProviderConfigError,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderSignatureInvalid,
    ProviderTimeout,
    ProviderUnavailable,
)
from creditdesk.kit.resilience import (
    NO_RETRY,
    BreakerRegistry,
    CircuitOpenError,
    ResilientCaller,
    ResponseTooLarge,
    RetryPolicy,
    UpstreamServerError,
)

USER_AGENT = "CreditDesk channels connector"
#: the simulators' signature of an SMS or voice callback: ``sha256=<hex HMAC-SHA256 of the raw body>``
SIGNATURE_HEADER = "X-Callback-Signature"
#: the Cloud API's signature of a WhatsApp webhook: ``sha256=<hex HMAC-SHA256 of the raw body>``
WHATSAPP_SIGNATURE_HEADER = "X-Hub-Signature-256"
#: Exotel's times are the account's local time (India): ``YYYY-MM-DD HH:MM:SS``
IST = timezone(timedelta(hours=5, minutes=30), "IST")
EXOTEL_TIME = "%Y-%m-%d %H:%M:%S"
#: the customer-service window: free-form WhatsApp text only this long after the user's last message
WHATSAPP_WINDOW = timedelta(hours=24)
#: the Cloud API's error code for free-form text outside the window (reported in a ``failed`` status)
REENGAGEMENT_ERROR = "131047"

Channel = Literal["sms", "whatsapp", "voice", "email"]
ReceiptStatus = Literal["queued", "sent", "delivered", "read", "failed"]
CallStatus = Literal["in-progress", "completed", "failed", "busy", "no-answer"]
SmsEncoding = Literal["gsm7", "ucs2"]

# -- wire helpers (shared with the simulators) ------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of a webhook's raw body under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether ``signature`` (``sha256=<hex>``) signs ``body`` under ``secret`` (constant-time compare)."""
    if not signature or not secret:
        return False
    return constant_time_equals(sign(body, secret), signature.strip())


def is_gsm7(text: str) -> bool:
    """Whether ``text`` fits the GSM 03.38 alphabet (with its extension table)."""
    return templates.sms_encoding(text) == "GSM-7"


def sms_segments(text: str, encoding: SmsEncoding | None = None) -> tuple[SmsEncoding, int]:
    """The encoding an SMS needs (or is sent in) and how many parts it goes in, in the gateway's names
    (``gsm7``/``ucs2``): :func:`creditdesk.channels.templates.sms_segments` counts them."""
    named, segments = templates.sms_segments(text, "UCS-2" if encoding == "ucs2" else None)
    return ("gsm7" if named == "GSM-7" else "ucs2"), segments


_MOBILE = re.compile(r"^[6-9]\d{9}$")


def indian_mobile(number: str) -> str:
    """An Indian mobile number as E.164 (``+91XXXXXXXXXX``); accepts spaces, dashes, ``0`` or ``91`` prefixes."""
    digits = re.sub(r"[\s\-()]", "", number)
    if digits.startswith("+91"):
        digits = digits[3:]
    elif digits.startswith("91") and len(digits) == 12 or digits.startswith("0") and len(digits) == 11:
        digits = digits[-10:]
    if not _MOBILE.match(digits):
        raise ValueError(f"not an Indian mobile number: {number!r}")
    return "+91" + digits


def format_ist(at: float) -> str:
    """A Unix time as Exotel writes it (India time, ``YYYY-MM-DD HH:MM:SS``)."""
    return datetime.fromtimestamp(at, IST).strftime(EXOTEL_TIME)


def parse_ist(value: str) -> datetime:
    """An Exotel time (India time) as an aware UTC datetime; raises ValueError."""
    return datetime.strptime(value.strip(), EXOTEL_TIME).replace(tzinfo=IST).astimezone(UTC)


def window_open(last_inbound_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether free-form WhatsApp text may go now: the user wrote to us within the last 24 hours."""
    if last_inbound_at is None:
        return False
    return (now or datetime.now(UTC)) - last_inbound_at < WHATSAPP_WINDOW


# -- errors ---------------------------------------------------------------------------------------------


class ChannelError(ProviderError):
    """A channel provider call failed; ``provider`` is the channel, ``provider_code`` the provider's code."""

    code = "channel_error"


class ChannelConfigError(ChannelError, ProviderConfigError):
    """The channel's configuration is incomplete or invalid (no callback URL, STARTTLS not offered …)."""

    code = "config_error"


class ChannelAuthError(ChannelError, ProviderAuthError):
    """The provider refused our credentials (401/403, Graph code 190)."""

    code = "auth_error"


class ChannelNotFound(ChannelError, ProviderNotFound):
    """The provider knows no such account, number or message (404)."""

    code = "not_found"


class ChannelRejected(ChannelError, ProviderRejected):
    """The provider refused the message itself (another 4xx): do not send it again unchanged."""

    code = "request_rejected"


class ChannelBadResponse(ChannelError, ProviderBadResponse):
    """The provider's answer or webhook is not what its API promises."""

    code = "bad_response"


class ChannelUnavailable(ChannelError, ProviderUnavailable):
    """No answer, a connection error or 5xx after the retries allowed: retry later with the same reference."""

    code = "unavailable"


class ChannelTimeout(ChannelUnavailable, ProviderTimeout):
    """No answer within the configured timeout (the provider may have accepted the message)."""

    code = "timeout"


class ChannelThrottled(ChannelUnavailable):
    """The provider asks us to slow down (429, Graph rate-limit codes): retry later."""

    code = "throttled"


class ChannelCircuitOpen(ChannelError, ProviderCircuitOpen):
    """The breaker of (tenant, channel) is open; nothing was sent."""

    code = "circuit_open"


class ChannelSignatureInvalid(ChannelError, ProviderSignatureInvalid):
    """A webhook's signature does not match its raw body under the shared secret."""

    code = "signature_invalid"


# -- the common types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    """A message (or call) the provider accepted: its id is what receipts name."""

    channel: Channel
    provider_message_id: str
    status: ReceiptStatus
    reference: str
    recipient: str
    segments: int | None = None
    encoding: SmsEncoding | None = None
    #: voice: the SHA-256 of the prompt's audio, or of the script's canonical text without audio
    prompt_sha256: str | None = None


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt: where one message got to (``error_code``/``error`` when it failed)."""

    provider_message_id: str
    status: ReceiptStatus
    at: datetime
    error_code: str | None = None
    error: str | None = None
    reference: str | None = None
    recipient: str | None = None


@dataclass(frozen=True)
class Inbound:
    """A borrower's reply (``in_reply_to``: the provider id of our message it answers, when known)."""

    provider_message_id: str
    sender: str
    text: str
    at: datetime
    kind: str = "text"
    in_reply_to: str | None = None
    button_payload: str | None = None


@dataclass(frozen=True)
class CallResult:
    """A voice call's status callback: how it ended, how long it lasted, the keys pressed."""

    provider_call_id: str
    status: CallStatus
    at: datetime
    duration_s: int = 0
    digits: str | None = None
    event: Literal["answered", "terminal"] = "terminal"
    reference: str | None = None
    recipient: str | None = None

    def receipt(self) -> Receipt:
        """The call as a message receipt: answered → delivered, ringing → sent, otherwise failed."""
        if self.status == "completed":
            return Receipt(self.provider_call_id, "delivered", self.at, reference=self.reference)
        if self.status == "in-progress":
            return Receipt(self.provider_call_id, "sent", self.at, reference=self.reference)
        return Receipt(
            self.provider_call_id, "failed", self.at, self.status, f"the call ended {self.status}", self.reference
        )


#: how far each status is along: a receipt at the same rank or below is a duplicate or out of order
STATUS_RANK: dict[str, int] = {"queued": 0, "sent": 1, "delivered": 2, "failed": 2, "read": 3}


def receipt_advances(current: ReceiptStatus | None, new: ReceiptStatus) -> bool:
    """Whether a receipt with ``new`` moves a message at ``current`` on (never backwards, never twice)."""
    return current is None or STATUS_RANK[new] > STATUS_RANK[current]


# -- the connector plumbing -------------------------------------------------------------------------


def _http_url(value: str, name: str = "base_url") -> str:
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http(s) URL")
    return value.rstrip("/")


def _reference(reference: str) -> str:
    if not 1 <= len(reference) <= 128 or not reference.isprintable():
        raise ValueError("a client reference is 1 to 128 printable characters")
    return reference


class _ConnectorConfig(Protocol):
    """What every connector's config has."""

    @property
    def tenant_id(self) -> str: ...

    @property
    def timeout_s(self) -> float: ...

    @property
    def retry_sends(self) -> bool: ...


C = TypeVar("C", bound=_ConnectorConfig)


class _Connector(Generic[C]):
    """httpx + retries + the (tenant, channel) breaker, and the mapping of failures to channel errors."""

    channel: ClassVar[Channel]

    def __init__(
        self,
        config: C,
        *,
        client: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        breakers: BreakerRegistry | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        #: a client passed in is shared (its pool and TLS context outlive this connector): not closed here
        self._owns_client = client is None
        self._client = client or httpx.Client(follow_redirects=False)
        self._timeout = httpx.Timeout(config.timeout_s)
        self._retrying = ResilientCaller(breakers=breakers, retry=retry or RetryPolicy(), sleep=sleep)
        self._once = ResilientCaller(breakers=breakers, retry=NO_RETRY, sleep=sleep)
        self._retry_sends = config.retry_sends
        self._breaker_key = (config.tenant_id, f"channels:{self.channel}")

    def close(self) -> None:
        """Close the HTTP client, if this connector made it."""
        if self._owns_client:
            self._client.close()

    def _post(
        self, url: str, *, headers: dict[str, str], data: Mapping[str, Any] | None = None, json_body: Any = None
    ) -> dict[str, Any]:
        return self._call("POST", url, headers=headers, data=data, json_body=json_body)

    def _call(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> dict[str, Any]:
        request = self._client.build_request(
            method,
            url,
            data=data,
            json=json_body,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
            timeout=self._timeout,
        )
        caller = self._retrying if self._retry_sends or method == "GET" else self._once
        name = self.channel
        try:
            response = caller.send(self._client, request, key=self._breaker_key)
        except CircuitOpenError as exc:
            raise ChannelCircuitOpen(f"{name} circuit open; retry in {exc.retry_in_s:.0f} s", provider=name) from None
        except UpstreamServerError as exc:
            raise ChannelUnavailable(f"the {name} provider answered HTTP {exc.status_code}", provider=name) from None
        except httpx.TimeoutException as exc:
            raise ChannelTimeout(
                f"the {name} provider did not answer in time ({type(exc).__name__})", provider=name
            ) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise ChannelUnavailable(
                f"the {name} provider could not be reached ({type(exc).__name__})", provider=name
            ) from None
        except ResponseTooLarge:
            raise ChannelBadResponse(f"the {name} provider's answer is too large", provider=name) from None
        try:
            data_out = response.json()
        except ValueError:
            data_out = None
        if response.status_code >= 400:
            raise self._refusal(response.status_code, data_out)
        if not isinstance(data_out, dict):
            raise ChannelBadResponse(
                f"the {name} provider answered HTTP {response.status_code} without a JSON object", provider=name
            )
        return data_out

    def _refusal(self, status: int, data: Any) -> ChannelError:
        raise NotImplementedError

    def _bad(self, problem: str) -> ChannelBadResponse:
        return ChannelBadResponse(
            f"unexpected answer from the {self.channel} provider: {problem}", provider=self.channel
        )


class _ExotelConfig(_ConnectorConfig, Protocol):
    """What an Exotel-shaped account's config has."""

    @property
    def base_url(self) -> str: ...

    @property
    def account_sid(self) -> str: ...

    @property
    def api_key(self) -> str: ...

    @property
    def api_token(self) -> str: ...


X = TypeVar("X", bound=_ExotelConfig)


class _ExotelConnector(_Connector[X]):
    """Exotel's API shape: HTTP basic auth with the API key and token, form-encoded POSTs, ``RestException``."""

    def _post_form(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        """POST ``form`` to ``{base_url}/v1/Accounts/{account_sid}/{path}``."""
        cfg = self.config
        url = f"{cfg.base_url}/v1/Accounts/{cfg.account_sid}/{path}"
        return self._post(url, headers={"Authorization": _basic(cfg.api_key, cfg.api_token)}, data=form)

    def check(self) -> str:
        """A harmless authenticated call (looks up a message id that cannot exist): the account answers."""
        cfg = self.config
        kind = "Calls" if self.channel == "voice" else "SMS/Messages"
        url = f"{cfg.base_url}/v1/Accounts/{cfg.account_sid}/{kind}/creditdesk-connection-test.json"
        with contextlib.suppress(ChannelNotFound):  # 404 after authentication: the key and token are right
            self._call("GET", url, headers={"Authorization": _basic(cfg.api_key, cfg.api_token)})
        return f"the {self.channel} account {cfg.account_sid} accepted the API key and token"

    def _refusal(self, status: int, data: Any) -> ChannelError:
        """An Exotel error answer (``{"RestException": {"Status", "Code", "Message"}}``) as a channel error."""
        channel = self.channel
        found = data.get("RestException") if isinstance(data, dict) else None
        code = str(found["Code"]) if isinstance(found, dict) and found.get("Code") is not None else None
        message = str(found.get("Message")) if isinstance(found, dict) else f"HTTP {status}"
        if status in (401, 403):
            return ChannelAuthError(
                f"the {channel} provider refused the API key and token", provider=channel, provider_code=code
            )
        if status == 404:
            return ChannelNotFound(message, provider=channel, provider_code=code)
        if status == 429:
            return ChannelThrottled(
                f"the {channel} provider is throttling: {message}", provider=channel, provider_code=code
            )
        return ChannelRejected(
            f"the {channel} provider refused the request: {message}", provider=channel, provider_code=code
        )


def _basic(key: str, token: str) -> str:
    """The ``Authorization`` header of HTTP basic auth with the API key and token."""
    return "Basic " + base64.b64encode(f"{key}:{token}".encode()).decode()


def _check_timeout(timeout_s: float) -> None:
    if not 0 < timeout_s <= 120:
        raise ValueError("timeout_s must be in (0, 120]")


def _exotel_urls(config: SmsConfig | VoiceConfig) -> None:
    """Normalise an Exotel-shaped config's base and callback URLs (in ``__post_init__``)."""
    object.__setattr__(config, "base_url", _http_url(config.base_url))
    if config.status_callback_url is not None:
        object.__setattr__(config, "status_callback_url", _http_url(config.status_callback_url, "status_callback_url"))


def _exotel_credentials(config: SmsConfig | VoiceConfig) -> None:
    """Check an Exotel-shaped config's credentials and timeout (in ``__post_init__``)."""
    if not config.account_sid or not config.api_key or not config.api_token:
        raise ValueError("account_sid, api_key and api_token are required")
    _check_timeout(config.timeout_s)


# -- SMS --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsConfig:
    """A tenant's SMS account (Exotel-shaped): where it is, its credentials, its DLT identity."""

    base_url: str
    account_sid: str
    api_key: str
    api_token: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    #: the DLT principal entity id and the registered 6-character header (sender id)
    entity_id: str
    sender: str
    #: where delivery receipts go unless a send names another URL
    status_callback_url: str | None = None
    sms_type: Literal["transactional", "transactional_opt_in", "promotional"] = "transactional"
    tenant_id: str = "default"
    timeout_s: float = 10.0
    retry_sends: bool = True

    def __post_init__(self) -> None:
        _exotel_urls(self)
        if not re.fullmatch(r"[A-Za-z0-9]{6}", self.sender):
            raise ValueError("sender must be the 6-character DLT header")
        if not re.fullmatch(r"\d{1,30}", self.entity_id):
            raise ValueError("entity_id must be the DLT principal entity id (digits)")
        _exotel_credentials(self)


class SmsGateway(_ExotelConnector[SmsConfig]):
    """One tenant's SMS account: :meth:`send` one DLT-registered SMS to one Indian mobile."""

    channel = "sms"

    def send(
        self, *, to: str, text: str, template_id: str, reference: str, callback_url: str | None = None
    ) -> SendResult:
        """Send ``text`` (the DLT template ``template_id`` filled in) to ``to``; one SMS per ``reference``.

        The encoding is chosen from the text (GSM-7 when it fits, else Unicode). Raises ValueError for a
        number that is not an Indian mobile, and the channel errors for the provider's refusals.
        """
        recipient = indian_mobile(to)
        if not text:
            raise ValueError("an SMS needs text")
        if not re.fullmatch(r"\d{1,30}", template_id):
            raise ValueError("template_id must be the DLT template id (digits)")
        callback = callback_url or self.config.status_callback_url
        if callback is None:
            raise ChannelConfigError("no delivery-receipt callback URL for the SMS account", provider="sms")
        encoding, segments = sms_segments(text)
        form = {
            "From": self.config.sender,
            "To": recipient,
            "Body": text,
            "EncodingType": "plain" if encoding == "gsm7" else "unicode",
            "DltEntityId": self.config.entity_id,
            "DltTemplateId": template_id,
            "SmsType": self.config.sms_type,
            "StatusCallback": _http_url(callback, "callback_url"),
            "CustomField": _reference(reference),
        }
        answer = self._post_form("Sms/send.json", form)
        message = answer.get("SMSMessage")
        if not isinstance(message, dict) or not isinstance(message.get("Sid"), str) or not message["Sid"]:
            raise self._bad("no SMSMessage.Sid")
        units = message.get("SmsUnits")
        return SendResult(
            channel="sms",
            provider_message_id=message["Sid"],
            status=_sms_status(str(message.get("Status", "queued"))),
            reference=reference,
            recipient=recipient,
            segments=units if isinstance(units, int) and not isinstance(units, bool) else segments,
            encoding=encoding,
        )


_SMS_STATUSES: dict[str, ReceiptStatus] = {
    "queued": "queued",
    "sending": "queued",
    "submitted": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "failed": "failed",
    "failed-dnd": "failed",
    "expired": "failed",
    "undelivered": "failed",
    "rejected": "failed",
}


def _sms_status(value: str) -> ReceiptStatus:
    status = _SMS_STATUSES.get(value.strip().lower())
    if status is None:
        raise ChannelBadResponse(f"unknown SMS status {value[:40]!r}", provider="sms")
    return status


def _form(body: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ChannelBadResponse("the callback body is not UTF-8", provider="sms") from None
    return {k: v[-1] for k, v in parsed.items()}


def _ist_or_now(value: str | None) -> datetime:
    if value:
        try:
            return parse_ist(value)
        except ValueError:
            raise ChannelBadResponse(f"not an Exotel time: {value[:40]!r}") from None
    return datetime.now(UTC)


def parse_sms_webhook(body: bytes, signature: str | None, webhook_secret: str) -> Receipt | Inbound:
    """Verify and parse an SMS callback: a delivery receipt (``SmsSid``, ``Status``) or a reply (``From``, ``Body``)."""
    if not verify_signature(body, signature, webhook_secret):
        raise ChannelSignatureInvalid("the SMS callback's signature does not match its body", provider="sms")
    form = _form(body)
    sid = form.get("SmsSid", "")
    if not sid:
        raise ChannelBadResponse("the SMS callback has no SmsSid", provider="sms")
    if "Status" in form:
        status = _sms_status(form["Status"])
        failed = status == "failed"
        return Receipt(
            provider_message_id=sid,
            status=status,
            at=_ist_or_now(form.get("DateSent") or form.get("DateUpdated")),
            error_code=(form.get("DetailedStatusCode") or None) if failed else None,
            error=(form.get("DetailedStatus") or None) if failed else None,
            reference=form.get("CustomField") or None,
            recipient=form.get("To") or None,
        )
    if "Body" in form and form.get("From"):
        return Inbound(
            provider_message_id=sid, sender=form["From"], text=form["Body"], at=_ist_or_now(form.get("Date"))
        )
    raise ChannelBadResponse("the SMS callback is neither a receipt nor a reply", provider="sms")


# -- WhatsApp ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatsAppConfig:
    """A tenant's WhatsApp Business number on the Cloud API."""

    base_url: str
    phone_number_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)
    api_version: str = "v21.0"
    tenant_id: str = "default"
    timeout_s: float = 10.0
    retry_sends: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", _http_url(self.base_url))
        if not re.fullmatch(r"v\d+\.\d+", self.api_version):
            raise ValueError("api_version looks like v21.0")
        if not re.fullmatch(r"\d{1,30}", self.phone_number_id):
            raise ValueError("phone_number_id is the number's Graph id (digits)")
        if not self.access_token or not self.app_secret:
            raise ValueError("access_token and app_secret are required")
        _check_timeout(self.timeout_s)


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved template message: its ``name``, ``language`` code and the body's ``{{n}}`` values."""

    name: str
    language: str
    body_params: tuple[str, ...] = ()
    header_params: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        """The ``template`` object of a send."""
        components: list[dict[str, Any]] = []
        for kind, params in (("header", self.header_params), ("body", self.body_params)):
            if params:
                components.append({"type": kind, "parameters": [{"type": "text", "text": p} for p in params]})
        return {"name": self.name, "language": {"code": self.language}, "components": components}


@dataclass(frozen=True)
class WhatsAppText:
    """Free-form text: only inside the 24-hour window after the user's last message (:func:`window_open`)."""

    body: str
    preview_url: bool = False


#: Graph error codes that mean "slow down, then retry"
_GRAPH_THROTTLED = {4, 80007, 130429, 131048, 131056}


class WhatsAppCloud(_Connector[WhatsAppConfig]):
    """One tenant's WhatsApp number: :meth:`send` a template or, inside the window, free-form text."""

    channel = "whatsapp"

    def send(self, *, to: str, message: WhatsAppTemplate | WhatsAppText, reference: str) -> SendResult:
        """Send ``message`` to ``to`` (an Indian mobile); one message per ``reference`` (``biz_opaque_callback_data``).

        Free-form text outside the window is accepted here and fails afterwards: the ``failed`` status
        webhook carries :data:`REENGAGEMENT_ERROR` (131047), as the Cloud API does.
        """
        recipient = indian_mobile(to)
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient,
            "biz_opaque_callback_data": _reference(reference),
        }
        if isinstance(message, WhatsAppTemplate):
            body.update(type="template", template=message.to_wire())
        else:
            if not message.body:
                raise ValueError("a WhatsApp text needs a body")
            body.update(type="text", text={"body": message.body, "preview_url": message.preview_url})
        cfg = self.config
        url = f"{cfg.base_url}/{cfg.api_version}/{cfg.phone_number_id}/messages"
        answer = self._post(url, headers={"Authorization": f"Bearer {cfg.access_token}"}, json_body=body)
        messages = answer.get("messages")
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
            raise self._bad("no messages[0]")
        wamid = messages[0].get("id")
        if not isinstance(wamid, str) or not wamid:
            raise self._bad("no messages[0].id")
        return SendResult("whatsapp", wamid, "queued", reference, recipient)

    def check(self) -> str:
        """Read the number's profile (``GET /{version}/{phone_number_id}``): the token may use the number."""
        cfg = self.config
        url = f"{cfg.base_url}/{cfg.api_version}/{cfg.phone_number_id}"
        answer = self._call("GET", url, headers={"Authorization": f"Bearer {cfg.access_token}"})
        shown = answer.get("display_phone_number") or cfg.phone_number_id
        quality = answer.get("quality_rating")
        return f"WhatsApp number {shown} is reachable" + (f" (quality {quality})" if quality else "")

    def _refusal(self, status: int, data: Any) -> ChannelError:
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            error = {}
        raw_code = error.get("code")
        code = str(raw_code) if raw_code is not None else None
        details = error.get("error_data", {}).get("details") if isinstance(error.get("error_data"), dict) else None
        message = str(details or error.get("message") or f"HTTP {status}")
        if status == 401 or raw_code == 190:
            return ChannelAuthError("the Cloud API refused the access token", provider="whatsapp", provider_code=code)
        if status == 403 or raw_code in (10, 200):
            return ChannelAuthError(
                f"the access token may not send: {message}", provider="whatsapp", provider_code=code
            )
        if status == 429 or raw_code in _GRAPH_THROTTLED or error.get("is_transient") is True:
            return ChannelThrottled(
                f"the Cloud API asks to retry later: {message}", provider="whatsapp", provider_code=code
            )
        if status == 404:
            return ChannelNotFound(message, provider="whatsapp", provider_code=code)
        return ChannelRejected(f"the Cloud API refused the message: {message}", provider="whatsapp", provider_code=code)


def verify_subscription(params: Mapping[str, str], verify_token: str) -> str:
    """Answer Meta's webhook subscription check (``GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…``)."""
    if params.get("hub.mode") != "subscribe" or not constant_time_equals(
        params.get("hub.verify_token", ""), verify_token
    ):
        raise ChannelSignatureInvalid("the webhook subscription's verify token does not match", provider="whatsapp")
    return params.get("hub.challenge", "")


def _unix(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ChannelBadResponse(f"not a Unix time: {str(value)[:40]!r}", provider="whatsapp") from None


def _wa_receipt(status: dict[str, Any]) -> Receipt | None:
    state = status.get("status")
    if state not in ("sent", "delivered", "read", "failed"):
        return None  # deleted, warning …: nothing to record for a message's delivery
    wamid = status.get("id")
    if not isinstance(wamid, str) or not wamid:
        raise ChannelBadResponse("a WhatsApp status has no id", provider="whatsapp")
    error_code = error = None
    errors = status.get("errors")
    if state == "failed" and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        error_code = str(first.get("code")) if first.get("code") is not None else None
        data = first.get("error_data")
        detail = data.get("details") if isinstance(data, dict) else None
        error = str(detail or first.get("message") or first.get("title") or "failed")
    recipient = status.get("recipient_id")
    return Receipt(
        provider_message_id=wamid,
        status=state,
        at=_unix(status.get("timestamp")),
        error_code=error_code,
        error=error,
        reference=status.get("biz_opaque_callback_data") or None,
        recipient=f"+{recipient}" if isinstance(recipient, str) and recipient.isdigit() else None,
    )


def _wa_inbound(message: dict[str, Any]) -> Inbound:
    wamid, sender = message.get("id"), message.get("from")
    if not isinstance(wamid, str) or not isinstance(sender, str) or not sender:
        raise ChannelBadResponse("a WhatsApp message has no id or sender", provider="whatsapp")
    kind = str(message.get("type", "unknown"))
    text, payload = "", None
    if kind == "text" and isinstance(message.get("text"), dict):
        text = str(message["text"].get("body", ""))
    elif kind == "button" and isinstance(message.get("button"), dict):  # a template's quick-reply button
        text, payload = str(message["button"].get("text", "")), message["button"].get("payload")
    elif kind == "interactive" and isinstance(message.get("interactive"), dict):
        reply = message["interactive"].get("button_reply") or message["interactive"].get("list_reply") or {}
        text, payload = str(reply.get("title", "")), reply.get("id")
    context = message.get("context")
    return Inbound(
        provider_message_id=wamid,
        sender=f"+{sender}" if sender.isdigit() else sender,
        text=text,
        at=_unix(message.get("timestamp")),
        kind=kind,
        in_reply_to=context.get("id") if isinstance(context, dict) else None,
        button_payload=str(payload) if payload is not None else None,
    )


def parse_whatsapp_webhook(body: bytes, signature: str | None, app_secret: str) -> list[Receipt | Inbound]:
    """Verify (``X-Hub-Signature-256``) and parse a Cloud API webhook: its statuses and inbound messages."""
    if not verify_signature(body, signature, app_secret):
        raise ChannelSignatureInvalid("the WhatsApp webhook's signature does not match its body", provider="whatsapp")
    try:
        data = json.loads(body)
    except ValueError:
        raise ChannelBadResponse("the WhatsApp webhook is not JSON", provider="whatsapp") from None
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise ChannelBadResponse("not a whatsapp_business_account webhook", provider="whatsapp")
    found: list[Receipt | Inbound] = []
    for entry in data.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                continue
            for status in value.get("statuses") or []:
                receipt = _wa_receipt(status) if isinstance(status, dict) else None
                if receipt is not None:
                    found.append(receipt)
            for message in value.get("messages") or []:
                if isinstance(message, dict):
                    found.append(_wa_inbound(message))
    return found


# -- voice ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceConfig:
    """A tenant's voice account (Exotel-shaped): credentials and the caller id (ExoPhone) calls come from."""

    base_url: str
    account_sid: str
    api_key: str
    api_token: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    caller_id: str
    status_callback_url: str | None = None
    tenant_id: str = "default"
    timeout_s: float = 10.0
    retry_sends: bool = True

    def __post_init__(self) -> None:
        _exotel_urls(self)
        if not re.fullmatch(r"\+?\d{6,15}", self.caller_id):
            raise ValueError("caller_id must be the ExoPhone's number")
        _exotel_credentials(self)


class VoiceGateway(_ExotelConnector[VoiceConfig]):
    """One tenant's voice account: :meth:`send` places one IVR call."""

    channel = "voice"

    def send(
        self,
        *,
        to: str,
        script: IvrScript,
        reference: str,
        prompt: RenderedPrompt | None = None,
        callback_url: str | None = None,
        time_limit_s: int = 180,
        ring_timeout_s: int = 30,
    ) -> SendResult:
        """Call ``to`` and play ``script``; one call per ``reference``.

        ``prompt`` is the rendered prompt (:func:`~creditdesk.channels.voice.render_prompt`) whose hash is
        stored with the call; without it, the hash of the script's canonical text. ``time_limit_s`` caps
        the call, ``ring_timeout_s`` how long it rings before it is a no-answer.
        """
        recipient = indian_mobile(to)
        callback = callback_url or self.config.status_callback_url
        if callback is None:
            raise ChannelConfigError("no status callback URL for the voice account", provider="voice")
        prompt_sha256 = prompt.sha256 if prompt is not None else script_sha256(script)
        form = {
            "From": recipient,
            "CallerId": self.config.caller_id,
            "CallType": "trans",
            "TimeLimit": str(time_limit_s),
            "TimeOut": str(ring_timeout_s),
            "StatusCallback": _http_url(callback, "callback_url"),
            "StatusCallbackContentType": "application/json",
            "StatusCallbackEvents[0]": "terminal",
            "StatusCallbackEvents[1]": "answered",
            "CustomField": _reference(reference),
            "IvrScript": json.dumps(script.to_wire(), ensure_ascii=False, separators=(",", ":")),
            "PromptSha256": prompt_sha256,
        }
        answer = self._post_form("Calls/connect.json", form)
        call = answer.get("Call")
        if not isinstance(call, dict) or not isinstance(call.get("Sid"), str) or not call["Sid"]:
            raise self._bad("no Call.Sid")
        return SendResult("voice", call["Sid"], "queued", reference, recipient, prompt_sha256=prompt_sha256)


_CALL_STATUSES: dict[str, CallStatus] = {
    "in-progress": "in-progress",
    "ringing": "in-progress",
    "completed": "completed",
    "failed": "failed",
    "busy": "busy",
    "no-answer": "no-answer",
    "canceled": "failed",
}


def parse_voice_callback(body: bytes, signature: str | None, webhook_secret: str) -> CallResult:
    """Verify and parse a voice status callback (JSON): the call's status, duration and digits."""
    if not verify_signature(body, signature, webhook_secret):
        raise ChannelSignatureInvalid("the voice callback's signature does not match its body", provider="voice")
    try:
        data = json.loads(body)
    except ValueError:
        raise ChannelBadResponse("the voice callback is not JSON", provider="voice") from None
    if not isinstance(data, dict) or not isinstance(data.get("CallSid"), str) or not data["CallSid"]:
        raise ChannelBadResponse("the voice callback has no CallSid", provider="voice")
    status = _CALL_STATUSES.get(str(data.get("Status", "")).lower())
    if status is None:
        raise ChannelBadResponse(f"unknown call status {str(data.get('Status'))[:40]!r}", provider="voice")
    event: Literal["answered", "terminal"] = "answered" if data.get("EventType") == "answered" else "terminal"
    duration = data.get("ConversationDuration", data.get("Duration")) or 0
    try:
        duration_s = int(duration)
    except (TypeError, ValueError):
        raise ChannelBadResponse("the call's duration is not a number", provider="voice") from None
    digits = data.get("Digits")
    digits = str(digits).strip('"') if digits not in (None, "") else None
    return CallResult(
        provider_call_id=data["CallSid"],
        status=status,
        at=_ist_or_now(data.get("DateUpdated") or data.get("EndTime")),
        duration_s=duration_s,
        digits=digits or None,
        event=event,
        reference=data.get("CustomField") or None,
        recipient=data.get("From") or None,
    )
