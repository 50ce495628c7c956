"""Channels services: so far, reading and changing a tenant's contact policy.

Invariants:
- A stored policy never loosens RBI's rules: ``policy.checked`` refuses it on the way in (422 naming each
  field), and ``policy.evaluate`` clamps it to ``policy.LIMITS`` again when a send is judged.
- WhatsApp carries collections content only after a tenant admin turned it on *and* acknowledged the
  warning (WhatsApp's Business Messaging Policy prohibits debt collection).
- Changes are serialised per tenant (the row is created once with an insert-or-nothing, then locked)
  and versioned: an editor that sends the version it read gets 409 when someone saved in between.
  Every change is audited with the fields it changed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.channels.models import ContactPolicyRecord
from creditdesk.channels.policy import DEFAULT_POLICY, LIMITS, ContactPolicy, checked
from creditdesk.channels.schemas import WHATSAPP_COLLECTIONS_WARNING, ContactPolicyRead, ContactPolicyUpdate
from creditdesk.db import insert_into, new_id, utcnow
from creditdesk.errors import Conflict, ValidationFailed
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned


def _stored(session: Session, tenant_id: str, *, lock: bool = False) -> ContactPolicyRecord | None:
    stmt = select_owned(ContactPolicyRecord, tenant_id)
    return session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()


def effective_policy(session: Session, *, tenant_id: str) -> ContactPolicy:
    """The policy every send of the tenant is judged by: the stored one, else the defaults (RBI's)."""
    row = _stored(session, tenant_id)
    return ContactPolicy.model_validate(row.policy) if row is not None else DEFAULT_POLICY


def _read(row: ContactPolicyRecord | None) -> ContactPolicyRead:
    policy = ContactPolicy.model_validate(row.policy) if row is not None else DEFAULT_POLICY
    return ContactPolicyRead.model_validate(
        {
            **policy.model_dump(),
            "version": row.version if row is not None else 0,
            "is_default": row is None or row.version == 0,
            "limits": LIMITS,
            "updated_at": row.updated_at if row is not None and row.version else None,
            "updated_by": row.updated_by if row is not None else None,
        }
    )


def get_policy(session: Session, *, tenant: Tenant) -> ContactPolicyRead:
    """The tenant's contact policy (the defaults until it saves one)."""
    return _read(_stored(session, tenant.id))


def update_policy(session: Session, *, tenant: Tenant, data: ContactPolicyUpdate, actor: Actor) -> ContactPolicyRead:
    """Replace the tenant's contact policy; 422 for anything looser than RBI's rules or our ceilings, 409 for
    a stale ``version``."""
    proposed = checked(
        ContactPolicy.model_validate(data.model_dump(exclude={"version", "acknowledge_whatsapp_collections_warning"}))
    )
    _claim_row(session, tenant.id)
    row = _stored(session, tenant.id, lock=True)
    assert row is not None
    if data.version is not None and data.version != row.version:
        raise Conflict(
            f"the contact policy changed since you read it (version {data.version}, now {row.version}); "
            "read it again and repeat your change"
        )
    current = ContactPolicy.model_validate(row.policy)
    turned_on = proposed.whatsapp_collections_enabled and not current.whatsapp_collections_enabled
    if turned_on and not data.acknowledge_whatsapp_collections_warning:
        message = f"read the warning and acknowledge it to turn this on: {WHATSAPP_COLLECTIONS_WARNING}"
        raise ValidationFailed(
            f"body.acknowledge_whatsapp_collections_warning: {message}",
            extra={
                "fields": [
                    {
                        "field": "body.acknowledge_whatsapp_collections_warning",
                        "message": message,
                        "type": "value_error",
                    }
                ]
            },
        )
    changed = _changed(current, proposed)
    if changed or row.version == 0:
        row.policy = proposed.model_dump(mode="json")
        row.version += 1
        row.updated_at = utcnow()
        row.updated_by = actor.email or getattr(actor, "name", None) or actor.actor_type
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="channels.contact_policy_updated",
            tenant_id=tenant.id,
            resource_type="contact_policy",
            resource_id=row.id,
            details={"changed": changed, "version": row.version},
        )
    return _read(row)


#: the fields of the update body that are not the policy
_NOT_POLICY = {"version", "acknowledge_whatsapp_collections_warning"}


def _claim_row(session: Session, tenant_id: str) -> None:
    """Create the tenant's row (the defaults, version 0) unless it exists — concurrent first saves make one."""
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_id(),
        "created_at": now,
        "tenant_id": tenant_id,
        "policy": DEFAULT_POLICY.model_dump(mode="json"),
        "version": 0,
        "updated_at": now,
    }
    session.execute(insert_into(session, ContactPolicyRecord).values(**values).on_conflict_do_nothing())


def _changed(before: ContactPolicy, after: ContactPolicy) -> list[str]:
    """The top-level fields that differ."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return sorted(name for name in new if old.get(name) != new[name])
