"""Alternative data: turn an uploaded bank statement into the features scoring uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from creditdesk.altdata import service
from creditdesk.altdata.schemas import StatementAnalysis
from creditdesk.db import SessionDep
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["alternative data"])


@router.post("/tenants/{tenant}/alt-data/analyse", response_model=StatementAnalysis, operation_id="analyseStatement")
def analyse_statement(
    file: Annotated[UploadFile, File(description="Bank statement or UPI transactions, CSV or JSON")],
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.APPLICATIONS_CREATE)],
) -> StatementAnalysis:
    """Features (average monthly inflow, regularity, volatility, bounces, UPI activity, seasonality) and row errors."""
    content = file.file.read()
    return service.analyse_upload(
        session,
        tenant=ctx.tenant,
        content=content,
        filename=file.filename,
        content_type=file.content_type,
        actor=ctx.caller,
    )
