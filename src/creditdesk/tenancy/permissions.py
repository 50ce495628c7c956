"""Roles and permissions as data (one enum, one mapping) and the one permission check.

Routes declare the permission they need through a dependency — ``Require`` (``auth/principal.py``),
``TenantAccess`` or ``TenantCaller`` (``tenancy/deps.py``) — and each of them, like any service that
must refuse a caller, goes through :func:`require`: 403 with the same message everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeVar, get_args

from creditdesk.errors import Forbidden

#: The role names in request bodies (one list each; ``Role`` below must name the same roles, a test checks).
PlatformRoleName = Literal["platform_admin", "risk_analyst"]
TenantRoleName = Literal["tenant_admin", "risk_analyst", "field_officer", "auditor"]
RoleName = Literal[PlatformRoleName, TenantRoleName]


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    RISK_ANALYST = "risk_analyst"
    TENANT_ADMIN = "tenant_admin"
    FIELD_OFFICER = "field_officer"
    AUDITOR = "auditor"


class Permission(StrEnum):
    TENANTS_CREATE = "tenants:create"
    TENANTS_READ = "tenants:read"
    TENANTS_MANAGE = "tenants:manage"
    PLATFORM_USERS_MANAGE = "platform_users:manage"
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    API_KEYS_MANAGE = "api_keys:manage"
    BUREAUS_READ = "bureaus:read"
    BUREAUS_MANAGE = "bureaus:manage"
    MODELS_READ = "models:read"
    MODELS_MANAGE = "models:manage"
    POLICY_READ = "policy:read"
    POLICY_MANAGE = "policy:manage"
    APPLICATIONS_CREATE = "applications:create"
    #: choose which bureaus to pull for one application, narrowing the policy's bureau-pull rule
    APPLICATIONS_CHOOSE_BUREAUS = "applications:choose_bureaus"
    APPLICATIONS_READ_OWN = "applications:read_own"
    APPLICATIONS_READ = "applications:read"
    BATCHES_CREATE = "batches:create"
    JOBS_READ = "jobs:read"
    PORTFOLIO_READ = "portfolio:read"
    PORTFOLIO_MANAGE = "portfolio:manage"
    LENDING_READ = "lending:read"
    LENDING_MANAGE = "lending:manage"
    #: cancel a sanctioned loan before its payout (compensate the disbursement saga): a credit decision
    #: with consequences for the borrower, kept apart from running the saga (docs/lending-saga.md)
    LENDING_CANCEL = "lending:cancel"
    MONITORING_READ = "monitoring:read"
    MONITORING_MANAGE = "monitoring:manage"
    DASHBOARDS_MANAGE = "dashboards:manage"
    PAYMENTS_READ = "payments:read"
    PAYMENTS_CREATE = "payments:create"
    PAYMENTS_CONFIGURE = "payments:configure"
    #: channels: read the contact policy, templates, provider accounts (redacted) and the message log
    CHANNELS_READ = "channels:read"
    #: channels: change the contact policy and the provider accounts (their credentials)
    CHANNELS_CONFIGURE = "channels:configure"
    #: send a message (or place a call) to a borrower: through the contact policy, like every send
    MESSAGES_SEND = "messages:send"
    #: record a borrower's consent, opt-out or opt-in
    CHANNELS_CONSENT = "channels:consent"
    #: write message templates (drafts and new versions)
    TEMPLATES_WRITE = "templates:write"
    #: approve a message template someone else wrote (maker–checker)
    TEMPLATES_APPROVE = "templates:approve"
    AUDIT_READ = "audit:read"
    OPS_READ = "ops:read"
    OPS_MANAGE = "ops:manage"


P = Permission

_ANALYST = {
    P.TENANTS_READ,
    P.BUREAUS_READ,
    P.BUREAUS_MANAGE,
    P.MODELS_READ,
    P.MODELS_MANAGE,
    P.POLICY_READ,
    P.POLICY_MANAGE,
    P.APPLICATIONS_CREATE,
    P.APPLICATIONS_CHOOSE_BUREAUS,
    P.APPLICATIONS_READ_OWN,
    P.APPLICATIONS_READ,
    P.BATCHES_CREATE,
    P.JOBS_READ,
    P.PORTFOLIO_READ,
    P.LENDING_READ,
    P.MONITORING_READ,
    P.MONITORING_MANAGE,
    P.DASHBOARDS_MANAGE,
    P.PAYMENTS_READ,
    P.PAYMENTS_CREATE,
    P.CHANNELS_READ,
    P.CHANNELS_CONSENT,
    P.TEMPLATES_WRITE,
    P.MESSAGES_SEND,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset(Permission),
    # A platform-scoped analyst holds these for every tenant; a tenant-scoped one for its tenant.
    Role.RISK_ANALYST: frozenset(_ANALYST | {P.OPS_READ}),
    Role.TENANT_ADMIN: frozenset(
        _ANALYST
        | {P.USERS_READ, P.USERS_MANAGE, P.API_KEYS_MANAGE, P.PORTFOLIO_MANAGE, P.AUDIT_READ, P.PAYMENTS_CONFIGURE}
        | {P.LENDING_MANAGE, P.LENDING_CANCEL, P.CHANNELS_CONFIGURE, P.TEMPLATES_APPROVE}
    ),
    Role.FIELD_OFFICER: frozenset({P.APPLICATIONS_CREATE, P.APPLICATIONS_READ_OWN, P.BATCHES_CREATE, P.JOBS_READ}),
    Role.AUDITOR: frozenset(
        {
            P.TENANTS_READ,
            P.APPLICATIONS_READ_OWN,
            P.APPLICATIONS_READ,
            P.AUDIT_READ,
            P.LENDING_READ,
            P.PORTFOLIO_READ,
            P.PAYMENTS_READ,
            P.CHANNELS_READ,
            P.MONITORING_READ,
            P.MODELS_READ,
            P.POLICY_READ,
            P.JOBS_READ,
        }
    ),
}

#: Roles that may exist without a tenant, and roles that may exist inside one.
PLATFORM_ROLES = frozenset(Role(r) for r in get_args(PlatformRoleName))
TENANT_ROLES = frozenset(Role(r) for r in get_args(TenantRoleName))

#: A borrower signed in by one-time code (``creditdesk.borrowers``): a realm of its own, not a staff role —
#: no user row, never given to a user or an API key (so not a ``Role``), and no permission at all. Its
#: tokens open only ``/api/v1/me/…`` (``tenancy.deps.BorrowerAccess``); every staff route refuses them (403).
BORROWER_ROLE = "borrower"


def permissions_for(role: str, *, platform_scoped: bool) -> frozenset[Permission]:
    """Return the permissions of a role; platform-only permissions are dropped for tenant users."""
    if role == BORROWER_ROLE:
        return frozenset()
    perms = ROLE_PERMISSIONS.get(Role(role), frozenset())
    if not platform_scoped:
        perms = perms - {P.OPS_READ, P.OPS_MANAGE, P.TENANTS_CREATE, P.TENANTS_MANAGE, P.PLATFORM_USERS_MANAGE}
    return perms


class Caller(Protocol):
    """Whoever acts: a user or an API key (``auth.principal.Identity``), or a system actor."""

    @property
    def role(self) -> str: ...

    @property
    def permissions(self) -> frozenset[Permission]: ...


def require(caller: Caller, permission: Permission) -> None:
    """Refuse (403) a caller without ``permission``: the one permission check, for routes and services."""
    if permission not in caller.permissions:
        raise Forbidden(f"Your role ({caller.role}) does not allow this action ({permission.value})")


Dependency = TypeVar("Dependency", bound=Callable[..., Any])


def declare(dependency: Dependency, permission: Permission) -> Dependency:
    """Mark a route dependency with the permission it checks (``tests/routes.py`` reads it for the matrix test)."""
    dependency.required_permission = permission  # type: ignore[attr-defined]  # a marker attribute on a function
    return dependency
