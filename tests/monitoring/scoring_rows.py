"""Insert scoring-domain rows (applications, a champion model) directly, for monitoring tests."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from creditdesk.ml import scales
from creditdesk.ml.models import CreditModel
from creditdesk.scoring.models import Application


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def insert_champion(session: Session, *, tenant_id: str | None, baseline: dict[str, Any]) -> CreditModel:
    """Register a champion whose model card carries ``baseline`` (no artifact: drift only reads the card)."""
    model = CreditModel(
        tenant_id=tenant_id,
        owner=tenant_id or "platform",
        version=1,
        name="drift-test champion",
        algorithm="lightgbm",
        status="champion",
        feature_set="application",
        metrics={},
        report={"auc": 0.8, "baseline": baseline},
        artifact_text="",
        artifact_metadata={},
        checksum="-",
    )
    session.add(model)
    session.flush()
    return model


def insert_application(
    session: Session,
    *,
    tenant_id: str,
    features: dict[str, Any],
    pd: float,
    decision: str,
    created_at: datetime,
    model_id: str = "model-0",
    request: dict[str, Any] | None = None,
) -> Application:
    """Insert one decided application."""
    row = Application(
        tenant_id=tenant_id,
        external_ref=None,
        request=request or {},
        features={k: _clean(v) for k, v in features.items()},
        loan_amount=Decimal(str(_clean(features.get("loan_amount")) or 100000)),
        pd=pd,
        score=scales.score(pd),
        credit_score=scales.credit_score(pd),
        decision=decision,
        reasons=[],
        positive_factors=[],
        contributions=[],
        base_value=0.0,
        expected_loss=Decimal("0"),
        credit_limit=Decimal("0"),
        model_id=model_id,
        model_version=1,
        policy_version=1,
        knockouts=[],
        bureau_reports=[],
        created_at=created_at,
    )
    session.add(row)
    return row
