"""A tenant's stored merge rule: how several bureaus' reports become one application ``bureau`` block.

The rule itself and the merging live in :mod:`creditdesk.bureaus.merge`; this module stores the
tenant's choice (conservative by default) and serves it to the API.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.bureaus.config import actor_label
from creditdesk.bureaus.merge import MergeRule, parse_rule
from creditdesk.bureaus.models import BureauMergeRuleRecord
from creditdesk.bureaus.schemas import BUREAUS, BureauName
from creditdesk.bureaus.schemas_api import MergeRuleRead, MergeRuleUpdate
from creditdesk.db import utcnow
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned


def _merge_record(session: Session, *, tenant_id: str) -> BureauMergeRuleRecord | None:
    return session.execute(select_owned(BureauMergeRuleRecord, tenant_id)).scalar_one_or_none()


def merge_rule_for(session: Session, *, tenant_id: str) -> MergeRule:
    """Return the tenant's merge rule (conservative by default)."""
    record = _merge_record(session, tenant_id=tenant_id)
    if record is None:
        return MergeRule()
    return parse_rule({"strategy": record.strategy, "priority": record.priority or None})


def get_merge_rule(session: Session, *, tenant: Tenant) -> MergeRuleRead:
    """Return the tenant's merge rule as the API shows it."""
    record = _merge_record(session, tenant_id=tenant.id)
    rule = merge_rule_for(session, tenant_id=tenant.id)
    priority: list[BureauName] = [b for name in rule.priority for b in BUREAUS if b == name]  # typed, in order
    return MergeRuleRead(
        strategy=rule.strategy,
        priority=priority,
        updated_at=record.updated_at if record else None,
        updated_by=record.updated_by if record else None,
    )


def update_merge_rule(session: Session, *, tenant: Tenant, data: MergeRuleUpdate, actor: Actor) -> MergeRuleRead:
    """Set how the tenant merges several bureaus' reports."""
    priority: list[str] = list(dict.fromkeys([*(data.priority or []), *BUREAUS]))
    record = _merge_record(session, tenant_id=tenant.id)
    if record is None:
        record = BureauMergeRuleRecord(tenant_id=tenant.id)
        session.add(record)
    record.strategy = data.strategy
    record.priority = priority
    record.updated_at = utcnow()
    record.updated_by = actor_label(actor)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="bureau.merge_rule_updated",
        tenant_id=tenant.id,
        resource_type="bureau_merge_rule",
        resource_id=record.id,
        details={"strategy": data.strategy, "priority": priority},
    )
    return get_merge_rule(session, tenant=tenant)
