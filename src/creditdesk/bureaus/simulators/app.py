"""The three simulated bureaus as one router (to mount in the main app) or a standalone app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, FastAPI

from creditdesk.bureaus.simulators import cibil, crif, experian
from creditdesk.bureaus.simulators.experian import TokenStore
from creditdesk.bureaus.simulators.state import SANDBOX_DEFAULTS, BureauSimulator, SandboxCredentials

DEFAULT_TOKEN_TTL_S = 1800


@dataclass
class Simulators:
    """The state of the three simulated bureaus of one app instance."""

    cibil: BureauSimulator
    experian: BureauSimulator
    crif: BureauSimulator
    experian_tokens: TokenStore

    def __getitem__(self, bureau: str) -> BureauSimulator:
        if bureau not in ("cibil", "experian", "crif"):
            raise KeyError(bureau)
        sim: BureauSimulator = getattr(self, bureau)
        return sim

    @classmethod
    def create(
        cls,
        *,
        credentials: Mapping[str, Mapping[str, Any]] | None = None,
        today: Callable[[], date] | None = None,
        token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
    ) -> Simulators:
        """Build simulator state; ``credentials`` overrides a bureau's sandbox member id/credentials."""
        overrides = credentials or {}

        def make(bureau: str) -> BureauSimulator:
            sandbox = SandboxCredentials.model_validate(overrides.get(bureau, SANDBOX_DEFAULTS[bureau]))
            sim = BureauSimulator(bureau=bureau, sandbox=sandbox)
            if today is not None:
                sim.today = today
            return sim

        return cls(
            cibil=make("cibil"),
            experian=make("experian"),
            crif=make("crif"),
            experian_tokens=TokenStore(token_ttl_s),
        )


def simulator_router(simulators: Simulators | None = None, *, include_in_schema: bool = False) -> APIRouter:
    """Return one router serving all three simulators under ``/simulators/{bureau}``."""
    sims = simulators or Simulators.create()
    router = APIRouter(prefix="/simulators")
    router.include_router(cibil.build_router(sims.cibil, include_in_schema=include_in_schema), prefix="/cibil")
    router.include_router(
        experian.build_router(sims.experian, sims.experian_tokens, include_in_schema=include_in_schema),
        prefix="/experian",
    )
    router.include_router(crif.build_router(sims.crif, include_in_schema=include_in_schema), prefix="/crif")
    return router


def build_simulator_app(
    *,
    credentials: Mapping[str, Mapping[str, Any]] | None = None,
    today: Callable[[], date] | None = None,
    token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
) -> FastAPI:
    """Return a standalone app serving the three simulators; their state is on ``app.state.simulators``."""
    sims = Simulators.create(credentials=credentials, today=today, token_ttl_s=token_ttl_s)
    app = FastAPI(title="CreditDesk bureau simulators", version="1")
    app.include_router(simulator_router(sims, include_in_schema=True))
    app.state.simulators = sims
    return app
