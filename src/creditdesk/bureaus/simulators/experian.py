"""Simulated Experian: OAuth2 client-credentials tokens, then a JSON credit profile.

The wire format is documented in :mod:`creditdesk.bureaus.connectors.experian`.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from creditdesk.bureaus.connectors.experian import ACCOUNT_STATUSES, ACCOUNT_TYPES, COMPACT_DATE
from creditdesk.bureaus.schemas import PAN_PATTERN, add_months
from creditdesk.bureaus.simulators.personas import SimAccount, profile_for_pan, score_for
from creditdesk.bureaus.simulators.state import BureauSimulator, add_control_routes, same_secret

TYPE_CODES = {kind: code for code, kind in ACCOUNT_TYPES.items()}
STATUS_CODES = {"closed": "13", "settled": "89", "written_off": "97"}
assert set(STATUS_CODES.values()) <= set(ACCOUNT_STATUSES)


class TokenStore:
    """Tokens this simulator issued, with their expiry (monotonic seconds)."""

    def __init__(self, ttl_s: int) -> None:
        self.ttl_s = ttl_s
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def issue(self) -> str:
        """Issue a new token."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.ttl_s
            self.issued += 1
        return token

    def valid(self, token: str) -> bool:
        """Tell whether ``token`` was issued here and has not expired or been revoked."""
        with self._lock:
            expires_at = self._tokens.get(token)
            return expires_at is not None and expires_at > time.monotonic()

    def revoke_all(self) -> None:
        """Invalidate every issued token (as a bureau-side key rotation would)."""
        with self._lock:
            self._tokens.clear()


def _errors(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"errorCode": code, "errorType": _ERROR_TYPES.get(status, "Error"), "message": message}]},
        status_code=status,
        headers=headers,
    )


_ERROR_TYPES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    500: "ServerError",
    503: "Unavailable",
}


def render_account(account: SimAccount, report_date: date) -> dict[str, Any]:
    """Render one simulated account as an Experian CAIS account."""
    opened = add_months(report_date, -account.opened_months_ago).replace(day=account.opened_day)
    closed = None
    if account.closed_months_ago is not None:
        closed = add_months(report_date, -account.closed_months_ago).replace(day=1).strftime(COMPACT_DATE)
    status = STATUS_CODES.get(account.status, "71" if account.overdue > 0 else "11")
    history = []
    for months_ago, dpd in enumerate(account.dpd):
        month = add_months(report_date.replace(day=1), -months_ago)
        history.append({"year": month.year, "month": month.month, "daysPastDue": dpd})
    is_revolving = account.kind in ("credit_card", "overdraft")
    return {
        "accountType": TYPE_CODES.get(account.kind, "OT"),
        "openDate": opened.strftime(COMPACT_DATE),
        "dateClosed": closed,
        "sanctionedAmount": None if is_revolving else int(account.sanctioned),
        "creditLimitAmount": int(account.sanctioned) if is_revolving else None,
        "currentBalance": int(account.balance),
        "amountPastDue": int(account.overdue),
        "accountStatus": status,
        "caisAccountHistory": history,
    }


def render_report(pan: str, report_date: date) -> dict[str, Any]:
    """Render the Experian credit profile of ``pan``."""
    profile = profile_for_pan(pan)
    info = {"reportDate": report_date.isoformat(), "reportNumber": f"EXP-{uuid.uuid4().hex[:12].upper()}"}
    if not profile.hit:
        return {
            "creditProfile": {
                "reportInfo": info,
                "matchResult": {"exactMatch": "N"},
                "riskModel": None,
                "caisAccountDetails": [],
                "capsApplications": [],
            }
        }
    return {
        "creditProfile": {
            "reportInfo": info,
            "matchResult": {"exactMatch": "Y"},
            "consumerIdentity": {"pan": pan},
            "riskModel": {"modelIndicator": "EXPERIAN_BUREAU_SCORE", "score": score_for(profile, "experian")},
            "caisAccountDetails": [render_account(a, report_date) for a in profile.accounts],
            "capsApplications": [
                {
                    "dateOfRequest": (report_date - timedelta(days=e.days_ago)).strftime(COMPACT_DATE),
                    "financePurpose": TYPE_CODES.get(e.purpose, "OT"),
                    "amountFinanced": int(e.amount),
                }
                for e in profile.enquiries
            ],
        }
    }


def build_router(sim: BureauSimulator, tokens: TokenStore, *, include_in_schema: bool = False) -> APIRouter:
    """Return the Experian simulator's routes (mount under ``/simulators/experian``)."""
    router = APIRouter(tags=["simulator: experian"], include_in_schema=include_in_schema)
    add_control_routes(router, sim)

    async def faults() -> JSONResponse | None:
        fault = await sim.before_call()
        if fault == "outage":
            return _errors(503, "5030", "Service temporarily unavailable")
        if fault == "error":
            return _errors(500, "5000", "Unexpected error")
        return None

    def bearer_failure(request: Request) -> JSONResponse | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not tokens.valid(token.strip()):
            return _errors(
                401,
                "1001",
                "Invalid or expired access token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return None

    @router.post("/oauth2/v1/token")
    async def token(request: Request) -> JSONResponse:
        failure = await faults()
        if failure is not None:
            return failure
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Only client_credentials is supported",
                },
                status_code=400,
            )
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            client_id, _, client_secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = client_secret = ""
        if not (
            scheme.lower() == "basic"
            and same_secret(client_id, sim.credential("client_id"))
            and same_secret(client_secret, sim.credential("client_secret"))
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="experian"'},
            )
        return JSONResponse(
            {
                "access_token": tokens.issue(),
                "token_type": "Bearer",
                "expires_in": tokens.ttl_s,
                "scope": "credit-profile",
            }
        )

    @router.post("/consumerservices/credit-profile/v2/credit-report")
    async def credit_report(request: Request) -> JSONResponse:
        failure = await faults() or bearer_failure(request)
        if failure is not None:
            return failure
        try:
            body = json.loads(await request.body())
            pan = str(body["consumerPii"]["primaryApplicant"]["pan"]).upper()
            subscriber = str(body["subscriberCode"])
        except (ValueError, KeyError, TypeError):
            return _errors(400, "2001", "Malformed request: subscriberCode and consumerPii.primaryApplicant.pan needed")
        if not same_secret(subscriber, sim.sandbox.member_id):
            return _errors(403, "1002", "Subscriber code is not authorised for this client")
        if not PAN_PATTERN.match(pan):
            return _errors(400, "2002", "consumerPii.primaryApplicant.pan is not a valid PAN")
        return JSONResponse(render_report(pan, sim.today()))

    @router.get("/consumerservices/credit-profile/v2/subscribers/{subscriber}/status")
    async def subscriber_status(subscriber: str, request: Request) -> JSONResponse:
        failure = await faults() or bearer_failure(request)
        if failure is not None:
            return failure
        if not same_secret(subscriber, sim.sandbox.member_id):
            return _errors(403, "1002", "Subscriber code is not authorised for this client")
        return JSONResponse({"subscriberCode": subscriber, "status": "ACTIVE"})

    return router
