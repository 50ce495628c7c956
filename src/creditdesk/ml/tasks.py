"""The training job."""

from __future__ import annotations

from typing import Any

from creditdesk.ml import registry
from creditdesk.ml.models import DatasetFile
from creditdesk.ml.training import TrainingError, TrainingSpec, train
from creditdesk.tenancy.scope import get_owned
from creditdesk.worker.context import JobContext
from creditdesk.worker.errors import PermanentJobError


def train_model(ctx: JobContext) -> dict[str, Any]:
    """Train a model on an uploaded dataset and register it as a draft version."""
    p = ctx.payload
    assert ctx.tenant_id is not None
    dataset = get_owned(ctx.session, DatasetFile, p["dataset_id"], ctx.tenant_id, what="Dataset")
    content, filename = dataset.content, dataset.filename
    ctx.checkpoint(progress=0.05)  # hold no transaction (on SQLite: no write lock) while training
    try:
        spec = TrainingSpec(
            p["target"],
            algorithm=p.get("algorithm", "lightgbm"),
            positive=p.get("positive"),
            date_column=p.get("date_column"),
            filename=filename,
        )
        result = train(content, spec)
    except TrainingError as exc:
        raise PermanentJobError(str(exc)) from exc
    ctx.progress(0.95)
    model = registry.register(
        ctx.session,
        tenant_id=ctx.tenant_id,
        result=result,
        name=p.get("name") or filename,
        dataset=filename,
        target=p["target"],
        created_by=p.get("created_by"),
    )
    return {
        "model_id": model.id,
        "version": model.version,
        "auc": result.metrics["auc"],
        "feature_set": model.feature_set,
    }
