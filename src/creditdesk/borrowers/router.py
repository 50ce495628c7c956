"""Borrower routes: sign-in by one-time code (``/borrower-auth``) and the borrower's own accounts (``/me``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from creditdesk.auth.principal import request_meta
from creditdesk.borrowers import accounts, service
from creditdesk.borrowers.deps import Borrower, signin_tenant
from creditdesk.borrowers.schemas import (
    AccountDetail,
    AccountList,
    CodeCheck,
    CodeRequest,
    CodeRequested,
    SessionRefresh,
    TokenPair,
)
from creditdesk.config import get_settings
from creditdesk.db import SessionDep
from creditdesk.errors import Unauthorized

router = APIRouter(tags=["borrowers"])


async def _answer_no_sooner() -> AsyncIterator[None]:
    """Hold the answer until ``borrower_otp_min_response_ms`` after the request began, the commit included.

    Declared before the session in a route's signature, so it is set up first and finished last: the
    answer for a known number (which queues a message) and for an unknown one leave at the same time.
    """
    began = time.monotonic()
    try:
        yield
    finally:
        await anyio.sleep(max(0.0, get_settings().borrower_otp_min_response_ms / 1000 - (time.monotonic() - began)))


AnswerNoSooner = Annotated[None, Depends(_answer_no_sooner, scope="function")]


@router.post("/borrower-auth/otp", status_code=202, response_model=CodeRequested, operation_id="requestBorrowerCode")
async def request_code(data: CodeRequest, request: Request, _: AnswerNoSooner, session: SessionDep) -> CodeRequested:
    """Send a sign-in code to a borrower's phone; the same answer for any number and any lender (no enumeration)."""
    tenant = await signin_tenant(session, data.tenant)
    ip = request_meta(request)["ip"] or "unknown"
    return await run_in_threadpool(
        service.request_code,
        session,
        tenant=tenant,
        slug=data.tenant,
        phone=data.phone,
        language=data.language,
        ip=ip,
    )


@router.post("/borrower-auth/verify", response_model=TokenPair, operation_id="verifyBorrowerCode")
async def verify_code(data: CodeCheck, request: Request, session: SessionDep) -> TokenPair:
    """Sign in with the code received: a borrower's token pair (401 for a wrong, expired or used code)."""
    tenant = await signin_tenant(session, data.tenant)
    meta = request_meta(request)
    return await run_in_threadpool(
        service.verify_code, session, tenant=tenant, slug=data.tenant, phone=data.phone, code=data.code, meta=meta
    )


@router.post("/borrower-auth/refresh", response_model=TokenPair, operation_id="refreshBorrowerSession")
async def refresh(data: SessionRefresh, request: Request, session: SessionDep) -> TokenPair:
    """Exchange a borrower's refresh token for a new pair; the old one stops working."""
    claims = service.session_claims(data.refresh_token)
    tenant = await signin_tenant(session, claims["ten"])
    meta = request_meta(request)
    return await run_in_threadpool(service.refresh, session, tenant=tenant, claims=claims, meta=meta)


@router.post("/borrower-auth/logout", status_code=204, operation_id="signOutBorrower")
async def sign_out(data: SessionRefresh, request: Request, session: SessionDep) -> Response:
    """End the borrower's session (every token of this sign-in)."""
    try:
        claims = service.session_claims(data.refresh_token)
    except Unauthorized:
        return Response(status_code=204)  # signing out with a dead token is already done
    tenant = await signin_tenant(session, claims["ten"])
    await run_in_threadpool(service.sign_out, session, tenant=tenant, claims=claims, meta=request_meta(request))
    return Response(status_code=204)


@router.get("/me/accounts", response_model=AccountList, operation_id="listMyAccounts")
def list_accounts(borrower: Borrower) -> dict[str, Any]:
    """The signed-in borrower's loans: what is outstanding, what is due next, days past due, in plain words."""
    return accounts.list_accounts(borrower.session, borrower=borrower)


@router.get("/me/accounts/{loan_id}", response_model=AccountDetail, operation_id="getMyAccount")
def get_account(loan_id: Annotated[str, Path(max_length=36)], borrower: Borrower) -> dict[str, Any]:
    """One of the borrower's loans with its instalments (404 for any loan that is not theirs)."""
    return accounts.get_account(borrower.session, borrower=borrower, loan_id=loan_id)
