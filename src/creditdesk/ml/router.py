"""Model studio: registry, training, promotion."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile

from creditdesk.db import SessionDep
from creditdesk.ml import registry, service
from creditdesk.ml.schemas import ModelDetail, ModelList, ModelRead, PromoteIn, TrainAccepted
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["models"])


@router.get("/tenants/{tenant}/models", response_model=ModelList, operation_id="listModels")
def list_models(session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.MODELS_READ)]) -> dict[str, Any]:
    """The tenant's model versions and the platform defaults."""
    return {"items": [service.model_read(m) for m in registry.list_models(session, tenant_id=ctx.tenant_id)]}


@router.get("/tenants/{tenant}/models/{model_id}", response_model=ModelDetail, operation_id="getModel")
def get_model(
    model_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.MODELS_READ)]
) -> dict[str, Any]:
    """One model with its validation report (model card)."""
    return service.model_read(registry.get_model(session, tenant_id=ctx.tenant_id, model_id=model_id), detail=True)


@router.post("/tenants/{tenant}/models/train", status_code=202, response_model=TrainAccepted, operation_id="trainModel")
def train_model(
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.MODELS_MANAGE)],
    file: Annotated[UploadFile, File(description="CSV, Parquet or XLSX with a target column")],
    target: Annotated[str, Form(min_length=1, max_length=200)],
    algorithm: Annotated[Literal["lightgbm", "scorecard"], Form()] = "lightgbm",
    positive: Annotated[str | None, Form(max_length=100, description="Target value that marks a default")] = None,
    date_column: Annotated[str | None, Form(max_length=200, description="Use a time split on this column")] = None,
    name: Annotated[str | None, Form(max_length=120)] = None,
) -> dict[str, Any]:
    """Upload a dataset and train a model on it in the background (poll the job)."""
    return service.start_training(
        session,
        tenant_id=ctx.tenant_id,
        content=file.file.read(),
        filename=file.filename or "upload.csv",
        target=target,
        algorithm=algorithm,
        positive=positive,
        date_column=date_column,
        name=name,
        actor=ctx.caller,
    )


@router.post("/tenants/{tenant}/models/{model_id}/promote", response_model=ModelRead, operation_id="promoteModel")
def promote(
    model_id: str, data: PromoteIn, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.MODELS_MANAGE)]
) -> dict[str, Any]:
    """Make a model the champion, or a challenger taking a share of traffic (0 = shadow)."""
    model = registry.promote(
        session, tenant_id=ctx.tenant_id, model_id=model_id, role=data.role, traffic=data.traffic, actor=ctx.caller
    )
    return service.model_read(model)
