"""Borrower sign-in by one-time code, and the borrower's sessions.

Security invariants (docs/borrowers.md):
- No enumeration. A code request is answered 202 with the same body and headers whether the phone number
  is a customer's or not, and whether the lender named exists or not, after the same work: the limits,
  the hashes, a customer lookup, a stored ``borrower_otp`` row with a code's hash (a code nobody receives
  when the number is unknown). Only a known customer is sent the code. The route also answers no sooner
  than ``borrower_otp_min_response_ms``, so the sending does not show in the timing. Checking a code
  behaves the same for every number too: an unknown one's code locks after the same wrong attempts.
- A code is 6 digits from ``secrets``, stored only as its keyed hash (HMAC, bound to its row), valid
  ``CODE_LIFETIME``, used at most once (a conditional update claims it: of concurrent checks of one code
  exactly one signs in), dead after ``MAX_ATTEMPTS`` wrong attempts (answered ``CodeLocked``, 401, until a
  new code is asked for), and superseded by the next code asked for the same number.
- A wrong, expired, used or unknown code gets one answer: ``InvalidCode`` (401) with one message.
- A borrower's session is a token pair like staff's, in the ``borrower`` realm (role ``borrower``, subject
  the customer, scoped to the tenant); refresh tokens rotate and a reused one revokes the family.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.auth import tokens
from creditdesk.auth.schemas import TokenPair
from creditdesk.borrowers.models import BorrowerOtp, BorrowerRefreshToken
from creditdesk.borrowers.schemas import CodeRequested
from creditdesk.borrowers.throttle import signin_throttle
from creditdesk.channels import messaging
from creditdesk.config import get_settings
from creditdesk.db import new_id, utcnow
from creditdesk.errors import AppError, TokenReuseDetected, Unauthorized, invalid_field
from creditdesk.kit.crypto import SecretBox, constant_time_equals, indian_mobile, personal_data_box, phone_hashes
from creditdesk.portfolio.models import Customer
from creditdesk.tenancy.deps import BorrowerContext, TenantRef
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import BORROWER_ROLE
from creditdesk.tenancy.scope import scoped, select_owned

log = structlog.get_logger("creditdesk.borrowers")

CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
#: how long a code's row is kept, and how many stale rows each request removes
KEEP_CODES = timedelta(days=1)
PURGE_BATCH = 20

REQUESTED = (
    "If this number is registered with the lender, a sign-in code is on its way by WhatsApp or SMS. "
    "It works once, for 5 minutes."
)
WRONG_CODE = "That code is wrong or has expired: check it, or ask for a new one"
LOCKED = "Too many wrong codes: this one no longer works; ask for a new one"


def new_code() -> str:
    """Six random digits from ``secrets``."""
    return f"{secrets.randbelow(1_000_000):06d}"


class InvalidCode(Unauthorized):
    """A wrong, expired, used or unknown code (one answer for all). The wrong attempt it counts is kept."""

    commit_session = True


class CodeLocked(Unauthorized):
    """The code met ``MAX_ATTEMPTS`` wrong attempts; only a new code signs in."""

    commit_session = True


class _SignInActor:
    """The actor of a sign-in: the customer once the code checks out (audit's ``Actor``)."""

    actor_type = "borrower"
    email = None

    def __init__(self, customer_id: str | None, meta: dict[str, Any]):
        self.id = customer_id
        self.request_id = meta.get("request_id")
        self.ip = meta.get("ip")


# -- asking for a code ---------------------------------------------------------------------------------


def _tenant_key(tenant: TenantRef | None, slug: str) -> str:
    """What a phone's hash is scoped by: the tenant, or the slug of a lender that does not exist."""
    return tenant.id if tenant is not None else f"unknown/{slug}"


def _owned(model: Any, tenant: TenantRef | None) -> Select[Any]:
    """``SELECT model`` of the tenant's rows; for a lender that does not exist, of the rows stored without a
    tenant (``tenant_id`` NULL: the scoping helper's comparison with None reads ``IS NULL``)."""
    return select_owned(model, cast(str, tenant.id if tenant is not None else None))


def _customer_with_phone(session: Session, *, tenant: TenantRef | None, hashes: list[str]) -> str | None:
    """The tenant's customer with this mobile number (the oldest, when several share it), by its keyed hash."""
    stmt = _owned(Customer, tenant).where(Customer.phone_hash.in_(hashes)).order_by(Customer.created_at, Customer.id)
    found: str | None = session.execute(stmt.with_only_columns(Customer.id).limit(1)).scalar_one_or_none()
    return found


def _purge_stale(session: Session, *, tenant: TenantRef | None, now: datetime) -> None:
    """Remove a few of the tenant's codes older than ``KEEP_CODES``: each request tidies up after the old ones,
    so the table holds about a day of requests without a job to empty it."""
    stale = _owned(BorrowerOtp, tenant).where(BorrowerOtp.created_at < now - KEEP_CODES)
    ids = stale.with_only_columns(BorrowerOtp.id).limit(PURGE_BATCH).scalar_subquery()
    session.execute(delete(BorrowerOtp).where(BorrowerOtp.id.in_(ids)).execution_options(synchronize_session=False))


def _code_scope(otp_id: str) -> str:
    """What a code's hash is bound to: its row (the same code in another row hashes differently)."""
    return f"{otp_id}/otp"


def request_code(
    session: Session,
    *,
    tenant: TenantRef | None,
    slug: str,
    phone: str,
    language: str,
    ip: str,
) -> CodeRequested:
    """Store a new code for the number and send it if the number is a customer's; the same answer either way."""
    box = personal_data_box()
    mobile = indian_mobile(phone)
    if mobile is None:  # the schema's pattern admits only Indian mobiles
        raise invalid_field("body.phone", "an Indian mobile number")
    signin_throttle().admit_code_request(ip=ip, phone_key=box.keyed_hash(mobile, "borrower/phone"))
    hashes = phone_hashes(box, _tenant_key(tenant, slug), mobile)
    now = utcnow()
    _purge_stale(session, tenant=tenant, now=now)
    customer_id = _customer_with_phone(session, tenant=tenant, hashes=hashes)
    otp = BorrowerOtp(
        id=new_id(),
        tenant_id=tenant.id if tenant else None,
        phone_hash=hashes[0],
        customer_id=customer_id,
        expires_at=now + CODE_LIFETIME,
        ip_hash=box.keyed_hash(ip, "borrower/ip"),
        created_at=now,
    )
    code = new_code()
    otp.code_hash = box.keyed_hash(code, _code_scope(otp.id))
    session.add(otp)
    session.flush()
    if tenant is not None and customer_id is not None:
        otp.message_id = _deliver(session, tenant=tenant, customer_id=customer_id, code=code, language=language)
    return CodeRequested(detail=REQUESTED, expires_in=int(CODE_LIFETIME.total_seconds()))


def _deliver(session: Session, *, tenant: TenantRef, customer_id: str, code: str, language: str) -> str | None:
    """Queue the code for the customer (WhatsApp's authentication template, else SMS; the worker sends it after
    commit) and return the message's id — None when it cannot be queued.

    Whatever goes wrong (no approved OTP template, no channel account, a bug) is undone to a savepoint and
    logged, never answered: the borrower gets the same 202 as for a number nobody knows. The log names the
    error and, for our own errors, their message with the code masked — never the code.
    """
    try:
        with session.begin_nested():
            row = tenant_row(session, tenant)
            return messaging.send_otp(session, tenant=row, customer_id=customer_id, code=code, language=language)
    except Exception as exc:  # noqa: BLE001 - see the docstring: a failure must not change the answer
        log.warning(
            "borrower sign-in code not queued",
            tenant=tenant.slug,
            customer_id=customer_id,
            error=type(exc).__name__,
            detail=exc.message.replace(code, "••••••") if isinstance(exc, AppError) else None,
        )
        return None


# -- checking a code -----------------------------------------------------------------------------------


def _newest_code(session: Session, *, tenant: TenantRef | None, hashes: list[str]) -> BorrowerOtp | None:
    stmt = _owned(BorrowerOtp, tenant).where(BorrowerOtp.phone_hash.in_(hashes))
    row = session.execute(stmt.order_by(BorrowerOtp.created_at.desc(), BorrowerOtp.id).limit(1)).scalar_one_or_none()
    return cast(BorrowerOtp | None, row)


def _matches(box: SecretBox, otp: BorrowerOtp, code: str) -> bool:
    """Whether ``code`` is the row's code, under any key of the ring (a rotation may fall within 5 minutes)."""
    found = False
    for candidate in box.keyed_hashes(code, _code_scope(otp.id)):
        found |= constant_time_equals(candidate, otp.code_hash)
    return found


def _count_wrong(session: Session, otp: BorrowerOtp) -> int:
    """Count one wrong attempt (atomically: concurrent wrong attempts all count); return the attempts made."""
    counted = session.execute(
        update(BorrowerOtp)
        .where(BorrowerOtp.id == otp.id, BorrowerOtp.attempts < MAX_ATTEMPTS)
        .values(attempts=BorrowerOtp.attempts + 1)
        .returning(BorrowerOtp.attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return MAX_ATTEMPTS if counted is None else int(counted)


def _claim(session: Session, otp: BorrowerOtp) -> bool:
    """Mark the code used if it still is usable; True for the one check that did (of any number at once)."""
    now = utcnow()
    claimed = session.execute(
        update(BorrowerOtp)
        .where(
            BorrowerOtp.id == otp.id,
            BorrowerOtp.used_at.is_(None),
            BorrowerOtp.attempts < MAX_ATTEMPTS,
            BorrowerOtp.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(claimed, "rowcount", 0) == 1)


def verify_code(
    session: Session, *, tenant: TenantRef | None, slug: str, phone: str, code: str, meta: dict[str, Any]
) -> TokenPair:
    """Sign a borrower in with the code sent to their phone; the session's token pair."""
    signin_throttle().admit_code_check(ip=meta.get("ip") or "unknown")
    box = personal_data_box()
    otp = _newest_code(session, tenant=tenant, hashes=phone_hashes(box, _tenant_key(tenant, slug), phone))
    if otp is None:
        raise InvalidCode(WRONG_CODE)
    if otp.attempts >= MAX_ATTEMPTS:
        raise CodeLocked(LOCKED)
    if otp.used_at is not None or otp.expires_at <= utcnow():
        raise InvalidCode(WRONG_CODE)
    if not _matches(box, otp, code) or otp.customer_id is None:
        if _count_wrong(session, otp) >= MAX_ATTEMPTS:
            _audit_lock(session, tenant=tenant, otp=otp, meta=meta)
            raise CodeLocked(LOCKED)
        raise InvalidCode(WRONG_CODE)
    if tenant is None or not _claim(session, otp):
        raise InvalidCode(WRONG_CODE)
    audit.record(
        session,
        actor=_SignInActor(otp.customer_id, meta),
        action="borrower.signed_in",
        tenant_id=tenant.id,
        resource_type="customer",
        resource_id=otp.customer_id,
    )
    return start_session(session, tenant=tenant, customer_id=otp.customer_id)


def _audit_lock(session: Session, *, tenant: TenantRef | None, otp: BorrowerOtp, meta: dict[str, Any]) -> None:
    """Record a code locked by wrong attempts (for a known lender; the customer when the number is one's)."""
    if tenant is None:
        return
    audit.record(
        session,
        actor=_SignInActor(otp.customer_id, meta),
        action="borrower.code_locked",
        tenant_id=tenant.id,
        outcome="denied",
        resource_type="customer" if otp.customer_id else None,
        resource_id=otp.customer_id,
        details={"attempts": MAX_ATTEMPTS},
    )


# -- sessions ------------------------------------------------------------------------------------------


def _issue_pair(session: Session, *, tenant: TenantRef, customer_id: str, family_id: str) -> TokenPair:
    settings = get_settings()
    realm = {"role": BORROWER_ROLE, "tid": tenant.id, "ten": tenant.slug}
    access = tokens.issue(
        typ="access",
        subject=customer_id,
        family_id=family_id,
        lifetime=timedelta(minutes=settings.access_token_minutes),
        extra=realm,
    )
    refresh = tokens.issue(
        typ="refresh",
        subject=customer_id,
        family_id=family_id,
        lifetime=timedelta(days=settings.refresh_token_days),
        extra=realm,
    )
    session.add(
        BorrowerRefreshToken(
            jti=refresh.jti,
            tenant_id=tenant.id,
            family_id=family_id,
            customer_id=customer_id,
            expires_at=refresh.expires_at,
        )
    )
    return TokenPair(
        access_token=access.token, refresh_token=refresh.token, expires_in=settings.access_token_minutes * 60
    )


def start_session(session: Session, *, tenant: TenantRef, customer_id: str) -> TokenPair:
    """Open a borrower's session: a new token family."""
    return _issue_pair(session, tenant=tenant, customer_id=customer_id, family_id=secrets.token_urlsafe(16))


def session_claims(refresh_token: str) -> dict[str, Any]:
    """The claims of a borrower's refresh token (401 for any other token)."""
    claims = tokens.decode(refresh_token, typ="refresh")
    if claims.get("role") != BORROWER_ROLE or not isinstance(claims.get("ten"), str):
        raise Unauthorized("Invalid token")
    return claims


def _revoke_family(session: Session, tenant: TenantRef, family_id: str) -> None:
    session.execute(
        scoped(update(BorrowerRefreshToken), BorrowerRefreshToken, tenant.id)
        .where(BorrowerRefreshToken.family_id == family_id, BorrowerRefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def refresh(session: Session, *, tenant: TenantRef | None, claims: dict[str, Any], meta: dict[str, Any]) -> TokenPair:
    """Rotate a borrower's refresh token; a used or revoked one revokes its whole family (audited)."""
    if tenant is None or tenant.id != claims.get("tid"):
        raise Unauthorized("Invalid token")
    row = session.execute(
        select_owned(BorrowerRefreshToken, tenant.id).where(BorrowerRefreshToken.jti == claims["jti"])
    ).scalar_one_or_none()
    if row is None or row.customer_id != claims["sub"]:
        raise Unauthorized("Invalid token")
    if row.used_at is not None or row.revoked_at is not None:
        _revoke_family(session, tenant, row.family_id)
        audit.record(
            session,
            actor=_SignInActor(row.customer_id, meta),
            action="borrower.refresh_reuse_detected",
            tenant_id=tenant.id,
            outcome="denied",
            resource_type="customer",
            resource_id=row.customer_id,
            details={"family": row.family_id[:8]},
        )
        raise TokenReuseDetected("Refresh token was already used; every session of this sign-in has been revoked")
    if tenant.status != "active":
        raise Unauthorized("Your lender's service is suspended")
    row.used_at = utcnow()
    return _issue_pair(session, tenant=tenant, customer_id=row.customer_id, family_id=row.family_id)


def sign_out(session: Session, *, tenant: TenantRef | None, claims: dict[str, Any], meta: dict[str, Any]) -> None:
    """End the session of a refresh token (its family, and so its access tokens)."""
    if tenant is None or tenant.id != claims.get("tid"):
        return
    _revoke_family(session, tenant, claims["fam"])
    audit.record(
        session,
        actor=_SignInActor(claims["sub"], meta),
        action="borrower.signed_out",
        tenant_id=tenant.id,
        resource_type="customer",
        resource_id=claims["sub"],
    )


def check_signed_in(session: Session, *, borrower: BorrowerContext) -> None:
    """401 unless the access token's session is live: its family exists for the customer and is not revoked."""
    counts = select(func.count(), func.count(BorrowerRefreshToken.revoked_at))
    issued, revoked = session.execute(
        scoped(counts, BorrowerRefreshToken, borrower.tenant_id).where(
            BorrowerRefreshToken.family_id == borrower.borrower.family_id,
            BorrowerRefreshToken.customer_id == borrower.customer_id,
        )
    ).one()
    if not issued or revoked:
        raise Unauthorized("This session has ended; sign in again")


def tenant_row(session: Session, tenant: TenantRef) -> Tenant:
    """The tenant's row (for what needs more than its reference)."""
    row = session.get(Tenant, tenant.id)
    if row is None:
        raise Unauthorized("Invalid token")
    return row
