"""Insert scoring-domain rows (applications, a champion model) directly, for monitoring tests.

Skips the calling test with a clear reason while the scoring domain's tables do not exist yet.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from creditdesk.ml import scales


def scoring_models() -> tuple[Any, Any]:
    """Return (Application, CreditModel), or skip until creditdesk.scoring.models and the registry exist."""
    try:
        from creditdesk.ml.models import CreditModel
        from creditdesk.scoring.models import Application
    except ImportError as exc:
        pytest.skip(f"scoring tables not built yet (creditdesk.scoring.models / creditdesk.ml.models): {exc}")
    return Application, CreditModel


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def insert_champion(session: Session, *, tenant_id: str | None, baseline: dict[str, Any]) -> Any:
    """Register a champion whose model card carries ``baseline`` (no artifact: drift only reads the card)."""
    _, credit_model = scoring_models()
    model = credit_model(
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
) -> Any:
    """Insert one decided application."""
    application, _ = scoring_models()
    row = application(
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
