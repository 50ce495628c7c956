"""CRIF High Mark connector: XML in and out, hostile XML refused, malformed answers typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element, tostring

import httpx
import pytest

from creditdesk.bureaus.connectors._wire import load_xml
from creditdesk.bureaus.errors import BureauAuthError, BureauBadResponse
from creditdesk.bureaus.simulators import pan_for_persona, profile_for_pan
from creditdesk.bureaus.simulators.crif import indian_grouping, render_report

PAN = pan_for_persona("written_off")
REPORT_DATE = date(2025, 3, 15)


def answer_xml(mutate: Callable[[Element], object] | None = None, pan: str = PAN) -> bytes:
    root = render_report(pan, "Asha", REPORT_DATE)
    if mutate is not None:
        mutate(root)
    return tostring(root, encoding="utf-8")


def answering(body: bytes, status: int = 200, calls: list[httpx.Request] | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request)
        return httpx.Response(status, content=body, headers={"content-type": "application/xml"})

    return handler


def test_a_written_off_file_is_parsed_with_indian_grouped_amounts(sim_connector) -> None:  # type: ignore[no-untyped-def]
    report = sim_connector("crif").fetch_report(PAN, {"name": "Asha Verma", "date_of_birth": "1998-04-12"})
    profile = profile_for_pan(PAN)
    assert report.bureau == "crif" and report.hit and report.written_off
    assert sorted(a.current_balance for a in report.accounts) == sorted(a.balance for a in profile.accounts)
    assert report.max_dpd_last_24m >= 180
    assert 300 <= report.score <= 900  # type: ignore[operator]


def test_the_request_is_crif_xml_with_the_credentials_in_the_header_segment(mock_connector) -> None:  # type: ignore[no-untyped-def]
    calls: list[httpx.Request] = []
    mock_connector("crif", answering(answer_xml(), calls=calls)).fetch_report(PAN, {"name": "A <b> & c"})
    request = calls[0]
    assert request.headers["content-type"] == "application/xml"
    root = load_xml(request.content)
    assert root.tag == "REQUEST-REQUEST-FILE"
    assert root.findtext("HEADER-SEGMENT/USER-ID") == "crif-sandbox-user"
    assert root.findtext("HEADER-SEGMENT/REQ-MBR") == "CRIFSIM0001"
    assert root.findtext("INQUIRY/APPLICANT-SEGMENT/IDS/ID/VALUE") == PAN
    assert root.findtext("INQUIRY/APPLICANT-SEGMENT/APPLICANT-NAME/NAME1") == "A <b> & c"  # escaped, not injected


def test_wrong_credentials_and_member(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BureauAuthError, match="HTTP 401.*E0401"):
        sim_connector("crif", credentials={"user_id": "crif-sandbox-user", "password": "bad"}).fetch_report(PAN)
    assert sims.crif.request_count == 1
    with pytest.raises(BureauAuthError, match="HTTP 403"):
        sim_connector("crif", member_id="OTHER").fetch_report(PAN)


def test_connection_test(sim_connector) -> None:  # type: ignore[no-untyped-def]
    assert sim_connector("crif").test_connection().ok
    result = sim_connector("crif", credentials={"user_id": "u", "password": "topsecret-pw"}).test_connection()
    assert not result.ok and "CRIF High Mark rejected the credentials" in result.error  # type: ignore[operator]
    assert "topsecret-pw" not in result.error  # type: ignore[operator]


def test_no_hit(sim_connector) -> None:  # type: ignore[no-untyped-def]
    report = sim_connector("crif").fetch_report(pan_for_persona("no_hit"))
    assert not report.hit and report.score is None


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<INDV-REPORT-FILE>&lol3;</INDV-REPORT-FILE>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<INDV-REPORT-FILE>&xxe;</INDV-REPORT-FILE>"""
PLAIN_DTD = (
    b"""<?xml version="1.0"?><!DOCTYPE INDV-REPORT-FILE SYSTEM "http://evil.example/x.dtd"><INDV-REPORT-FILE/>"""
)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, PLAIN_DTD], ids=["bomb", "xxe", "dtd"])
def test_hostile_xml_is_refused(mock_connector, body: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BureauBadResponse, match="DTD or entities is refused"):
        mock_connector("crif", answering(body)).fetch_report(PAN)


def _set(path: str, value: str | None) -> Callable[[Element], None]:
    def mutate(root: Element) -> None:
        element = root.find(path)
        assert element is not None, path
        element.text = value

    return mutate


def _remove(parent: str, child: str) -> Callable[[Element], None]:
    def mutate(root: Element) -> None:
        holder = root.find(parent)
        assert holder is not None
        holder.remove(holder.find(child))  # type: ignore[arg-type]

    return mutate


REPORT = "INDV-REPORTS/INDV-REPORT"
LOAN = f"{REPORT}/RESPONSES/RESPONSE/LOAN-DETAILS"
MUTATIONS: list[tuple[str, Callable[[Element], object], str]] = [
    ("issue date missing", _remove(f"{REPORT}/HEADER", "DATE-OF-ISSUE"), "DATE-OF-ISSUE: missing"),
    ("issue date format", _set(f"{REPORT}/HEADER/DATE-OF-ISSUE", "2025-03-15"), "DATE-OF-ISSUE"),
    ("status error", _set(f"{REPORT}/STATUS-DETAILS/STATUS/OPTION-STATUS", "ERROR"), "is not SUCCESS"),
    ("score text", _set(f"{REPORT}/SCORES/SCORE/SCORE-VALUE", "high"), "SCORE-VALUE"),
    ("score too low", _set(f"{REPORT}/SCORES/SCORE/SCORE-VALUE", "120"), "score"),
    ("amount garbage", _set(f"{LOAN}/CURRENT-BAL", "12,34,abc"), "CURRENT-BAL"),
    ("balance empty", _set(f"{LOAN}/CURRENT-BAL", ""), "CURRENT-BAL: missing or empty"),
    ("status unknown", _set(f"{LOAN}/ACCOUNT-STATUS", "Frozen"), "unknown status"),
    ("history garbage", _set(f"{LOAN}/COMBINED-PAYMENT-HISTORY", "Foo:2025,000/STD|"), "cannot read entry"),
    ("history asset class", _set(f"{LOAN}/COMBINED-PAYMENT-HISTORY", "Jan:2025,000/ZZZ|"), "asset class"),
    ("history future", _set(f"{LOAN}/COMBINED-PAYMENT-HISTORY", "Jan:2031,000/STD|"), "after the report"),
    ("another PAN", _set(f"{REPORT}/REQUEST/PAN", "ZZZPZ9999Z"), "requested PAN"),
    ("no loan details", _remove(f"{REPORT}/RESPONSES/RESPONSE", "LOAN-DETAILS"), "LOAN-DETAILS: missing"),
    ("wrong root", lambda root: setattr(root, "tag", "HTML"), "expected INDV-REPORT-FILE"),
]


@pytest.mark.parametrize(("name", "mutate", "fragment"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_malformed_report_is_a_bad_response(mock_connector, name, mutate, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BureauBadResponse) as err:
        mock_connector("crif", answering(answer_xml(mutate))).fetch_report(PAN)
    assert fragment in str(err.value)


@pytest.mark.parametrize("body", [b"", b"{\"json\": true}", b"<INDV-REPORT-FILE><INDV-REPORTS>", answer_xml()[:300]],
                         ids=["empty", "json", "unclosed", "truncated"])  # fmt: skip
def test_broken_xml_is_a_bad_response(mock_connector, body: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BureauBadResponse, match="not well-formed XML"):
        mock_connector("crif", answering(body)).fetch_report(PAN)


def test_indian_digit_grouping() -> None:
    assert indian_grouping(Decimal(999)) == "999"
    assert indian_grouping(Decimal(300000)) == "3,00,000"
    assert indian_grouping(Decimal(1234567)) == "12,34,567"
    assert indian_grouping(Decimal(-123456789)) == "-12,34,56,789"
