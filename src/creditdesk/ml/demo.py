"""Demo seeding: the platform default champion, trained on the synthetic book at first start."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.config import Settings
from creditdesk.ml import registry
from creditdesk.ml.models import CreditModel
from creditdesk.ml.training import train_default_model


def seed_models(session: Session, settings: Settings) -> None:
    """Train and register the platform champion if no platform model exists yet."""
    if session.execute(select(CreditModel.id).where(CreditModel.tenant_id.is_(None)).limit(1)).first():
        return
    result = train_default_model(seed=7, num_threads=2)
    model = registry.register(
        session,
        tenant_id=None,
        result=result,
        name="Synthetic book default (LightGBM)",
        dataset="synthetic book (seed 7)",
        target="default",
        created_by=None,
        status="champion",
    )
    audit.record(
        session,
        actor=audit.SYSTEM,
        action="model.seeded",
        tenant_id=None,
        resource_type="model",
        resource_id=model.id,
        details={"version": model.version, "auc": result.metrics["auc"]},
    )
