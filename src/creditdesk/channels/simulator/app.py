"""The three channel simulators together: one router under ``/simulators/{sms,whatsapp,voice}``, one app."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI

from creditdesk.channels.simulator import sms, voice, whatsapp


@dataclass
class ChannelSimulators:
    """The simulated SMS gateway, WhatsApp Cloud API and voice gateway, sharing a seed and a clock."""

    seed: int = 0
    now: Callable[[], float] = time.time
    sms: sms.SmsSimulator = field(init=False)
    whatsapp: whatsapp.WhatsAppSimulator = field(init=False)
    voice: voice.VoiceSimulator = field(init=False)

    def __post_init__(self) -> None:
        self.sms = sms.SmsSimulator(seed=self.seed, now=self.now)
        self.whatsapp = whatsapp.WhatsAppSimulator(seed=self.seed, now=self.now)
        self.voice = voice.VoiceSimulator(seed=self.seed, now=self.now)


def build_router(sims: ChannelSimulators, *, include_in_schema: bool = False) -> APIRouter:
    """Every channel simulator's routes."""
    router = APIRouter()
    router.include_router(sms.build_router(sims.sms, include_in_schema=include_in_schema))
    router.include_router(whatsapp.build_router(sims.whatsapp, include_in_schema=include_in_schema))
    router.include_router(voice.build_router(sims.voice, include_in_schema=include_in_schema))
    return router


def build_channel_simulator_app(*, seed: int = 0, now: Callable[[], float] | None = None) -> FastAPI:
    """A standalone app serving the three simulators; their state is on ``app.state.channels``."""
    sims = ChannelSimulators(seed=seed) if now is None else ChannelSimulators(seed=seed, now=now)
    app = FastAPI(title="CreditDesk channel simulators (SMS, WhatsApp, voice)", version="1")
    app.include_router(build_router(sims, include_in_schema=True))
    app.state.channels = sims
    return app
