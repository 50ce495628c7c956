"""A simulated e-sign service provider (ESP) in the style of Aadhaar eSign, over real HTTP.

The flow, under ``/simulators/esign``:

1. the lender ``POST /v1/sign-requests`` (``X-Api-Key``) with the SHA-256 of the document (the KFS or
   the agreement), the signer's name, a reference and a callback URL → ``201`` with the request id and
   the ``signing_url`` the borrower opens;
2. the borrower opens ``GET /sign/{id}`` (what is being signed), asks for an OTP with
   ``POST /sign/{id}/otp`` (the last four digits of the Aadhaar number; the simulator, having no phone
   to text, returns the OTP as ``sandbox_otp``) and enters it with ``POST /sign/{id}/verify``;
3. a right OTP signs: the ESP records the document hash, issues a signature certificate id and
   calls the callback URL back with the outcome, signed with HMAC-SHA256 (:mod:`.esign_wire`); three
   wrong OTPs fail the request; ``POST /sign/{id}/abandon`` (or the injected ``abandon_rate``) is the
   borrower walking away; a request not signed within its time to live expires (seen lazily, on the
   next look at it). Every terminal outcome is called back once.

``GET /v1/sign-requests/{id}`` and ``GET /v1/certificates/{certificate_id}`` answer the lender's
reconciliation. Faults as the bureau simulators: ``PUT /faults`` with ``latency_ms``, ``error_rate``
(503 on lender API calls), ``outage`` and ``abandon_rate``. State lives in the app instance only.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from creditdesk.config import Settings
from creditdesk.kit.crypto import constant_time_equals
from creditdesk.lending.esign_wire import (
    API_KEY_HEADER,
    SIGNATURE_HEADER,
    TERMINAL,
    TIMESTAMP_HEADER,
    SignStatus,
    sign_callback,
)

SANDBOX_API_KEY = "esign-sandbox-api-key-0001"
SANDBOX_WEBHOOK_SECRET = "esign-sandbox-webhook-secret-0001"
DEFAULT_TTL_S = 900
MAX_OTP_ATTEMPTS = 3
CALLBACK_ATTEMPTS = 3

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class EsignFaults(BaseModel):
    """Faults injected into the simulated ESP."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    outage: bool = False
    abandon_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class SignRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_hash: Sha256Hex
    document_name: str = Field(min_length=1, max_length=200)
    signer_name: str = Field(min_length=1, max_length=200)
    reference: str = Field(min_length=1, max_length=100)
    callback_url: str | None = Field(default=None, max_length=2000)


class OtpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aadhaar_last4: str = Field(pattern=r"^[0-9]{4}$")


class OtpEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    otp: str = Field(min_length=1, max_length=12)


@dataclass
class SignRequest:
    """One signing request's state."""

    id: str
    document_hash: str
    document_name: str
    signer_name: str
    reference: str
    callback_url: str | None
    created_at: datetime
    expires_at: datetime
    status: SignStatus = "pending"
    otp: str | None = None
    otp_attempts: int = 0
    aadhaar_last4: str | None = None
    certificate_id: str | None = None
    signature: str | None = None
    signed_at: datetime | None = None
    callbacks: list[int | str] = field(default_factory=list)

    def view(self, base: str) -> dict[str, Any]:
        """The request as the lender's API shows it."""
        return {
            "id": self.id,
            "status": self.status,
            "reference": self.reference,
            "document_name": self.document_name,
            "document_hash": self.document_hash,
            "signer_name": self.signer_name,
            "signing_url": f"{base}/sign/{self.id}",
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "certificate_id": self.certificate_id,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "otp_attempts": self.otp_attempts,
            "callbacks": list(self.callbacks),
        }


@dataclass
class EsignSimulator:
    """The simulated ESP's state: its sandbox secrets, requests, certificates and faults."""

    api_key: str = SANDBOX_API_KEY
    webhook_secret: str = SANDBOX_WEBHOOK_SECRET
    ttl_s: int = DEFAULT_TTL_S
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    faults: EsignFaults = field(default_factory=EsignFaults)
    rng: random.Random = field(default_factory=random.Random)
    requests: dict[str, SignRequest] = field(default_factory=dict)
    certificates: dict[str, str] = field(default_factory=dict)  # certificate id → request id
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def roll(self) -> float:
        """A random number in [0, 1) (thread-safe)."""
        with self._lock:
            return self.rng.random()

    async def inject(self) -> JSONResponse | None:
        """Wait the injected latency; a 503 answer when an outage or an error is injected."""
        faults = self.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage or self.roll() < faults.error_rate:
            return JSONResponse({"error": "service_unavailable", "detail": "the ESP is unavailable"}, 503)
        return None

    async def finish(self, req: SignRequest, status: SignStatus) -> None:
        """Move a request to a terminal status and call its callback back (once per outcome)."""
        req.status = status
        req.otp = None
        if req.callback_url:
            await self._call_back(req)

    async def _call_back(self, req: SignRequest) -> None:
        body = json.dumps(
            {
                "event": f"esign.{req.status}",
                "request_id": req.id,
                "reference": req.reference,
                "status": req.status,
                "document_hash": req.document_hash,
                "certificate_id": req.certificate_id,
                "signed_at": req.signed_at.isoformat() if req.signed_at else None,
            },
            separators=(",", ":"),
        ).encode()
        timestamp = int(self.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_callback(body, timestamp, self.webhook_secret),
            TIMESTAMP_HEADER: str(timestamp),
        }
        async with httpx.AsyncClient(timeout=5) as client:
            for _ in range(CALLBACK_ATTEMPTS):
                try:
                    response = await client.post(str(req.callback_url), content=body, headers=headers)
                except httpx.HTTPError as exc:
                    req.callbacks.append(type(exc).__name__)
                    continue
                req.callbacks.append(response.status_code)
                if response.status_code < 500:
                    return

    async def expire_if_due(self, req: SignRequest) -> None:
        """Expire a request still open past its time to live."""
        if req.status not in TERMINAL and self.now() >= req.expires_at:
            await self.finish(req, "expired")


def _error(code: int, error: str, detail: str, /, **more: Any) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, **more}, status_code=code)


def _base(url: str) -> str:
    return url.split("/simulators/esign", 1)[0] + "/simulators/esign"


def build_router(sim: EsignSimulator, *, include_in_schema: bool = False) -> APIRouter:  # noqa: C901 - one route each
    """The simulated ESP's routes (to mount under ``/simulators/esign``)."""
    router = APIRouter(include_in_schema=include_in_schema, tags=["simulators"])

    def authorised(api_key: str | None) -> bool:
        return api_key is not None and constant_time_equals(api_key, sim.api_key)

    def lookup(request_id: str) -> SignRequest | None:
        return sim.requests.get(request_id)

    @router.get("/faults", response_model=EsignFaults)
    async def get_faults() -> EsignFaults:
        return sim.faults

    @router.put("/faults", response_model=EsignFaults)
    async def put_faults(faults: EsignFaults) -> EsignFaults:
        sim.faults = faults
        return sim.faults

    @router.get("/sandbox-credentials")
    async def sandbox_credentials() -> dict[str, str]:
        return {"api_key": sim.api_key, "webhook_secret": sim.webhook_secret}

    @router.post("/v1/sign-requests", status_code=201, response_model=None)
    async def create(
        request: Request, body: SignRequestCreate, x_api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None
    ) -> JSONResponse | dict[str, Any]:
        if not authorised(x_api_key):
            return _error(401, "unauthorised", "a valid X-Api-Key is required")
        if failed := await sim.inject():
            return failed
        now = sim.now()
        req = SignRequest(
            id="esr_" + secrets.token_hex(10),
            document_hash=body.document_hash,
            document_name=body.document_name,
            signer_name=body.signer_name,
            reference=body.reference,
            callback_url=body.callback_url,
            created_at=now,
            expires_at=now + timedelta(seconds=sim.ttl_s),
        )
        sim.requests[req.id] = req
        return JSONResponse(req.view(_base(str(request.url))), status_code=201)

    @router.get("/v1/sign-requests", response_model=None)
    async def find(
        request: Request,
        reference: Annotated[str, Query(min_length=1, max_length=100)],
        x_api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None,
    ) -> JSONResponse | dict[str, Any]:
        if not authorised(x_api_key):
            return _error(401, "unauthorised", "a valid X-Api-Key is required")
        if failed := await sim.inject():
            return failed
        found = sorted((r for r in sim.requests.values() if r.reference == reference), key=lambda r: r.created_at)
        for req in found:
            await sim.expire_if_due(req)
        return {"items": [req.view(_base(str(request.url))) for req in found]}

    @router.get("/v1/sign-requests/{request_id}", response_model=None)
    async def read(
        request: Request, request_id: str, x_api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None
    ) -> JSONResponse | dict[str, Any]:
        if not authorised(x_api_key):
            return _error(401, "unauthorised", "a valid X-Api-Key is required")
        if failed := await sim.inject():
            return failed
        req = lookup(request_id)
        if req is None:
            return _error(404, "not_found", "no such sign request")
        await sim.expire_if_due(req)
        return req.view(_base(str(request.url)))

    @router.get("/v1/certificates/{certificate_id}", response_model=None)
    async def certificate(
        certificate_id: str, x_api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None
    ) -> JSONResponse | dict[str, Any]:
        if not authorised(x_api_key):
            return _error(401, "unauthorised", "a valid X-Api-Key is required")
        req = lookup(sim.certificates.get(certificate_id, ""))
        if req is None or req.signed_at is None:
            return _error(404, "not_found", "no such certificate")
        return {
            "certificate_id": certificate_id,
            "request_id": req.id,
            "document_hash": req.document_hash,
            "signer_name": req.signer_name,
            "aadhaar_last4": req.aadhaar_last4,
            "signed_at": req.signed_at.isoformat(),
            "signature": req.signature,
        }

    @router.get("/sign/{request_id}", response_model=None)
    async def signing_page(request_id: str) -> JSONResponse | dict[str, Any]:
        req = lookup(request_id)
        if req is None:
            return _error(404, "not_found", "no such sign request")
        await sim.expire_if_due(req)
        return {
            "id": req.id,
            "status": req.status,
            "document_name": req.document_name,
            "document_hash": req.document_hash,
            "signer_name": req.signer_name,
            "next": "POST otp with aadhaar_last4, then POST verify with the OTP",
        }

    async def open_request(request_id: str) -> SignRequest | JSONResponse:
        req = lookup(request_id)
        if req is None:
            return _error(404, "not_found", "no such sign request")
        await sim.expire_if_due(req)
        if req.status in TERMINAL:
            return _error(409, req.status, f"the sign request is {req.status}", status=req.status)
        return req

    @router.post("/sign/{request_id}/otp", response_model=None)
    async def send_otp(request_id: str, body: OtpRequest) -> JSONResponse | dict[str, Any]:
        req = await open_request(request_id)
        if isinstance(req, JSONResponse):
            return req
        if sim.roll() < sim.faults.abandon_rate:
            await sim.finish(req, "abandoned")
            return _error(409, "abandoned", "the signer left the signing page", status="abandoned")
        req.otp = f"{secrets.randbelow(1_000_000):06d}"
        req.aadhaar_last4 = body.aadhaar_last4
        req.status = "otp_sent"
        return {"status": req.status, "masked_mobile": "XXXXXX" + body.aadhaar_last4, "sandbox_otp": req.otp}

    @router.post("/sign/{request_id}/verify", response_model=None)
    async def verify(request_id: str, body: OtpEntry) -> JSONResponse | dict[str, Any]:
        req = await open_request(request_id)
        if isinstance(req, JSONResponse):
            return req
        if req.otp is None:
            return _error(409, "otp_not_sent", "ask for an OTP first", status=req.status)
        if not constant_time_equals(body.otp, req.otp):
            req.otp_attempts += 1
            left = MAX_OTP_ATTEMPTS - req.otp_attempts
            if left <= 0:
                await sim.finish(req, "failed")
                return _error(400, "otp_attempts_exhausted", "too many wrong OTPs", status="failed", attempts_left=0)
            return _error(400, "wrong_otp", "the OTP does not match", status=req.status, attempts_left=left)
        req.signed_at = sim.now()
        req.certificate_id = "esc_" + secrets.token_hex(12)
        message = f"{req.certificate_id}:{req.document_hash}:{req.signed_at.isoformat()}".encode()
        req.signature = sign_callback(message, 0, sim.webhook_secret)
        sim.certificates[req.certificate_id] = req.id
        await sim.finish(req, "signed")
        return {"status": req.status, "certificate_id": req.certificate_id, "document_hash": req.document_hash}

    @router.post("/sign/{request_id}/abandon", response_model=None)
    async def abandon(request_id: str) -> JSONResponse | dict[str, Any]:
        req = await open_request(request_id)
        if isinstance(req, JSONResponse):
            return req
        await sim.finish(req, "abandoned")
        return {"status": req.status}

    return router


def esign_router(sim: EsignSimulator | None = None, *, include_in_schema: bool = False) -> APIRouter:
    """The simulated ESP under ``/simulators/esign``."""
    router = APIRouter(prefix="/simulators/esign")
    router.include_router(build_router(sim or EsignSimulator(), include_in_schema=include_in_schema))
    return router


def build_esign_app(sim: EsignSimulator | None = None) -> FastAPI:
    """A standalone app serving the simulated ESP; its state is on ``app.state.esign``."""
    state = sim or EsignSimulator()
    app = FastAPI(title="CreditDesk e-sign simulator", version="1")
    app.include_router(esign_router(state, include_in_schema=True))
    app.state.esign = state
    return app


def mount_esign_simulator(app: FastAPI, settings: Settings) -> None:
    """Serve the simulated ESP under ``/simulators/esign/…`` in demo/dev mode only."""
    if settings.is_dev_like:
        app.include_router(esign_router())
