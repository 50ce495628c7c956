"""Route vocabulary of the borrower's routes: the lender a sign-in names, and the signed-in borrower."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from creditdesk.borrowers import service
from creditdesk.db import enter_region, get_database, set_tenant_scope
from creditdesk.tenancy.deps import BorrowerAccess, BorrowerContext, TenantRef, tenant_by_slug


async def signin_tenant(session: Session, slug: str) -> TenantRef | None:
    """The lender a sign-in request names, its session narrowed to it — None, and no scope, when there is no
    such lender or it is suspended: the request goes on all the same as for an unknown lender (``service``).
    Call before the session's first query."""
    ref = await tenant_by_slug(slug)
    if ref is None or ref.status != "active":
        return None
    if get_database().regions:
        enter_region(ref.data_region)
    set_tenant_scope(session, ref.id)
    return ref


def signed_in_borrower(borrower: BorrowerAccess) -> BorrowerContext:
    """The borrower of a live session (401 once it was signed out or its refresh token reused)."""
    service.check_signed_in(borrower.session, borrower=borrower)
    return borrower


#: a borrower's own routes: a live borrower's session, the request's database session narrowed to their tenant
Borrower = Annotated[BorrowerContext, Depends(signed_in_borrower)]
