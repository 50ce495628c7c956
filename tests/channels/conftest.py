"""The channel simulators live over real HTTP (uvicorn in a thread), with a receiver route in the same app
that records every webhook, and connectors pointed at them (fast retries, a breaker that never opens)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import Request, Response
from tests.payments.conftest import running

from creditdesk.channels.providers import (
    SmsConfig,
    SmsGateway,
    VoiceConfig,
    VoiceGateway,
    WhatsAppCloud,
    WhatsAppConfig,
)
from creditdesk.channels.simulator import ChannelSimulators, build_channel_simulator_app
from creditdesk.channels.simulator import sms as sms_sim
from creditdesk.channels.simulator import voice as voice_sim
from creditdesk.channels.simulator import whatsapp as wa_sim
from creditdesk.kit.resilience import BreakerRegistry, RetryPolicy

ENTITY_ID = "1201159543060917386"
SENDER = "CRDESK"
TEMPLATE_ID = "1107161234567890123"


@dataclass
class Hook:
    """One webhook the receiver got."""

    name: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Received:
    """Every webhook the receiver got, in arrival order."""

    items: list[Hook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, name: str) -> list[Hook]:
        with self.lock:
            return [h for h in self.items if h.name == name]

    def wait_for(self, name: str, count: int, timeout_s: float = 10.0) -> list[Hook]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.of(name)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {name} webhooks, got {len(self.of(name))}")


@dataclass
class Live:
    """The running simulators, their state, the receiver and connector factories."""

    url: str
    sims: ChannelSimulators
    received: Received

    def base(self, channel: str) -> str:
        return f"{self.url}/simulators/{channel}"

    def hook(self, name: str) -> str:
        return f"{self.url}/hooks/{name}"

    @staticmethod
    def _resilience(attempts: int) -> dict[str, Any]:
        retry = RetryPolicy(attempts=attempts, wait_initial_s=0.01, wait_max_s=0.05, jitter_s=0.01)
        return {"retry": retry, "breakers": BreakerRegistry(fail_max=1000)}

    def sms(self, *, attempts: int = 3, timeout_s: float = 5.0, **config: Any) -> SmsGateway:
        values: dict[str, Any] = {
            "base_url": self.base("sms"),
            "account_sid": sms_sim.SANDBOX_SID,
            "api_key": sms_sim.SANDBOX_API_KEY,
            "api_token": sms_sim.SANDBOX_API_TOKEN,
            "webhook_secret": sms_sim.SANDBOX_WEBHOOK_SECRET,
            "entity_id": ENTITY_ID,
            "sender": SENDER,
            "status_callback_url": self.hook("sms"),
            "tenant_id": "t-channels",
            "timeout_s": timeout_s,
            **config,
        }
        return SmsGateway(SmsConfig(**values), **self._resilience(attempts))

    def whatsapp(self, *, attempts: int = 3, timeout_s: float = 5.0, **config: Any) -> WhatsAppCloud:
        values: dict[str, Any] = {
            "base_url": self.base("whatsapp"),
            "phone_number_id": wa_sim.SANDBOX_PHONE_NUMBER_ID,
            "access_token": wa_sim.SANDBOX_ACCESS_TOKEN,
            "app_secret": wa_sim.SANDBOX_APP_SECRET,
            "tenant_id": "t-channels",
            "timeout_s": timeout_s,
            **config,
        }
        return WhatsAppCloud(WhatsAppConfig(**values), **self._resilience(attempts))

    def voice(self, *, attempts: int = 3, timeout_s: float = 5.0, **config: Any) -> VoiceGateway:
        values: dict[str, Any] = {
            "base_url": self.base("voice"),
            "account_sid": voice_sim.SANDBOX_SID,
            "api_key": voice_sim.SANDBOX_API_KEY,
            "api_token": voice_sim.SANDBOX_API_TOKEN,
            "webhook_secret": voice_sim.SANDBOX_WEBHOOK_SECRET,
            "caller_id": voice_sim.SANDBOX_CALLER_ID,
            "status_callback_url": self.hook("voice"),
            "tenant_id": "t-channels",
            "timeout_s": timeout_s,
            **config,
        }
        return VoiceGateway(VoiceConfig(**values), **self._resilience(attempts))

    def faults(self, channel: str, **faults: Any) -> None:
        key = {
            "sms": f"accounts/{sms_sim.SANDBOX_SID}",
            "whatsapp": f"apps/{wa_sim.SANDBOX_PHONE_NUMBER_ID}",
            "voice": f"accounts/{voice_sim.SANDBOX_SID}",
        }[channel]
        response = httpx.put(f"{self.base(channel)}/{key}/faults", json=faults)
        assert response.status_code == 200, response.text


@pytest.fixture
def live() -> Iterator[Live]:
    """The three simulators and a webhook receiver (``/hooks/{name}``) in one app over real HTTP."""
    app = build_channel_simulator_app(seed=7)
    received = Received()

    @app.post("/hooks/{name}")
    async def receive(name: str, request: Request) -> Response:
        body = await request.body()
        with received.lock:
            received.items.append(Hook(name, body, {k.lower(): v for k, v in request.headers.items()}))
        return Response(status_code=200)

    with running(app) as url:
        live = Live(url, app.state.channels, received)
        sms_setup = {
            "api_key": sms_sim.SANDBOX_API_KEY,
            "api_token": sms_sim.SANDBOX_API_TOKEN,
            "webhook_secret": sms_sim.SANDBOX_WEBHOOK_SECRET,
            "inbound_url": live.hook("sms-inbound"),
        }
        assert httpx.put(f"{live.base('sms')}/accounts/{sms_sim.SANDBOX_SID}", json=sms_setup).is_success
        wa_setup = {
            "access_token": wa_sim.SANDBOX_ACCESS_TOKEN,
            "app_secret": wa_sim.SANDBOX_APP_SECRET,
            "webhook_url": live.hook("whatsapp"),
        }
        assert httpx.put(f"{live.base('whatsapp')}/apps/{wa_sim.SANDBOX_PHONE_NUMBER_ID}", json=wa_setup).is_success
        yield live
