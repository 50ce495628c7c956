"""The model registry: versions per tenant plus platform defaults, promotion, and loaded-model cache.

Invariants (model versions): versions are per owner and never reused; a tenant has at most one
champion and one challenger; the champion (or a challenger taking traffic) must be trained on the
application schema, because only such a model can score applications. Artifacts are verified against
their checksum every time they are loaded into a process.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import utcnow
from creditdesk.errors import Conflict, ValidationFailed
from creditdesk.ml.model import LoadedModel, ModelArtifact
from creditdesk.ml.models import CreditModel
from creditdesk.ml.training import TrainingResult
from creditdesk.tenancy.scope import get_owned, get_owned_or_platform, select_owned, select_owned_or_platform

PLATFORM = "platform"


def register(
    session: Session,
    *,
    tenant_id: str | None,
    result: TrainingResult,
    name: str,
    dataset: str | None,
    target: str | None,
    created_by: str | None,
    status: str = "draft",
) -> CreditModel:
    """Store a trained model as the owner's next version."""
    owner = tenant_id or PLATFORM
    version = (
        session.execute(select(func.max(CreditModel.version)).where(CreditModel.owner == owner)).scalar_one() or 0
    ) + 1
    art = result.artifact
    model = CreditModel(
        tenant_id=tenant_id,
        owner=owner,
        version=version,
        name=name,
        algorithm=art.algorithm,
        status=status,
        feature_set=str(art.metadata.get("feature_set", "tabular")),
        target=target,
        dataset=dataset,
        metrics=result.metrics,
        report=result.report,
        artifact_text=art.model_text,
        artifact_metadata=dict(art.metadata),
        checksum=art.checksum,
        created_by=created_by,
        promoted_at=utcnow() if status == "champion" else None,
    )
    session.add(model)
    session.flush()
    return model


def list_models(session: Session, *, tenant_id: str) -> list[CreditModel]:
    """The tenant's models and the platform defaults, newest first."""
    stmt = select_owned_or_platform(CreditModel, tenant_id).order_by(CreditModel.created_at.desc())
    return list(session.execute(stmt).scalars())


def get_model(session: Session, *, tenant_id: str, model_id: str) -> CreditModel:
    """One of the tenant's models or a platform default; 404 otherwise."""
    return get_owned_or_platform(session, CreditModel, model_id, tenant_id, what="Model")


def _with_status(session: Session, tenant_id: str, status: str) -> CreditModel | None:
    return (
        session.execute(
            select_owned(CreditModel, tenant_id)
            .where(CreditModel.status == status)
            .order_by(CreditModel.version.desc())
        )
        .scalars()
        .first()
    )


def champion(session: Session, *, tenant_id: str) -> CreditModel | None:
    """The tenant's champion, else the newest platform champion."""
    found = _with_status(session, tenant_id, "champion")
    if found is not None:
        return found
    return (
        session.execute(
            select(CreditModel)
            .where(CreditModel.tenant_id.is_(None), CreditModel.status == "champion")
            .order_by(CreditModel.version.desc())
        )
        .scalars()
        .first()
    )


def challenger(session: Session, *, tenant_id: str) -> CreditModel | None:
    """The tenant's challenger, if any."""
    return _with_status(session, tenant_id, "challenger")


def promote(session: Session, *, tenant_id: str, model_id: str, role: str, traffic: float, actor: Any) -> CreditModel:
    """Make a tenant model champion or challenger; the previous holder of that role is retired."""
    model = get_owned(session, CreditModel, model_id, tenant_id, what="Model")
    if model.status == "retired":
        raise Conflict("A retired model cannot be promoted; train a new version")
    if model.feature_set != "application" and (role == "champion" or traffic > 0):
        raise ValidationFailed(
            "This model was trained on a custom dataset, not the application schema, so it cannot score "
            "applications: promote it as a shadow challenger (traffic 0) or train on application data"
        )
    previous = _with_status(session, tenant_id, role)
    if previous is not None and previous.id != model.id:
        previous.status = "retired"
        previous.traffic = 0.0
    model.status = role
    model.traffic = traffic if role == "challenger" else 0.0
    model.promoted_at = utcnow()
    forget_refs(tenant_id)
    audit.record(
        session,
        actor=actor,
        action="model.promoted",
        tenant_id=tenant_id,
        resource_type="model",
        resource_id=model.id,
        details={
            "version": model.version,
            "role": role,
            "traffic": model.traffic,
            "retired": previous.id if previous and previous.id != model.id else None,
        },
    )
    return model


# ---- the active models of a tenant, cached briefly (the decision path's lookup) -------------------------


@dataclass(frozen=True)
class ModelRef:
    """What the decision path needs of a registry row (the artifact loads once, by id and checksum)."""

    id: str
    version: int
    checksum: str
    feature_set: str
    traffic: float


REFS_TTL_S = 2.0
_refs: dict[str, tuple[float, ModelRef | None, ModelRef | None]] = {}


def _ref(model: CreditModel | None) -> ModelRef | None:
    if model is None:
        return None
    return ModelRef(model.id, model.version, model.checksum, model.feature_set, model.traffic)


def cached_refs(tenant_id: str) -> tuple[ModelRef | None, ModelRef | None] | None:
    """(champion, challenger) from this process's cache, or None when they must be re-read."""
    hit = _refs.get(tenant_id)
    if hit is not None and time.monotonic() - hit[0] < REFS_TTL_S:
        return hit[1], hit[2]
    return None


def cached_model(ref: ModelRef | None) -> LoadedModel | None:
    """The loaded model of a ref if this process has it (None for a None ref or one not loaded yet)."""
    if ref is None:
        return None
    with _lock:
        return _loaded.get(f"{ref.id}:{ref.checksum}")


def active_refs(session: Session, *, tenant_id: str) -> tuple[ModelRef | None, ModelRef | None]:
    """(champion, challenger) of a tenant; re-read at most every REFS_TTL_S seconds per process."""
    hit = cached_refs(tenant_id)
    if hit is not None:
        return hit
    champ, chall = _ref(champion(session, tenant_id=tenant_id)), _ref(challenger(session, tenant_id=tenant_id))
    _refs[tenant_id] = (time.monotonic(), champ, chall)
    return champ, chall


def forget_refs(tenant_id: str | None = None) -> None:
    """Drop cached refs (after a promotion) so this process sees the change at once."""
    if tenant_id is None:
        _refs.clear()
    else:
        _refs.pop(tenant_id, None)


def loaded_ref(session: Session, ref: ModelRef | None) -> LoadedModel | None:
    """Return the LoadedModel of a ref (None for None), reading the artifact from the database only on first use."""
    if ref is None:
        return None
    hit = cached_model(ref)
    if hit is not None:
        return hit
    row = session.get(CreditModel, ref.id)
    if row is None:
        raise LookupError(f"model {ref.id} vanished")
    return loaded(row)


# ---- the loaded-model cache (one LoadedModel per process per model) -----------------------------------

_loaded: OrderedDict[str, LoadedModel] = OrderedDict()
_lock = threading.Lock()
MAX_LOADED = 16


def loaded(model: CreditModel) -> LoadedModel:
    """Return the process's LoadedModel for a registry row, loading (and verifying) it once."""
    key = f"{model.id}:{model.checksum}"
    with _lock:
        hit = _loaded.get(key)
        if hit is not None:
            _loaded.move_to_end(key)
            return hit
    art = ModelArtifact(model.algorithm, model.artifact_text, dict(model.artifact_metadata), model.checksum)
    fresh = LoadedModel.from_artifact(art, num_threads=1)
    with _lock:
        _loaded[key] = fresh
        while len(_loaded) > MAX_LOADED:
            _loaded.popitem(last=False)
    return fresh
