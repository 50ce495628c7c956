"""Simulated TransUnion CIBIL: JSON API, member id + password in the body, API key in a header.

The wire format is documented in :mod:`creditdesk.bureaus.connectors.cibil`.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from creditdesk.bureaus.connectors.cibil import ACCOUNT_TYPES, DATE_FORMAT
from creditdesk.bureaus.schemas import PAN_PATTERN, add_months
from creditdesk.bureaus.simulators.personas import SimAccount, profile_for_pan, score_for
from creditdesk.bureaus.simulators.state import BureauSimulator, add_control_routes, same_secret

TYPE_CODES = {kind: code for code, kind in ACCOUNT_TYPES.items()}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errorCode": code, "errorMessage": message}, status_code=status)


def _history_token(dpd: int | None, status: str) -> str:
    if dpd is None:
        return "XXX"
    if status == "written_off" and dpd >= 180:
        return "LSS"
    return f"{min(dpd, 999):03d}"


def render_account(account: SimAccount, report_date: date) -> dict[str, Any]:
    """Render one simulated account as a CIBIL account segment."""
    opened = add_months(report_date, -account.opened_months_ago).replace(day=account.opened_day)
    closed = None
    if account.closed_months_ago is not None:
        closed = add_months(report_date, -account.closed_months_ago).replace(day=1).strftime(DATE_FORMAT)
    is_card = account.kind == "credit_card"
    return {
        "accountType": TYPE_CODES.get(account.kind, "00"),
        "ownershipIndicator": "1",
        "dateOpened": opened.strftime(DATE_FORMAT),
        "dateClosed": closed,
        "highCreditOrSanctionedAmount": str(account.sanctioned if not is_card else account.balance),
        "creditLimit": str(account.sanctioned) if is_card else None,
        "currentBalance": str(account.balance),
        "amountOverdue": str(account.overdue),
        "paymentHistory": "".join(_history_token(d, account.status) for d in account.dpd),
        "paymentHistoryStartDate": report_date.replace(day=1).strftime(DATE_FORMAT),
        "writtenOffAndSettledStatus": {"written_off": "02", "settled": "03"}.get(account.status),
    }


def render_report(pan: str, member_reference: str, report_date: date) -> dict[str, Any]:
    """Render the CIBIL credit report of ``pan``."""
    profile = profile_for_pan(pan)
    score = score_for(profile, "cibil")
    return {
        "responseHeader": {
            "status": "SUCCESS",
            "controlNumber": f"CN{uuid.uuid4().int % 10**10:010d}",
            "memberReference": member_reference,
            "dateProcessed": report_date.strftime(DATE_FORMAT),
        },
        "consumerReport": {
            "ids": [{"idType": "01", "idNumber": pan}],
            "scores": [
                {
                    "scoreName": "CIBILTUSC3",
                    "score": f"{score:05d}" if score is not None else "-1",
                    "reasonCodes": [],
                }
            ],
            "accounts": [render_account(a, report_date) for a in profile.accounts],
            "enquiries": [
                {
                    "dateOfEnquiry": (report_date - timedelta(days=e.days_ago)).strftime(DATE_FORMAT),
                    "enquiryPurpose": TYPE_CODES.get(e.purpose, "00"),
                    "enquiryAmount": str(e.amount),
                    "memberShortName": "NOT DISCLOSED",
                }
                for e in profile.enquiries
            ],
        },
    }


def build_router(sim: BureauSimulator, *, include_in_schema: bool = False) -> APIRouter:
    """Return the CIBIL simulator's routes (mount under ``/simulators/cibil``)."""
    router = APIRouter(tags=["simulator: cibil"], include_in_schema=include_in_schema)
    add_control_routes(router, sim)

    async def guard(request: Request) -> tuple[dict[str, Any] | None, JSONResponse | None]:
        fault = await sim.before_call()
        if fault == "outage":
            return None, _error(503, "E0503", "Service temporarily unavailable")
        if fault == "error":
            return None, _error(500, "E0500", "Internal error while processing the request")
        if not same_secret(request.headers.get("x-api-key", ""), sim.credential("api_key")):
            return None, _error(403, "E0403", "Invalid or missing API key")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return None, _error(400, "E0400", "Request body is not valid JSON")
        if not isinstance(body, dict):
            return None, _error(400, "E0400", "Request body must be a JSON object")
        return body, None

    def member_ok(member_id: Any, password: Any) -> bool:
        return same_secret(member_id, sim.sandbox.member_id) and same_secret(password, sim.credential("password"))

    @router.post("/v1/credit-report")
    async def credit_report(request: Request) -> JSONResponse:
        body, failure = await guard(request)
        if failure is not None:
            return failure
        assert body is not None
        header = body.get("requestHeader")
        consumer = body.get("consumer")
        if not isinstance(header, dict) or not isinstance(consumer, dict):
            return _error(400, "E0400", "requestHeader and consumer segments are required")
        if not member_ok(header.get("memberId"), header.get("password")):
            return _error(401, "E0401", "Invalid member credentials")
        pan = str(consumer.get("pan", "")).upper()
        if not PAN_PATTERN.match(pan):
            return _error(400, "E0422", "consumer.pan is not a valid PAN")
        report = render_report(pan, str(header.get("requestId", "")), sim.today())
        return JSONResponse(report)

    @router.post("/v1/member/verify")
    async def verify(request: Request) -> JSONResponse:
        body, failure = await guard(request)
        if failure is not None:
            return failure
        assert body is not None
        if not member_ok(body.get("memberId"), body.get("password")):
            return _error(401, "E0401", "Invalid member credentials")
        return JSONResponse({"status": "ACTIVE", "memberId": sim.sandbox.member_id})

    return router
