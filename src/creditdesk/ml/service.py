"""Model studio use cases: start a training job, read and promote models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.errors import ValidationFailed
from creditdesk.ml.models import CreditModel, DatasetFile
from creditdesk.ml.training import load_table
from creditdesk.worker import service as jobs

ALLOWED_SUFFIXES = {".csv", ".parquet", ".pq", ".xlsx", ".xlsm", ".json"}


def start_training(
    session: Session,
    *,
    tenant_id: str,
    content: bytes,
    filename: str,
    target: str,
    algorithm: str,
    positive: str | None,
    date_column: str | None,
    name: str | None,
    actor: Any,
) -> dict[str, Any]:
    """Check the upload names its target, store it, and queue a training job (202)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValidationFailed(f"file: unsupported type '{suffix or filename}'; upload CSV, Parquet or XLSX")
    if not content:
        raise ValidationFailed("file: the upload is empty")
    try:
        table = load_table(content, filename=filename)
    except Exception as exc:  # noqa: BLE001 - any parser failure is the user's file
        raise ValidationFailed(f"file: cannot be read as {suffix[1:].upper()}: {type(exc).__name__}: {exc}") from None
    if target not in table.columns:
        shown = ", ".join(map(str, list(table.columns)[:20]))
        raise ValidationFailed(f"target: column '{target}' is not in the file (columns: {shown})")
    if date_column and date_column not in table.columns:
        raise ValidationFailed(f"date_column: column '{date_column}' is not in the file")
    dataset = DatasetFile(
        tenant_id=tenant_id,
        filename=Path(filename).name[:255],
        content=content,
        size_bytes=len(content),
        created_by=actor.id,
    )
    session.add(dataset)
    session.flush()
    job = jobs.enqueue(
        session,
        kind="model.train",
        tenant_id=tenant_id,
        created_by=actor.id,
        max_attempts=2,
        payload={
            "dataset_id": dataset.id,
            "target": target,
            "algorithm": algorithm,
            "positive": positive,
            "date_column": date_column,
            "name": name,
            "created_by": actor.id,
        },
    )
    audit.record(
        session,
        actor=actor,
        action="model.training_started",
        tenant_id=tenant_id,
        resource_type="job",
        resource_id=job.id,
        details={"dataset": dataset.filename, "target": target, "algorithm": algorithm, "rows": len(table)},
    )
    return {"job_id": job.id, "dataset": dataset.filename, "rows_hint": len(table)}


def model_read(model: CreditModel, *, detail: bool = False) -> dict[str, Any]:
    """Render a registry row for the API."""
    out = {
        "id": model.id,
        "version": model.version,
        "name": model.name,
        "status": model.status,
        "algorithm": model.algorithm,
        "feature_set": model.feature_set,
        "traffic": model.traffic,
        "target": model.target,
        "dataset": model.dataset,
        "platform_default": model.tenant_id is None,
        "metrics": model.metrics,
        "created_at": model.created_at,
        "promoted_at": model.promoted_at,
    }
    if detail:
        out.update(report=model.report, checksum=model.checksum)
    return out
