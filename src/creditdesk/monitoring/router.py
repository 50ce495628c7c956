"""Monitoring endpoints under /tenants/{tenant}/monitoring and dashboard embedding under …/dashboards."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from creditdesk.db import SessionDep
from creditdesk.kit.params import Day
from creditdesk.monitoring import dashboards, service
from creditdesk.monitoring.models import MonitoringAlert
from creditdesk.monitoring.schemas import (
    AlertList,
    AlertRead,
    Delinquency,
    Drift,
    EmbedConfigIn,
    EmbedConfigRead,
    EmbedTokenIn,
    EmbedTokenRead,
    JobAccepted,
    MonitoringSettingsIn,
    MonitoringSettingsRead,
    NpaForecast,
    Overview,
    Performance,
)
from creditdesk.scoring.approvals import APPROVAL_WINDOW_MONTHS
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(prefix="/tenants/{tenant}", tags=["monitoring"])

Reader = Annotated[TenantContext, TenantAccess(P.MONITORING_READ)]
Manager = Annotated[TenantContext, TenantAccess(P.MONITORING_MANAGE)]
DashboardAdmin = Annotated[TenantContext, TenantAccess(P.DASHBOARDS_MANAGE)]
AsOf = Annotated[Day | None, Query(description="Position at the end of this day (default: today, tenant time)")]


@router.get("/monitoring/overview", response_model=Overview, operation_id="getMonitoringOverview")
def get_overview(
    session: SessionDep, ctx: Reader, months: Annotated[int, Query(ge=1, le=36)] = APPROVAL_WINDOW_MONTHS
) -> dict[str, Any]:
    """Approval rate, decisions by outcome and the credit-score distribution per month."""
    return service.overview(session, tenant=ctx.tenant, months=months)


@router.get("/monitoring/delinquency", response_model=Delinquency, operation_id="getDelinquencyTrend")
def get_delinquency(
    session: SessionDep, ctx: Reader, as_of: AsOf = None, months: Annotated[int, Query(ge=1, le=120)] = 24
) -> dict[str, Any]:
    """30+/60+/90+ DPD rates by count and by amount at each month end."""
    return service.delinquency(session, tenant=ctx.tenant, as_of=as_of, months=months)


@router.get("/monitoring/performance", response_model=Performance, operation_id="getModelPerformance")
def get_performance(
    session: SessionDep, ctx: Reader, as_of: AsOf = None, horizon_months: Annotated[int, Query(ge=1, le=36)] = 12
) -> dict[str, Any]:
    """AUC, KS and calibration by PD decile against realised defaults, by origination month."""
    return service.performance(session, tenant=ctx.tenant, as_of=as_of, horizon_months=horizon_months)


@router.get("/monitoring/drift", response_model=Drift, operation_id="getDrift")
def get_drift(
    session: SessionDep, ctx: Reader, window_days: Annotated[int | None, Query(ge=1, le=365)] = None
) -> dict[str, Any]:
    """PSI per feature and for the PD against the champion's training baseline."""
    return service.drift(session, tenant=ctx.tenant, window_days=window_days)


@router.get("/monitoring/npa-forecast", response_model=NpaForecast, operation_id="getNpaForecast")
def get_npa_forecast(
    session: SessionDep, ctx: Reader, as_of: AsOf = None, horizon_days: Annotated[int, Query(ge=7, le=365)] = 90
) -> dict[str, Any]:
    """Loans and amount expected to become NPA within the horizon, by bucket, with the method."""
    return service.npa_forecast(session, tenant=ctx.tenant, as_of=as_of, horizon_days=horizon_days)


@router.get("/monitoring/alerts", response_model=AlertList, operation_id="listAlerts")
def list_alerts(
    session: SessionDep,
    ctx: Reader,
    status: Literal["all", "open", "unacknowledged", "resolved"] = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Alerts, newest first."""
    return service.list_alerts(session, tenant=ctx.tenant, status=status, limit=limit)


@router.post("/monitoring/alerts/evaluate", status_code=202, response_model=JobAccepted, operation_id="evaluateAlerts")
def evaluate_alerts(session: SessionDep, ctx: Manager) -> dict[str, Any]:
    """Evaluate the alert conditions now (a background job; requests while one is queued share it)."""
    job = service.request_evaluation(session, tenant=ctx.tenant, actor=ctx.caller)
    return {"job_id": job.id, "status": job.status}


@router.post("/monitoring/alerts/{alert_id}/acknowledge", response_model=AlertRead, operation_id="acknowledgeAlert")
def acknowledge_alert(alert_id: str, session: SessionDep, ctx: Manager) -> MonitoringAlert:
    """Acknowledge an alert; it stays listed until its condition clears."""
    return service.acknowledge_alert(session, tenant=ctx.tenant, alert_id=alert_id, actor=ctx.caller)


@router.get("/monitoring/settings", response_model=MonitoringSettingsRead, operation_id="getMonitoringSettings")
def get_settings(session: SessionDep, ctx: Reader) -> dict[str, Any]:
    """Drift, NPA and approval-swing thresholds."""
    return service.settings_read(service.settings_for(session, tenant_id=ctx.tenant_id))


@router.put("/monitoring/settings", response_model=MonitoringSettingsRead, operation_id="updateMonitoringSettings")
def put_settings(data: MonitoringSettingsIn, session: SessionDep, ctx: Manager) -> dict[str, Any]:
    """Change thresholds (omitted fields keep their values)."""
    row = service.update_settings(
        session, tenant=ctx.tenant, changes=data.model_dump(exclude_none=True), actor=ctx.caller
    )
    return service.settings_read(row)


@router.get("/dashboards/embed", response_model=EmbedConfigRead, tags=["dashboards"], operation_id="getEmbedConfig")
def get_embed(session: SessionDep, ctx: DashboardAdmin) -> dict[str, Any]:
    """Dashboard embedding settings (the Power BI secret redacted)."""
    return dashboards.embed_config(session, tenant=ctx.tenant)


@router.put("/dashboards/embed", response_model=EmbedConfigRead, tags=["dashboards"], operation_id="putEmbedConfig")
def put_embed(data: EmbedConfigIn, session: SessionDep, ctx: DashboardAdmin) -> dict[str, Any]:
    """Configure native or Power BI embedding; an omitted secret keeps the stored one."""
    return dashboards.put_embed_config(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.post(
    "/dashboards/embed-token", response_model=EmbedTokenRead, tags=["dashboards"], operation_id="createEmbedToken"
)
def create_embed_token(data: EmbedTokenIn, session: SessionDep, ctx: Reader) -> dict[str, Any]:
    """A short-lived token (and URL) to embed a dashboard: native page or Power BI report."""
    return dashboards.issue_embed_token(session, tenant=ctx.tenant, dashboard=data.dashboard, actor=ctx.caller)
