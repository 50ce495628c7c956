"""TransUnion CIBIL connector — JSON over HTTPS, member id + password in the body, an API-key header.

Wire format (what the CIBIL simulator speaks):

``POST {endpoint_url}/v1/credit-report`` with header ``X-Api-Key: <api_key>`` and body::

    {"requestHeader": {"memberId", "password", "requestId", "enquiryPurpose": "05", "enquiryAmount"},
     "consumer": {"pan", "name", "dateOfBirth": "DDMMYYYY", "phone"}}

200 answer::

    {"responseHeader": {"status": "SUCCESS", "controlNumber", "memberReference", "dateProcessed": "DDMMYYYY"},
     "consumerReport": {
        "ids": [{"idType": "01", "idNumber": "<PAN>"}],
        "scores": [{"scoreName": "CIBILTUSC3", "score": "00742", "reasonCodes": [...]}],   # "-1" = no history
        "accounts": [{"accountType": "05", "dateOpened": "DDMMYYYY", "dateClosed": null,
                      "highCreditOrSanctionedAmount": "300000", "creditLimit": null,
                      "currentBalance": "120000", "amountOverdue": "0",
                      "paymentHistory": "000030XXX...", "paymentHistoryStartDate": "DDMMYYYY",
                      "writtenOffAndSettledStatus": null}],
        "enquiries": [{"dateOfEnquiry": "DDMMYYYY", "enquiryPurpose": "05", "enquiryAmount": "50000"}]}}

A score of ``-1`` with no accounts is a no-hit. Payment history is three characters per month, most
recent first from ``paymentHistoryStartDate``: digits = days past due, ``STD`` = 0, and the asset
classes ``SMA`` / ``SUB`` / ``DBT`` / ``LSS`` read as at least 30 / 90 / 180 / 180 DPD; ``XXX`` = not
reported. Errors: ``{"errorCode": "E0401", "errorMessage": "..."}`` with HTTP 401 (member
credentials), 403 (API key), 400, 5xx. ``POST {endpoint_url}/v1/member/verify`` checks credentials.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from creditdesk.bureaus.connectors import _wire as w
from creditdesk.bureaus.connectors.base import BureauConnector
from creditdesk.bureaus.errors import BureauBadResponse
from creditdesk.bureaus.schemas import (
    MAX_DPD_MONTHS,
    BureauAccount,
    BureauReport,
    normalise_pan,
)

DATE_FORMAT = "%d%m%Y"
SCORE_NO_HISTORY = -1

ACCOUNT_TYPES: dict[str, str] = {
    "01": "auto_loan",
    "02": "home_loan",
    "05": "personal_loan",
    "06": "consumer_durable_loan",
    "07": "gold_loan",
    "08": "education_loan",
    "10": "credit_card",
    "12": "overdraft",
    "13": "two_wheeler_loan",
    "51": "business_loan",
}
WRITTEN_OFF_CODES = frozenset({"02", "06", "08"})
SETTLED_CODES = frozenset({"03", "04", "09"})
KNOWN_WO_SETTLED_CODES = WRITTEN_OFF_CODES | SETTLED_CODES | {"00", "01", "05", "07", "10"}
ASSET_CLASS_DPD: dict[str, int | None] = {"STD": 0, "SMA": 30, "SUB": 90, "DBT": 180, "LSS": 180, "XXX": None}


def month_index(day: date) -> int:
    """Return a month number for month arithmetic."""
    return day.year * 12 + day.month


def parse_payment_history(value: Any, start: date, report_date: date, path: str) -> list[int | None]:
    """Read a CIBIL payment-history string into DPD per month, index 0 = the report month."""
    if value is None or value == "":
        return []
    history = w.text(value, path)
    if len(history) % 3:
        raise w.Malformed(f"{path}: length {len(history)} is not a multiple of 3")
    offset = month_index(report_date) - month_index(start)
    if offset < 0:
        raise w.Malformed(f"{path}: starts after the report date")
    months: list[int | None] = [None] * offset
    for i in range(0, len(history), 3):
        token = history[i : i + 3].upper()
        if token.isdigit():
            months.append(int(token))
        elif token in ASSET_CLASS_DPD:
            months.append(ASSET_CLASS_DPD[token])
        else:
            raise w.Malformed(f"{path}: unknown payment status {token!r}")
    return months[:MAX_DPD_MONTHS]


def parse_account(raw: Any, report_date: date, path: str) -> BureauAccount:
    """Read one CIBIL account segment."""
    acc = w.obj(raw, path)
    type_code = w.text(w.need(acc, "accountType", path), f"{path}.accountType")
    opened = w.day(w.need(acc, "dateOpened", path), f"{path}.dateOpened", DATE_FORMAT)
    closed = w.opt_day(acc.get("dateClosed"), f"{path}.dateClosed", DATE_FORMAT)
    status = "closed" if closed else "active"
    wo_code = w.opt_text(acc.get("writtenOffAndSettledStatus"), f"{path}.writtenOffAndSettledStatus")
    if wo_code is not None:
        if wo_code not in KNOWN_WO_SETTLED_CODES:
            raise w.Malformed(f"{path}.writtenOffAndSettledStatus: unknown code {wo_code!r}")
        if wo_code in WRITTEN_OFF_CODES:
            status = "written_off"
        elif wo_code in SETTLED_CODES:
            status = "settled"
    account_type = ACCOUNT_TYPES.get(type_code, "other")
    sanctioned = w.opt_money(acc.get("highCreditOrSanctionedAmount"), f"{path}.highCreditOrSanctionedAmount")
    limit = w.opt_money(acc.get("creditLimit"), f"{path}.creditLimit")
    if account_type == "credit_card" and limit is not None:
        sanctioned = limit
    history_start = w.opt_day(acc.get("paymentHistoryStartDate"), f"{path}.paymentHistoryStartDate", DATE_FORMAT)
    history = parse_payment_history(
        acc.get("paymentHistory"), history_start or report_date, report_date, f"{path}.paymentHistory"
    )
    return BureauAccount(
        account_type=account_type,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        sanctioned_amount=sanctioned if sanctioned is not None else Decimal(0),
        current_balance=w.money(w.need(acc, "currentBalance", path), f"{path}.currentBalance"),
        overdue_amount=w.opt_money(acc.get("amountOverdue"), f"{path}.amountOverdue") or Decimal(0),
        opened_on=opened,
        closed_on=closed,
        dpd_history=history,
    )


def parse_report(content: bytes, *, pan: str) -> BureauReport:
    """Parse a CIBIL credit-report answer for ``pan``; raise Malformed/ValidationError on bad input."""
    body = w.obj(w.load_json(content), "$")
    header = w.obj(w.need(body, "responseHeader", "$"), "$.responseHeader")
    status = w.text(w.need(header, "status", "$.responseHeader"), "$.responseHeader.status")
    if status != "SUCCESS":
        raise w.Malformed(f"$.responseHeader.status: {status!r:.40} is not SUCCESS")
    report_date = w.day(
        w.need(header, "dateProcessed", "$.responseHeader"), "$.responseHeader.dateProcessed", DATE_FORMAT
    )
    reference = w.opt_text(header.get("controlNumber"), "$.responseHeader.controlNumber")
    report = w.obj(w.need(body, "consumerReport", "$"), "$.consumerReport")

    ids = w.array(report.get("ids"), "$.consumerReport.ids")
    pans = {
        str(w.obj(i, "$.consumerReport.ids[]").get("idNumber", "")).upper()
        for i in ids
        if w.obj(i, "$.consumerReport.ids[]").get("idType") == "01"
    }
    if pan not in pans:
        raise w.Malformed("$.consumerReport.ids: the report is not for the requested PAN")

    scores = w.array(w.need(report, "scores", "$.consumerReport"), "$.consumerReport.scores")
    if not scores:
        raise w.Malformed("$.consumerReport.scores: empty")
    first_score = w.obj(scores[0], "$.consumerReport.scores[0]")
    score = w.integer(w.need(first_score, "score", "$.consumerReport.scores[0]"), "$.consumerReport.scores[0].score")

    accounts = [
        parse_account(raw, report_date, f"$.consumerReport.accounts[{i}]")
        for i, raw in enumerate(w.array(report.get("accounts"), "$.consumerReport.accounts"))
    ]
    enquiries = w.json_enquiries(
        report.get("enquiries"),
        "$.consumerReport.enquiries",
        date_key="dateOfEnquiry",
        date_format=DATE_FORMAT,
        purpose_key="enquiryPurpose",
        amount_key="enquiryAmount",
        purposes=ACCOUNT_TYPES,
    )
    if score == SCORE_NO_HISTORY and not accounts:
        return BureauReport.from_parts(
            bureau="cibil",
            pan=pan,
            hit=False,
            score=None,
            report_date=report_date,
            enquiries=enquiries,
            reference=reference,
        )
    return BureauReport.from_parts(
        bureau="cibil",
        pan=pan,
        hit=True,
        score=None if score == SCORE_NO_HISTORY else score,
        report_date=report_date,
        accounts=accounts,
        enquiries=enquiries,
        reference=reference,
    )


def error_message(response: httpx.Response) -> str | None:
    """Return CIBIL's own error text from an error answer."""
    data = response.json()
    return f"{data.get('errorCode')}: {data.get('errorMessage')}" if isinstance(data, dict) else None


class CibilConnector(BureauConnector):
    """TransUnion CIBIL over its JSON API."""

    bureau = "cibil"

    def _headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.config.secret("api_key"), "Accept": "application/json"}

    def fetch_report(self, pan: str, applicant: Mapping[str, Any] | None = None) -> BureauReport:
        """Pull and normalise the CIBIL report on ``pan``."""
        pan = normalise_pan(pan)
        applicant = applicant or {}
        dob = applicant.get("date_of_birth")
        if isinstance(dob, str) and dob:
            try:
                dob = date.fromisoformat(dob)
            except ValueError:
                dob = None
        payload = {
            "requestHeader": {
                "memberId": self.config.member_id,
                "password": self.config.secret("password"),
                "requestId": uuid.uuid4().hex,
                "enquiryPurpose": "05",
                "enquiryAmount": str(applicant.get("loan_amount") or ""),
            },
            "consumer": {
                "pan": pan,
                "name": str(applicant.get("name") or ""),
                "dateOfBirth": dob.strftime(DATE_FORMAT) if isinstance(dob, date) else "",
                "phone": str(applicant.get("phone") or ""),
            },
        }
        response = self._send("POST", "/v1/credit-report", json=payload, headers=self._headers())
        self._check_status(response, error_message)
        with self._parsing():
            return parse_report(response.content, pan=pan)

    def _ping(self) -> None:
        payload = {"memberId": self.config.member_id, "password": self.config.secret("password")}
        response = self._send("POST", "/v1/member/verify", json=payload, headers=self._headers(), breaker=False)
        self._check_status(response, error_message)
        with self._parsing("verification answer"):
            body = w.obj(w.load_json(response.content), "$")
            if body.get("status") != "ACTIVE":
                raise BureauBadResponse(self.bureau, f"CIBIL reports the membership as {body.get('status')!r:.30}")
