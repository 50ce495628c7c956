"""Bureau integrations: the credential store, connection tests, the merge rule, breaker states."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI

from creditdesk.auth.principal import Identity, Require
from creditdesk.bureaus import application_pulls, config, merge_rule
from creditdesk.bureaus.schemas import BureauName
from creditdesk.bureaus.schemas_api import (
    BreakerList,
    BureauConfigList,
    BureauConfigRead,
    BureauConfigUpdate,
    ConnectionTestRead,
    MergeRuleRead,
    MergeRuleUpdate,
)
from creditdesk.config import Settings
from creditdesk.db import SessionDep
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["bureaus"])


@router.get("/tenants/{tenant}/bureaus", response_model=BureauConfigList, operation_id="listBureauConfigs")
def list_bureaus(session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.BUREAUS_READ)]) -> BureauConfigList:
    """One entry per bureau (unconfigured ones disabled); secrets show at most their last 4 characters."""
    return config.list_configs(session, tenant=ctx.tenant)


@router.put("/tenants/{tenant}/bureaus/{bureau}", response_model=BureauConfigRead, operation_id="updateBureauConfig")
def update_bureau(
    bureau: BureauName,
    data: BureauConfigUpdate,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.BUREAUS_MANAGE)],
) -> BureauConfigRead:
    """Configure a bureau; a secret left out keeps its stored value."""
    return config.update_config(session, tenant=ctx.tenant, bureau=bureau, data=data, actor=ctx.caller)


@router.post(
    "/tenants/{tenant}/bureaus/{bureau}/test", response_model=ConnectionTestRead, operation_id="testBureauConfig"
)
def test_bureau(
    bureau: BureauName, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.BUREAUS_MANAGE)]
) -> ConnectionTestRead:
    """Make a real call with the stored credentials: ok, latency and a readable error."""
    return config.check_connection(session, tenant=ctx.tenant, bureau=bureau, actor=ctx.caller)


@router.get("/tenants/{tenant}/bureau-merge-rule", response_model=MergeRuleRead, operation_id="getBureauMergeRule")
def get_merge_rule(session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.BUREAUS_READ)]) -> MergeRuleRead:
    """How several bureaus' reports are merged into one application bureau block."""
    return merge_rule.get_merge_rule(session, tenant=ctx.tenant)


@router.put("/tenants/{tenant}/bureau-merge-rule", response_model=MergeRuleRead, operation_id="updateBureauMergeRule")
def update_merge_rule(
    data: MergeRuleUpdate, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.BUREAUS_MANAGE)]
) -> MergeRuleRead:
    """Choose conservative (worst case), primary (first hit by priority) or average merging."""
    return merge_rule.update_merge_rule(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.get("/ops/breakers", response_model=BreakerList, tags=["ops"], operation_id="listBreakers")
def list_breakers(session: SessionDep, caller: Annotated[Identity, Require(P.OPS_READ)]) -> BreakerList:
    """Circuit-breaker state per tenant and bureau."""
    return application_pulls.list_breakers(session)


def mount_simulators(app: FastAPI, settings: Settings) -> None:
    """Serve the simulated bureaus under ``/simulators/{bureau}/…`` in demo/dev mode only."""
    if settings.is_dev_like:
        from creditdesk.bureaus.simulators import simulator_router  # noqa: PLC0415 - loaded in demo/dev mode only

        app.include_router(simulator_router())
