"""Simulated CRIF High Mark: XML request and XML answer.

The wire format is documented in :mod:`creditdesk.bureaus.connectors.crif`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring  # building only; parsing is defused

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditdesk.bureaus.connectors._wire import Malformed, load_xml
from creditdesk.bureaus.connectors.crif import ACCOUNT_TYPES, DATE_FORMAT, MONTHS
from creditdesk.bureaus.schemas import PAN_PATTERN, add_months
from creditdesk.bureaus.simulators.personas import SimAccount, profile_for_pan, score_for
from creditdesk.bureaus.simulators.state import BureauSimulator, add_control_routes, same_secret

TYPE_NAMES = {
    "personal_loan": "Personal Loan",
    "credit_card": "Credit Card",
    "home_loan": "Housing Loan",
    "auto_loan": "Auto Loan (Personal)",
    "two_wheeler_loan": "Two-Wheeler Loan",
    "consumer_durable_loan": "Consumer Loan",
    "gold_loan": "Gold Loan",
    "business_loan": "Business Loan General",
    "education_loan": "Education Loan",
    "overdraft": "Overdraft",
}
assert {name.lower() for name in TYPE_NAMES.values()} <= set(ACCOUNT_TYPES)
XML_MEDIA_TYPE = "application/xml"


def indian_grouping(amount: Decimal) -> str:
    """Format a whole-rupee amount with Indian digit grouping: 1234567 → 12,34,567."""
    digits = str(int(amount))
    sign = "-" if digits.startswith("-") else ""
    digits = digits.lstrip("-")
    if len(digits) <= 3:
        return sign + digits
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return sign + ",".join([*groups, tail])


def _xml(root: Element, status: int = 200) -> Response:
    body = tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(content=body, status_code=status, media_type=XML_MEDIA_TYPE)


def _error(status: int, code: str, description: str) -> Response:
    root = Element("INDV-REPORT-FILE")
    inquiry = SubElement(SubElement(root, "INQUIRY-STATUS"), "INQUIRY")
    SubElement(inquiry, "RESPONSE-TYPE").text = "ERROR"
    error = SubElement(SubElement(inquiry, "ERRORS"), "ERROR")
    SubElement(error, "CODE").text = code
    SubElement(error, "DESCRIPTION").text = description
    return _xml(root, status)


def _asset_class(dpd: int) -> str:
    if dpd == 0:
        return "STD"
    if dpd < 90:
        return "SMA"
    if dpd < 180:
        return "SUB"
    return "LSS"


def payment_history(account: SimAccount, report_date: date) -> str:
    """Render CRIF's combined payment history, most recent month first."""
    entries = []
    for months_ago, dpd in enumerate(account.dpd):
        month = add_months(report_date.replace(day=1), -months_ago)
        label = f"{MONTHS[month.month - 1]}:{month.year}"
        entries.append(f"{label},XXX/XXX" if dpd is None else f"{label},{min(dpd, 999):03d}/{_asset_class(dpd)}")
    return "|".join(entries) + ("|" if entries else "")


def _status_text(account: SimAccount) -> str:
    if account.status == "active":
        return "Delinquent" if account.overdue > 0 else "Active"
    return {"closed": "Closed", "written_off": "Written Off", "settled": "Settled"}[account.status]


def render_report(pan: str, name: str, report_date: date) -> Element:
    """Render the CRIF INDV-REPORT-FILE of ``pan``."""
    profile = profile_for_pan(pan)
    root = Element("INDV-REPORT-FILE")
    report = SubElement(SubElement(root, "INDV-REPORTS"), "INDV-REPORT")
    header = SubElement(report, "HEADER")
    SubElement(header, "DATE-OF-REQUEST").text = report_date.strftime(DATE_FORMAT)
    SubElement(header, "DATE-OF-ISSUE").text = report_date.strftime(DATE_FORMAT)
    SubElement(header, "REPORT-ID").text = f"CRIF{uuid.uuid4().int % 10**12:012d}"
    request = SubElement(report, "REQUEST")
    SubElement(request, "NAME").text = name
    SubElement(request, "PAN").text = pan
    status = SubElement(SubElement(report, "STATUS-DETAILS"), "STATUS")
    SubElement(status, "OPTION-TYPE").text = "CIR"
    SubElement(status, "OPTION-STATUS").text = "SUCCESS" if profile.hit else "NO-HIT"
    if not profile.hit:
        return root

    score = SubElement(SubElement(report, "SCORES"), "SCORE")
    SubElement(score, "SCORE-TYPE").text = "PERFORM CONSUMER 2.0"
    SubElement(score, "SCORE-VALUE").text = str(score_for(profile, "crif"))
    summary = SubElement(SubElement(report, "ACCOUNTS-SUMMARY"), "PRIMARY-ACCOUNTS-SUMMARY")
    SubElement(summary, "PRIMARY-NUMBER-OF-ACCOUNTS").text = str(len(profile.accounts))
    SubElement(summary, "PRIMARY-ACTIVE-NUMBER-OF-ACCOUNTS").text = str(
        sum(1 for a in profile.accounts if a.status == "active")
    )
    responses = SubElement(report, "RESPONSES")
    for account in profile.accounts:
        loan = SubElement(SubElement(responses, "RESPONSE"), "LOAN-DETAILS")
        revolving = account.kind in ("credit_card", "overdraft")
        opened = add_months(report_date, -account.opened_months_ago).replace(day=account.opened_day)
        closed = (
            add_months(report_date, -account.closed_months_ago).replace(day=1).strftime(DATE_FORMAT)
            if account.closed_months_ago is not None
            else ""
        )
        fields = {
            "ACCT-TYPE": TYPE_NAMES[account.kind],
            "DISBURSED-AMT": "" if revolving else indian_grouping(account.sanctioned),
            "CREDIT-LIMIT": indian_grouping(account.sanctioned) if revolving else "",
            "CURRENT-BAL": indian_grouping(account.balance),
            "OVERDUE-AMT": indian_grouping(account.overdue),
            "DISBURSED-DT": opened.strftime(DATE_FORMAT),
            "CLOSED-DATE": closed,
            "ACCOUNT-STATUS": _status_text(account),
            "COMBINED-PAYMENT-HISTORY": payment_history(account, report_date),
        }
        for tag, value in fields.items():
            SubElement(loan, tag).text = value
    history = SubElement(report, "INQUIRY-HISTORY")
    for enquiry in profile.enquiries:
        item = SubElement(history, "HISTORY")
        SubElement(item, "MEMBER-NAME").text = "NOT DISCLOSED"
        SubElement(item, "INQUIRY-DATE").text = (report_date - timedelta(days=enquiry.days_ago)).strftime(DATE_FORMAT)
        SubElement(item, "PURPOSE").text = TYPE_NAMES.get(enquiry.purpose, "Other")
        SubElement(item, "AMOUNT").text = indian_grouping(enquiry.amount)
    return root


def build_router(sim: BureauSimulator, *, include_in_schema: bool = False) -> APIRouter:
    """Return the CRIF simulator's routes (mount under ``/simulators/crif``)."""
    router = APIRouter(tags=["simulator: crif"], include_in_schema=include_in_schema)
    add_control_routes(router, sim)

    async def authenticate(request: Request) -> tuple[Element | None, Response | None]:
        fault = await sim.before_call()
        if fault == "outage":
            return None, _error(503, "E0503", "Service temporarily unavailable")
        if fault == "error":
            return None, _error(500, "E0500", "Internal error")
        try:
            root = load_xml(await request.body())
        except Malformed as exc:
            return None, _error(400, "E0400", f"Request rejected: {exc}")
        header = root.find("HEADER-SEGMENT")
        if root.tag != "REQUEST-REQUEST-FILE" or header is None:
            return None, _error(400, "E0400", "REQUEST-REQUEST-FILE/HEADER-SEGMENT is required")
        if not (
            same_secret(header.findtext("USER-ID"), sim.credential("user_id"))
            and same_secret(header.findtext("PASSWORD"), sim.credential("password"))
        ):
            return None, _error(401, "E0401", "Invalid user credentials")
        if not same_secret(header.findtext("REQ-MBR"), sim.sandbox.member_id):
            return None, _error(403, "E0403", "Member is not authorised for this user")
        return root, None

    @router.post("/v1/inquiry")
    async def inquiry(request: Request) -> Response:
        root, failure = await authenticate(request)
        if failure is not None:
            return failure
        assert root is not None
        pan = ""
        for id_el in root.findall("INQUIRY/APPLICANT-SEGMENT/IDS/ID"):
            if id_el.findtext("TYPE") == "ID07":
                pan = (id_el.findtext("VALUE") or "").strip().upper()
        if not PAN_PATTERN.match(pan):
            return _error(400, "E0422", "A valid PAN (ID07) is required")
        name = root.findtext("INQUIRY/APPLICANT-SEGMENT/APPLICANT-NAME/NAME1") or ""
        return _xml(render_report(pan, name, sim.today()))

    @router.post("/v1/ping")
    async def ping(request: Request) -> Response:
        _, failure = await authenticate(request)
        if failure is not None:
            return failure
        root = Element("PING-RESPONSE")
        SubElement(root, "STATUS").text = "OK"
        return _xml(root)

    return router
