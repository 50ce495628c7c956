"""A simulated bureau's in-memory state: sandbox credentials, injected faults, request counter.

State belongs to one simulator app instance; nothing is shared between instances or persisted.
"""

from __future__ import annotations

import asyncio
import hmac
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

SANDBOX_DEFAULTS: dict[str, dict[str, object]] = {
    "cibil": {
        "member_id": "CIBILSIM0001",
        "credentials": {"password": "cibil-sandbox-password", "api_key": "cibil-sandbox-api-key-0001"},
    },
    "experian": {
        "member_id": "EXPSIM0001",
        "credentials": {"client_id": "experian-sandbox-client", "client_secret": "experian-sandbox-secret"},
    },
    "crif": {
        "member_id": "CRIFSIM0001",
        "credentials": {"user_id": "crif-sandbox-user", "password": "crif-sandbox-password"},
    },
}
"""The credentials each simulator accepts unless its app is built with others (a bureau's UAT kit)."""


class SandboxCredentials(BaseModel):
    """The member id and credentials a simulator accepts — the shape of the tenant bureau PUT."""

    member_id: str
    credentials: dict[str, str]


class SimulatorFaults(BaseModel):
    """Faults to inject into every bureau API call of one simulator."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    outage: bool = False


FaultOutcome = Literal["outage", "error"] | None


@dataclass
class BureauSimulator:
    """One simulated bureau's state."""

    bureau: str
    sandbox: SandboxCredentials
    today: Callable[[], date] = field(default=lambda: datetime.now(UTC).date())
    faults: SimulatorFaults = field(default_factory=SimulatorFaults)
    request_count: int = 0
    rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set_faults(self, faults: SimulatorFaults) -> None:
        """Replace the injected faults."""
        with self._lock:
            self.faults = faults

    def credential(self, name: str) -> str:
        """Return one of the accepted credentials."""
        return self.sandbox.credentials[name]

    async def before_call(self) -> FaultOutcome:
        """Count the call, wait the injected latency, and say whether to fail it (and how)."""
        with self._lock:
            self.request_count += 1
            faults = self.faults
            roll = self.rng.random()
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage:
            return "outage"
        if roll < faults.error_rate:
            return "error"
        return None


def add_control_routes(router: APIRouter, sim: BureauSimulator) -> None:
    """Add ``/faults`` (GET, PUT) and ``/sandbox-credentials`` (GET) to a simulator's router."""

    @router.get("/faults", response_model=SimulatorFaults)
    async def get_faults() -> SimulatorFaults:
        return sim.faults

    @router.put("/faults", response_model=SimulatorFaults)
    async def put_faults(faults: SimulatorFaults) -> SimulatorFaults:
        sim.set_faults(faults)
        return sim.faults

    @router.get("/sandbox-credentials")
    async def sandbox_credentials(request: Request) -> dict[str, object]:
        base = str(request.url).split("?")[0].removesuffix("/sandbox-credentials")
        return {
            "member_id": sim.sandbox.member_id,
            "credentials": dict(sim.sandbox.credentials),
            "endpoint_url": base,
        }


def same_secret(given: object, expected: str) -> bool:
    """Compare a presented credential with the expected one in constant time."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())
