"""CRIF High Mark connector — XML request and XML answer, parsed with defusedxml.

Wire format (what the CRIF simulator speaks):

``POST {endpoint_url}/v1/inquiry`` with ``Content-Type: application/xml``::

    <REQUEST-REQUEST-FILE>
      <HEADER-SEGMENT><PRODUCT-TYP>INDV</PRODUCT-TYP><PRODUCT-VER>1.0</PRODUCT-VER>
        <REQ-MBR>member id</REQ-MBR><USER-ID>…</USER-ID><PASSWORD>…</PASSWORD>
        <INQ-DT-TM>DD-MM-YYYY HH:MM:SS</INQ-DT-TM><REQ-ACTN-TYP>SUBMIT</REQ-ACTN-TYP><TEST-FLG>N</TEST-FLG>
      </HEADER-SEGMENT>
      <INQUIRY><APPLICANT-SEGMENT><APPLICANT-NAME><NAME1>…</NAME1></APPLICANT-NAME>
        <DOB><DOB-DATE>DD-MM-YYYY</DOB-DATE></DOB><IDS><ID><TYPE>ID07</TYPE><VALUE>PAN</VALUE></ID></IDS>
      </APPLICANT-SEGMENT><APPLICATION-SEGMENT><INQUIRY-UNIQUE-REF-NO>…</INQUIRY-UNIQUE-REF-NO>
      </APPLICATION-SEGMENT></INQUIRY>
    </REQUEST-REQUEST-FILE>

200 answer: ``INDV-REPORT-FILE/INDV-REPORTS/INDV-REPORT`` with ``HEADER`` (``DATE-OF-ISSUE``,
``REPORT-ID``), ``REQUEST/PAN``, ``STATUS-DETAILS/STATUS/OPTION-STATUS`` (``SUCCESS`` or ``NO-HIT``),
``SCORES/SCORE/SCORE-VALUE``, ``RESPONSES/RESPONSE/LOAN-DETAILS`` (``ACCT-TYPE``, ``DISBURSED-AMT``,
``CREDIT-LIMIT``, ``CURRENT-BAL``, ``OVERDUE-AMT`` — amounts with Indian digit grouping ``3,00,000`` —
``DISBURSED-DT``, ``CLOSED-DATE``, ``ACCOUNT-STATUS``, ``COMBINED-PAYMENT-HISTORY`` =
``Jan:2025,000/STD|Dec:2024,030/SMA|…``) and ``INQUIRY-HISTORY/HISTORY`` (``INQUIRY-DATE``,
``PURPOSE``, ``AMOUNT``). Errors (401 bad user/password, 403 member not authorised, 400, 5xx):
``INDV-REPORT-FILE/INQUIRY-STATUS/INQUIRY/ERRORS/ERROR`` with ``CODE`` and ``DESCRIPTION``.
``POST {endpoint_url}/v1/ping`` with the header segment alone checks credentials.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring  # building only; parsing is defused

import httpx

from creditdesk.bureaus.connectors import _wire as w
from creditdesk.bureaus.connectors.base import BureauConnector
from creditdesk.bureaus.errors import BureauBadResponse
from creditdesk.bureaus.schemas import (
    MAX_DPD_MONTHS,
    BureauAccount,
    BureauEnquiry,
    BureauReport,
    normalise_pan,
)

DATE_FORMAT = "%d-%m-%Y"
ACCOUNT_TYPES: dict[str, str] = {
    "personal loan": "personal_loan",
    "credit card": "credit_card",
    "housing loan": "home_loan",
    "auto loan (personal)": "auto_loan",
    "two-wheeler loan": "two_wheeler_loan",
    "consumer loan": "consumer_durable_loan",
    "gold loan": "gold_loan",
    "business loan general": "business_loan",
    "education loan": "education_loan",
    "overdraft": "overdraft",
}
ACCOUNT_STATUSES: dict[str, str] = {
    "active": "active",
    "current": "active",
    "delinquent": "active",
    "restructured": "active",
    "closed": "closed",
    "written off": "written_off",
    "settled": "settled",
    "post (wo) settled": "settled",
}
ASSET_CLASS_DPD: dict[str, int | None] = {"STD": 0, "SMA": 30, "SUB": 90, "DBT": 180, "LSS": 180, "XXX": None}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HISTORY_ENTRY = re.compile(r"^([A-Za-z]{3}):(\d{4}),(\d{3}|XXX)/([A-Z]{3})$")


def build_header(parent: Element, *, member_id: str, user_id: str, password: str, action: str) -> None:
    """Append CRIF's HEADER-SEGMENT to ``parent``."""
    header = SubElement(parent, "HEADER-SEGMENT")
    fields = {
        "PRODUCT-TYP": "INDV",
        "PRODUCT-VER": "1.0",
        "REQ-MBR": member_id,
        "USER-ID": user_id,
        "PASSWORD": password,
        "INQ-DT-TM": datetime.now(UTC).strftime("%d-%m-%Y %H:%M:%S"),
        "REQ-ACTN-TYP": action,
        "TEST-FLG": "N",
    }
    for tag, value in fields.items():
        SubElement(header, tag).text = value


def parse_history(value: str | None, report_date: date, path: str) -> list[int | None]:
    """Read CRIF's combined payment history into DPD per month, index 0 = the report month."""
    months: list[int | None] = [None] * MAX_DPD_MONTHS
    report_month = report_date.year * 12 + report_date.month
    for entry in (value or "").split("|"):
        entry = entry.strip()
        if not entry:
            continue
        match = _HISTORY_ENTRY.match(entry)
        if not match or match.group(1).title() not in MONTHS:
            raise w.Malformed(f"{path}: cannot read entry {entry!r:.30}")
        mon, year, dpd, asset_class = match.groups()
        offset = report_month - (int(year) * 12 + MONTHS.index(mon.title()) + 1)
        if offset < 0:
            raise w.Malformed(f"{path}: entry {entry!r:.30} is dated after the report")
        if asset_class not in ASSET_CLASS_DPD:
            raise w.Malformed(f"{path}: unknown asset class {asset_class!r}")
        if offset < MAX_DPD_MONTHS:
            months[offset] = int(dpd) if dpd.isdigit() else ASSET_CLASS_DPD[asset_class]
    while months and months[-1] is None:
        months.pop()
    return months


def parse_account(loan: Element, report_date: date, path: str) -> BureauAccount:
    """Read one CRIF LOAN-DETAILS element."""

    def value(tag: str, required: bool = False) -> str | None:
        return w.child_text(loan, tag, path, required=required)

    raw_status = value("ACCOUNT-STATUS", True) or ""
    status = ACCOUNT_STATUSES.get(raw_status.lower())
    if status is None:
        raise w.Malformed(f"{path}/ACCOUNT-STATUS: unknown status {raw_status!r:.30}")
    account_type = ACCOUNT_TYPES.get((value("ACCT-TYPE", True) or "").lower(), "other")
    sanctioned = w.opt_money(value("DISBURSED-AMT"), f"{path}/DISBURSED-AMT")
    limit = w.opt_money(value("CREDIT-LIMIT"), f"{path}/CREDIT-LIMIT")
    if account_type in ("credit_card", "overdraft") and limit is not None:
        sanctioned = limit
    return BureauAccount(
        account_type=account_type,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        sanctioned_amount=sanctioned if sanctioned is not None else Decimal(0),
        current_balance=w.money(value("CURRENT-BAL", True), f"{path}/CURRENT-BAL"),
        overdue_amount=w.opt_money(value("OVERDUE-AMT"), f"{path}/OVERDUE-AMT") or Decimal(0),
        opened_on=w.day(value("DISBURSED-DT", True), f"{path}/DISBURSED-DT", DATE_FORMAT),
        closed_on=w.opt_day(value("CLOSED-DATE"), f"{path}/CLOSED-DATE", DATE_FORMAT),
        dpd_history=parse_history(value("COMBINED-PAYMENT-HISTORY"), report_date, f"{path}/COMBINED-PAYMENT-HISTORY"),
    )


def parse_report(content: bytes, *, pan: str) -> BureauReport:
    """Parse a CRIF INDV-REPORT-FILE for ``pan``; raise Malformed/ValidationError on bad input."""
    root = w.load_xml(content)
    if root.tag != "INDV-REPORT-FILE":
        raise w.Malformed(f"/{root.tag[:40]}: expected INDV-REPORT-FILE")
    report = w.child(w.child(root, "INDV-REPORTS", "/INDV-REPORT-FILE"), "INDV-REPORT", "/INDV-REPORTS")
    path = "/INDV-REPORT"
    header = w.child(report, "HEADER", path)
    report_date = w.day(
        w.child_text(header, "DATE-OF-ISSUE", f"{path}/HEADER"), f"{path}/HEADER/DATE-OF-ISSUE", DATE_FORMAT
    )
    reference = w.child_text(header, "REPORT-ID", f"{path}/HEADER", required=False)
    reported_pan = w.child_text(w.child(report, "REQUEST", path), "PAN", f"{path}/REQUEST") or ""
    if reported_pan.upper() != pan:
        raise w.Malformed(f"{path}/REQUEST/PAN: the report is not for the requested PAN")
    status_el = w.child(w.child(report, "STATUS-DETAILS", path), "STATUS", f"{path}/STATUS-DETAILS")
    status = w.child_text(status_el, "OPTION-STATUS", f"{path}/STATUS-DETAILS/STATUS")
    if status == "NO-HIT":
        return BureauReport.no_hit(bureau="crif", pan=pan, report_date=report_date, reference=reference)
    if status != "SUCCESS":
        raise w.Malformed(f"{path}/STATUS-DETAILS/STATUS/OPTION-STATUS: {status!r:.30} is not SUCCESS")

    score: int | None = None
    score_el = report.find("SCORES/SCORE")
    if score_el is not None:
        raw_score = w.child_text(score_el, "SCORE-VALUE", f"{path}/SCORES/SCORE", required=False)
        score = None if raw_score is None else w.integer(raw_score, f"{path}/SCORES/SCORE/SCORE-VALUE")

    accounts = [
        parse_account(
            w.child(resp, "LOAN-DETAILS", f"{path}/RESPONSES/RESPONSE[{i}]"),
            report_date,
            f"{path}/RESPONSES/RESPONSE[{i}]/LOAN-DETAILS",
        )
        for i, resp in enumerate(report.findall("RESPONSES/RESPONSE"))
    ]
    enquiries = []
    for i, item in enumerate(report.findall("INQUIRY-HISTORY/HISTORY")):
        item_path = f"{path}/INQUIRY-HISTORY/HISTORY[{i}]"
        enquiries.append(
            BureauEnquiry(
                enquired_on=w.day(
                    w.child_text(item, "INQUIRY-DATE", item_path), f"{item_path}/INQUIRY-DATE", DATE_FORMAT
                ),
                purpose=ACCOUNT_TYPES.get((w.child_text(item, "PURPOSE", item_path, required=False) or "").lower()),
                amount=w.opt_money(w.child_text(item, "AMOUNT", item_path, required=False), f"{item_path}/AMOUNT"),
            )
        )
    return BureauReport.from_parts(
        bureau="crif",
        pan=pan,
        hit=True,
        score=score,
        report_date=report_date,
        accounts=accounts,
        enquiries=enquiries,
        reference=reference,
    )


def error_message(response: httpx.Response) -> str | None:
    """Return CRIF's own error text from an XML error answer."""
    root = w.load_xml(response.content)
    error = root.find("INQUIRY-STATUS/INQUIRY/ERRORS/ERROR")
    if error is None:
        return None
    return f"{error.findtext('CODE', '')}: {error.findtext('DESCRIPTION', '')}"


class CrifConnector(BureauConnector):
    """CRIF High Mark over its XML API."""

    bureau = "crif"

    def _header(self, parent: Element, action: str) -> None:
        build_header(
            parent,
            member_id=self.config.member_id,
            user_id=self.config.secret("user_id"),
            password=self.config.secret("password"),
            action=action,
        )

    def fetch_report(self, pan: str, applicant: Mapping[str, Any] | None = None) -> BureauReport:
        """Pull and normalise the CRIF High Mark report on ``pan``."""
        pan = normalise_pan(pan)
        applicant = applicant or {}
        root = Element("REQUEST-REQUEST-FILE")
        self._header(root, "SUBMIT")
        inquiry = SubElement(root, "INQUIRY")
        person = SubElement(inquiry, "APPLICANT-SEGMENT")
        SubElement(SubElement(person, "APPLICANT-NAME"), "NAME1").text = str(applicant.get("name") or "")
        dob = applicant.get("date_of_birth")
        if isinstance(dob, str):
            try:
                dob = date.fromisoformat(dob)
            except ValueError:
                dob = None
        SubElement(SubElement(person, "DOB"), "DOB-DATE").text = (
            dob.strftime(DATE_FORMAT) if isinstance(dob, date) else ""
        )
        id_el = SubElement(SubElement(person, "IDS"), "ID")
        SubElement(id_el, "TYPE").text = "ID07"
        SubElement(id_el, "VALUE").text = pan
        application = SubElement(inquiry, "APPLICATION-SEGMENT")
        SubElement(application, "INQUIRY-UNIQUE-REF-NO").text = uuid.uuid4().hex
        response = self._send("POST", "/v1/inquiry", content=tostring(root, encoding="utf-8"), headers=_XML_HEADERS)
        self._check_status(response, error_message)
        with self._parsing():
            return parse_report(response.content, pan=pan)

    def _ping(self) -> None:
        root = Element("REQUEST-REQUEST-FILE")
        self._header(root, "PING")
        response = self._send(
            "POST", "/v1/ping", content=tostring(root, encoding="utf-8"), headers=_XML_HEADERS, breaker=False
        )
        self._check_status(response, error_message)
        with self._parsing("ping answer"):
            status = w.load_xml(response.content).findtext("STATUS")
            if status != "OK":
                raise BureauBadResponse(self.bureau, f"CRIF High Mark answered the ping with {status!r:.30}")


_XML_HEADERS = {"Content-Type": "application/xml", "Accept": "application/xml"}
