"""A KYC provider we cannot reach, simulated over real HTTP: PAN verification and Aadhaar OTP e-KYC.

Served under ``/simulators/kyc`` in demo/dev mode (:func:`mount_kyc_simulator`), with an API key
(``x-api-key``) and the bureaus' fault controls (``GET``/``PUT /simulators/kyc/faults``: latency, an
error rate, an outage) and ``GET /simulators/kyc/sandbox-credentials``.

**PAN verification** — ``POST /pan/verify`` ``{"pan", "name", "dob"}`` answers as the income-tax PAN
verification service does, with flags rather than the registry's data: ``pan_status`` (``E`` exists and
is valid, ``F`` fake, ``X`` deactivated, ``D`` deleted, ``N`` not found), ``name_match`` and
``dob_match`` (``Y``/``N``) and ``aadhaar_seeding_status`` (``Y`` linked, ``R`` not linked). Deterministic
by the PAN's four digits ``n`` (``ABCPE1234F`` → 1234), ``n mod 10``:

=====  =====================================================
0–5    ``E``, name and date of birth match, Aadhaar linked
6      ``E``, name and date of birth match, Aadhaar not linked
7      ``E``, the registry's name differs (``name_match: N``) — a borrowed or synthetic identity
8      ``X`` deactivated (``F`` when ``n mod 100`` is 98)
9      ``N`` not found
=====  =====================================================

**Aadhaar OTP e-KYC** — ``POST /aadhaar/otp`` ``{"aadhaar_number", "consent": "Y"}`` → ``reference_id``
(and, this being a sandbox, the OTP itself as ``sandbox_otp``; a real provider sends it to the
registered mobile); ``POST /aadhaar/verify`` ``{"reference_id", "otp"}`` → the resident's e-KYC: name,
date of birth, gender, address, the masked number and the photo's SHA-256 (never a full number). An
invalid number (Verhoeff) is 422, consent other than ``Y`` is 400, a number ending in 9 has no mobile
linked (409). OTPs last 10 minutes and allow 3 tries (then 429); a used reference is 410. The resident
is deterministic per number (:func:`resident_for`), so tests know whose name comes back.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from stdnum.in_ import aadhaar as std_aadhaar

from creditdesk.bureaus.simulators.state import BureauSimulator, SandboxCredentials, add_control_routes
from creditdesk.config import Settings
from creditdesk.fraud.identifiers import mask_aadhaar
from creditdesk.kit.crypto import constant_time_equals

PREFIX = "/simulators/kyc"
SANDBOX_API_KEY = "sim-kyc-api-key-0001"
OTP_TTL_S = 600
OTP_TRIES = 3

_FIRST = ("Asha", "Ravi", "Priya", "Arjun", "Meena", "Suresh", "Kavita", "Imran", "Lakshmi", "Vikram", "Anjali")
_LAST = ("Rao", "Sharma", "Iyer", "Khan", "Patil", "Das", "Reddy", "Nair", "Gupta", "Singh", "Menon")
_CITIES = (
    ("Pune", "Maharashtra", "411001"),
    ("Chennai", "Tamil Nadu", "600001"),
    ("Kolkata", "West Bengal", "700001"),
    ("Bengaluru", "Karnataka", "560001"),
    ("Hyderabad", "Telangana", "500001"),
    ("Lucknow", "Uttar Pradesh", "226001"),
)


class PanVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pan: str = Field(pattern=r"^[A-Za-z]{5}[0-9]{4}[A-Za-z]$")
    name: str = Field(min_length=1, max_length=200)
    dob: date


class AadhaarOtp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aadhaar_number: str = Field(pattern=r"^[0-9]{12}$")
    consent: str = Field(max_length=1)


class AadhaarVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_id: str = Field(max_length=64)
    otp: str = Field(pattern=r"^[0-9]{6}$")


def pan_outcome(pan: str) -> dict[str, str]:
    """The flags the simulator answers for ``pan`` (the table in the module's doc)."""
    n = int(pan[5:9])
    rule = n % 10
    if rule == 9:
        return {"pan_status": "N", "name_match": "N", "dob_match": "N", "aadhaar_seeding_status": "NA"}
    if rule == 8:
        return {
            "pan_status": "F" if n % 100 == 98 else "X",
            "name_match": "N",
            "dob_match": "N",
            "aadhaar_seeding_status": "NA",
        }
    return {
        "pan_status": "E",
        "name_match": "N" if rule == 7 else "Y",
        "dob_match": "Y",
        "aadhaar_seeding_status": "R" if rule == 6 else "Y",
    }


def resident_for(aadhaar_number: str) -> dict[str, Any]:
    """The resident an Aadhaar number belongs to in the simulator (deterministic per number)."""
    seed = int(hashlib.sha256(f"kyc:{aadhaar_number}".encode()).hexdigest()[:16], 16)
    rng = random.Random(seed)  # noqa: S311 - simulation, not security
    city, state, pin = rng.choice(_CITIES)
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
    return {
        "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        "dob": born.isoformat(),
        "gender": rng.choice(("F", "M")),
        "address": {"house": f"{rng.randint(1, 400)}", "city": city, "state": state, "pincode": pin},
        "masked_aadhaar": mask_aadhaar(aadhaar_number),
        "photo_sha256": hashlib.sha256(f"photo:{aadhaar_number}".encode()).hexdigest(),
    }


@dataclass
class _Otp:
    aadhaar_number: str
    code: str
    expires_at: float
    tries: int = 0
    used: bool = False


@dataclass
class KycSimulator:
    """The simulated KYC provider's state: its API key, faults, and the OTPs it has sent."""

    state: BureauSimulator = field(
        default_factory=lambda: BureauSimulator(
            bureau="kyc",
            sandbox=SandboxCredentials(member_id="creditdesk-kyc-sandbox", credentials={"api_key": SANDBOX_API_KEY}),
        )
    )
    clock: Any = time.monotonic
    otps: dict[str, _Otp] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


def build_router(sim: KycSimulator) -> APIRouter:
    """The simulated KYC provider's routes (prefix ``/simulators/kyc``)."""
    router = APIRouter(prefix=PREFIX, tags=["simulator: kyc"], include_in_schema=False)
    add_control_routes(router, sim.state)

    async def _guard(api_key: str | None) -> JSONResponse | None:
        fault = await sim.state.before_call()
        if fault == "outage":
            return _error(503, "service_unavailable", "the KYC service is down")
        if fault == "error":
            return _error(500, "internal_error", "the KYC service failed")
        if api_key is None or not constant_time_equals(api_key, sim.state.credential("api_key")):
            return _error(401, "unauthorized", "a valid x-api-key is required")
        return None

    @router.post("/pan/verify")
    async def pan_verify(body: PanVerify, x_api_key: str | None = Header(default=None)) -> JSONResponse:
        if (refused := await _guard(x_api_key)) is not None:
            return refused
        pan = body.pan.upper()
        return JSONResponse({"pan": pan, **pan_outcome(pan)})

    @router.post("/aadhaar/otp")
    async def aadhaar_otp(body: AadhaarOtp, x_api_key: str | None = Header(default=None)) -> JSONResponse:
        if (refused := await _guard(x_api_key)) is not None:
            return refused
        if body.consent != "Y":
            return _error(400, "consent_required", "the resident's consent (Y) is required for e-KYC")
        if not std_aadhaar.is_valid(body.aadhaar_number):
            return _error(422, "invalid_aadhaar", "not a valid Aadhaar number")
        if body.aadhaar_number.endswith("9"):
            return _error(409, "mobile_not_linked", "no mobile number is linked to this Aadhaar")
        reference = secrets.token_hex(12)
        code = f"{secrets.randbelow(1_000_000):06d}"
        with sim.lock:
            sim.otps[reference] = _Otp(body.aadhaar_number, code, sim.clock() + OTP_TTL_S)
        masked = mask_aadhaar(body.aadhaar_number)
        return JSONResponse(
            {"reference_id": reference, "status": "otp_sent", "message": f"OTP sent for {masked}", "sandbox_otp": code}
        )

    @router.post("/aadhaar/verify")
    async def aadhaar_verify(body: AadhaarVerify, x_api_key: str | None = Header(default=None)) -> JSONResponse:
        if (refused := await _guard(x_api_key)) is not None:
            return refused
        with sim.lock:
            otp = sim.otps.get(body.reference_id)
            if otp is None:
                return _error(404, "unknown_reference", "no OTP was sent with this reference")
            if otp.used:
                return _error(410, "reference_used", "this OTP was already used")
            if sim.clock() > otp.expires_at:
                return _error(410, "otp_expired", "the OTP expired; ask for a new one")
            if otp.tries >= OTP_TRIES:
                return _error(429, "too_many_attempts", "too many wrong OTPs; ask for a new one")
            if not constant_time_equals(body.otp, otp.code):
                otp.tries += 1
                return _error(401, "wrong_otp", f"wrong OTP ({OTP_TRIES - otp.tries} tries left)")
            otp.used = True
            number = otp.aadhaar_number
        return JSONResponse({"status": "verified", "kyc": resident_for(number)})

    return router


def build_kyc_simulator_app(sim: KycSimulator | None = None) -> FastAPI:
    """The KYC simulator on its own (tests, benchmarks)."""
    app = FastAPI(title="CreditDesk KYC simulator")
    app.include_router(build_router(sim or KycSimulator()))
    return app


def mount_kyc_simulator(app: FastAPI, settings: Settings) -> None:
    """Serve the KYC simulator under ``/simulators/kyc`` in demo/dev mode only."""
    if settings.is_dev_like:
        app.include_router(build_router(KycSimulator()))
