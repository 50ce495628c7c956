"""Experian connector — OAuth2 client-credentials token, then a JSON credit profile.

Wire format (what the Experian simulator speaks):

1. ``POST {endpoint_url}/oauth2/v1/token``, HTTP Basic ``client_id:client_secret``, form
   ``grant_type=client_credentials`` → ``{"access_token", "token_type": "Bearer", "expires_in": 1800}``;
   bad client → 401 ``{"error": "invalid_client", "error_description"}``.
2. ``POST {endpoint_url}/consumerservices/credit-profile/v2/credit-report`` with
   ``Authorization: Bearer <token>`` and ``{"subscriberCode": <member_id>, "permissiblePurpose",
   "requestId", "consumerPii": {"primaryApplicant": {"name": {"firstName", "lastName"}, "dob", "pan"}}}``
   → ``{"creditProfile": {"reportInfo": {"reportDate": "YYYY-MM-DD", "reportNumber"},
   "matchResult": {"exactMatch": "Y"|"N"}, "consumerIdentity": {"pan"},
   "riskModel": {"modelIndicator", "score": 742} | null,
   "caisAccountDetails": [{"accountType": "PL", "openDate": "YYYYMMDD", "dateClosed", "sanctionedAmount",
       "creditLimitAmount", "currentBalance", "amountPastDue", "accountStatus": "11",
       "caisAccountHistory": [{"year", "month", "daysPastDue"}]}],
   "capsApplications": [{"dateOfRequest": "YYYYMMDD", "financePurpose", "amountFinanced"}]}}``.
   ``exactMatch: "N"`` is a no-hit. An expired/unknown token → 401 with
   ``WWW-Authenticate: Bearer error="invalid_token"``; a subscriber code the client may not use → 403
   ``{"errors": [{"errorCode", "message"}]}``.

Account status codes: 11 active, 71 active (delinquent), 13 closed, 89 settled, 97 written off.
Tokens are cached per (token URL, client id, secret fingerprint) until shortly before they expire, and
refreshed once when the bureau answers 401 to a cached token.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from creditdesk.bureaus.connectors import _wire as w
from creditdesk.bureaus.connectors.base import BureauConnector, applicant_name
from creditdesk.bureaus.errors import BureauBadResponse
from creditdesk.bureaus.schemas import (
    MAX_DPD_MONTHS,
    BureauAccount,
    BureauReport,
    normalise_pan,
)

TOKEN_PATH = "/oauth2/v1/token"
REPORT_PATH = "/consumerservices/credit-profile/v2/credit-report"
STATUS_PATH = "/consumerservices/credit-profile/v2/subscribers/{member_id}/status"
COMPACT_DATE = "%Y%m%d"

ACCOUNT_TYPES: dict[str, str] = {
    "PL": "personal_loan",
    "CC": "credit_card",
    "HL": "home_loan",
    "AL": "auto_loan",
    "TW": "two_wheeler_loan",
    "CD": "consumer_durable_loan",
    "GL": "gold_loan",
    "BL": "business_loan",
    "EL": "education_loan",
    "OD": "overdraft",
}
ACCOUNT_STATUSES: dict[str, str] = {
    "11": "active",
    "71": "active",
    "13": "closed",
    "89": "settled",
    "97": "written_off",
}
TOKEN_EXPIRY_MARGIN_S = 30.0


class TokenCache:
    """Access tokens by client, valid until a margin before their expiry. Thread-safe."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    @staticmethod
    def key(token_url: str, client_id: str, client_secret: str) -> tuple[str, str, str]:
        """Build the cache key; the secret enters only as a fingerprint, so a changed secret misses."""
        return token_url, client_id, hashlib.sha256(client_secret.encode()).hexdigest()[:16]

    def get(self, key: tuple[str, str, str]) -> str | None:
        """Return a still-valid token, or None."""
        with self._lock:
            entry = self._tokens.get(key)
            if entry is None or entry[1] <= self._clock():
                self._tokens.pop(key, None)
                return None
            return entry[0]

    def put(self, key: tuple[str, str, str], token: str, expires_in_s: float) -> None:
        """Remember ``token`` for ``expires_in_s`` seconds minus a safety margin."""
        margin = min(TOKEN_EXPIRY_MARGIN_S, expires_in_s / 10)
        with self._lock:
            self._tokens[key] = (token, self._clock() + max(0.0, expires_in_s - margin))

    def discard(self, key: tuple[str, str, str], token: str | None = None) -> None:
        """Forget the token for ``key`` (only if it is still ``token``, when given)."""
        with self._lock:
            entry = self._tokens.get(key)
            if entry is not None and (token is None or entry[0] == token):
                del self._tokens[key]

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._tokens.clear()


PROCESS_TOKENS = TokenCache()
"""The process-wide token cache connectors share by default (connectors are cheap, made per pull)."""


def parse_token(content: bytes) -> tuple[str, float]:
    """Parse a token answer into (access_token, expires_in seconds)."""
    body = w.obj(w.load_json(content), "$")
    token = w.text(w.need(body, "access_token", "$"), "$.access_token")
    token_type = str(body.get("token_type", "Bearer"))
    if token_type.lower() != "bearer":
        raise w.Malformed(f"$.token_type: {token_type!r:.20} is not Bearer")
    expires_in = w.integer(w.need(body, "expires_in", "$"), "$.expires_in")
    if expires_in <= 0:
        raise w.Malformed("$.expires_in: must be positive")
    return token, float(expires_in)


def parse_history(raw: Any, report_date: date, path: str) -> list[int | None]:
    """Read Experian's dated DPD entries into DPD per month, index 0 = the report month."""
    months: list[int | None] = [None] * MAX_DPD_MONTHS
    report_month = report_date.year * 12 + report_date.month
    for i, item in enumerate(w.array(raw, path)):
        entry = w.obj(item, f"{path}[{i}]")
        year = w.integer(w.need(entry, "year", f"{path}[{i}]"), f"{path}[{i}].year")
        month = w.integer(w.need(entry, "month", f"{path}[{i}]"), f"{path}[{i}].month")
        if not 1 <= month <= 12:
            raise w.Malformed(f"{path}[{i}].month: {month} is not a month")
        offset = report_month - (year * 12 + month)
        if offset < 0:
            raise w.Malformed(f"{path}[{i}]: dated after the report")
        dpd = entry.get("daysPastDue")
        if offset < MAX_DPD_MONTHS:
            months[offset] = None if dpd is None else w.integer(dpd, f"{path}[{i}].daysPastDue")
    while months and months[-1] is None:
        months.pop()
    return months


def parse_account(raw: Any, report_date: date, path: str) -> BureauAccount:
    """Read one Experian CAIS account."""
    acc = w.obj(raw, path)
    type_code = w.text(w.need(acc, "accountType", path), f"{path}.accountType")
    status_code = w.text(w.need(acc, "accountStatus", path), f"{path}.accountStatus")
    if status_code not in ACCOUNT_STATUSES:
        raise w.Malformed(f"{path}.accountStatus: unknown code {status_code!r:.10}")
    account_type = ACCOUNT_TYPES.get(type_code, "other")
    sanctioned = w.opt_money(acc.get("sanctionedAmount"), f"{path}.sanctionedAmount")
    limit = w.opt_money(acc.get("creditLimitAmount"), f"{path}.creditLimitAmount")
    if account_type in ("credit_card", "overdraft") and limit is not None:
        sanctioned = limit
    return BureauAccount(
        account_type=account_type,  # type: ignore[arg-type]
        status=ACCOUNT_STATUSES[status_code],  # type: ignore[arg-type]
        sanctioned_amount=sanctioned if sanctioned is not None else Decimal(0),
        current_balance=w.money(w.need(acc, "currentBalance", path), f"{path}.currentBalance"),
        overdue_amount=w.opt_money(acc.get("amountPastDue"), f"{path}.amountPastDue") or Decimal(0),
        opened_on=w.day(w.need(acc, "openDate", path), f"{path}.openDate", COMPACT_DATE),
        closed_on=w.opt_day(acc.get("dateClosed"), f"{path}.dateClosed", COMPACT_DATE),
        dpd_history=parse_history(acc.get("caisAccountHistory"), report_date, f"{path}.caisAccountHistory"),
    )


def parse_report(content: bytes, *, pan: str) -> BureauReport:
    """Parse an Experian credit-profile answer for ``pan``; raise Malformed/ValidationError on bad input."""
    body = w.obj(w.load_json(content), "$")
    profile = w.obj(w.need(body, "creditProfile", "$"), "$.creditProfile")
    info = w.obj(w.need(profile, "reportInfo", "$.creditProfile"), "$.creditProfile.reportInfo")
    report_date = w.day(
        w.need(info, "reportDate", "$.creditProfile.reportInfo"),
        "$.creditProfile.reportInfo.reportDate",
        "%Y-%m-%d",
    )
    reference = w.opt_text(info.get("reportNumber"), "$.creditProfile.reportInfo.reportNumber")
    match = w.obj(w.need(profile, "matchResult", "$.creditProfile"), "$.creditProfile.matchResult")
    exact = w.text(w.need(match, "exactMatch", "$.creditProfile.matchResult"), "$.creditProfile.matchResult.exactMatch")
    if exact not in ("Y", "N"):
        raise w.Malformed(f"$.creditProfile.matchResult.exactMatch: {exact!r:.10} is not Y or N")
    if exact == "N":
        return BureauReport.no_hit(bureau="experian", pan=pan, report_date=report_date, reference=reference)

    identity = w.obj(w.need(profile, "consumerIdentity", "$.creditProfile"), "$.creditProfile.consumerIdentity")
    reported_pan = w.text(
        w.need(identity, "pan", "$.creditProfile.consumerIdentity"), "$.creditProfile.consumerIdentity.pan"
    )
    if reported_pan.upper() != pan:
        raise w.Malformed("$.creditProfile.consumerIdentity.pan: the report is not for the requested PAN")
    score: int | None = None
    risk = profile.get("riskModel")
    if risk is not None:
        risk = w.obj(risk, "$.creditProfile.riskModel")
        raw_score = risk.get("score")
        score = None if raw_score is None else w.integer(raw_score, "$.creditProfile.riskModel.score")

    accounts = [
        parse_account(raw, report_date, f"$.creditProfile.caisAccountDetails[{i}]")
        for i, raw in enumerate(w.array(profile.get("caisAccountDetails"), "$.creditProfile.caisAccountDetails"))
    ]
    enquiries = w.json_enquiries(
        profile.get("capsApplications"),
        "$.creditProfile.capsApplications",
        date_key="dateOfRequest",
        date_format=COMPACT_DATE,
        purpose_key="financePurpose",
        amount_key="amountFinanced",
        purposes=ACCOUNT_TYPES,
    )
    return BureauReport.from_parts(
        bureau="experian",
        pan=pan,
        hit=True,
        score=score,
        report_date=report_date,
        accounts=accounts,
        enquiries=enquiries,
        reference=reference,
    )


def error_message(response: httpx.Response) -> str | None:
    """Return Experian's own error text (OAuth2 or API error shape)."""
    data = response.json()
    if not isinstance(data, dict):
        return None
    if "error" in data:
        return f"{data.get('error')}: {data.get('error_description', '')}".strip(": ")
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return f"{errors[0].get('errorCode')}: {errors[0].get('message')}"
    return None


class ExperianConnector(BureauConnector):
    """Experian over OAuth2 client credentials + JSON."""

    bureau = "experian"

    def __init__(self, *args: Any, tokens: TokenCache | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tokens = tokens or PROCESS_TOKENS
        self._token_key = TokenCache.key(
            self.config.endpoint_url + TOKEN_PATH,
            self.config.secret("client_id"),
            self.config.secret("client_secret"),
        )

    def _basic_auth(self) -> str:
        pair = f"{self.config.secret('client_id')}:{self.config.secret('client_secret')}"
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    def _token(self, *, breaker: bool) -> str:
        cached = self._tokens.get(self._token_key)
        if cached is not None:
            return cached
        response = self._send(
            "POST",
            TOKEN_PATH,
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json", "Authorization": self._basic_auth()},
            breaker=breaker,
        )
        self._check_status(response, error_message)
        with self._parsing("token answer"):
            token, expires_in = parse_token(response.content)
        self._tokens.put(self._token_key, token, expires_in)
        return token

    def _authorised(self, method: str, path: str, *, breaker: bool = True, **kwargs: Any) -> httpx.Response:
        """Send with a bearer token, fetching one if needed and refreshing it once on a 401."""
        for attempt in range(2):
            token = self._token(breaker=breaker)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            response = self._send(method, path, headers=headers, breaker=breaker, **kwargs)
            if response.status_code == 401 and attempt == 0:
                self._tokens.discard(self._token_key, token)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def fetch_report(self, pan: str, applicant: Mapping[str, Any] | None = None) -> BureauReport:
        """Pull and normalise the Experian credit profile on ``pan``."""
        pan = normalise_pan(pan)
        applicant = applicant or {}
        first, last = applicant_name(applicant)
        payload = {
            "subscriberCode": self.config.member_id,
            "permissiblePurpose": "LOAN_ORIGINATION",
            "requestId": str(uuid.uuid4()),
            "consumerPii": {
                "primaryApplicant": {
                    "name": {"firstName": first, "lastName": last},
                    "dob": str(applicant.get("date_of_birth") or ""),
                    "pan": pan,
                }
            },
        }
        response = self._authorised("POST", REPORT_PATH, json=payload)
        self._check_status(response, error_message)
        with self._parsing():
            return parse_report(response.content, pan=pan)

    def _ping(self) -> None:
        path = STATUS_PATH.format(member_id=quote(self.config.member_id, safe=""))
        response = self._authorised("GET", path, breaker=False)
        self._check_status(response, error_message)
        with self._parsing("status answer"):
            body = w.obj(w.load_json(response.content), "$")
            if body.get("status") != "ACTIVE":
                raise BureauBadResponse(self.bureau, f"Experian reports the subscriber as {body.get('status')!r:.30}")

    def drop_cached_token(self) -> None:
        """Forget this client's cached token (e.g. after its credentials changed)."""
        self._tokens.discard(self._token_key)
