"""CIBIL connector: JSON wire format, credentials, and every way an answer can be wrong."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from creditdesk.bureaus.connectors import CibilConnector
from creditdesk.bureaus.errors import (
    BureauAuthError,
    BureauBadResponse,
    BureauConfigError,
    BureauRequestRejected,
    BureauUnavailable,
)
from creditdesk.bureaus.simulators import SimulatorFaults, pan_for_persona, profile_for_pan
from creditdesk.bureaus.simulators.cibil import render_report

PAN = pan_for_persona("prime")
NO_HIT_PAN = pan_for_persona("no_hit")
REPORT_DATE = date(2025, 3, 15)


def valid_answer(pan: str = PAN) -> dict[str, Any]:
    return render_report(pan, "ref-1", REPORT_DATE)


def answering(body: bytes | dict[str, Any], status: int = 200, calls: list[httpx.Request] | None = None):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request)
        return httpx.Response(status, content=content, headers={"content-type": "application/json"})

    return handler


def test_a_prime_file_is_parsed_into_the_normalised_report(sim_connector) -> None:  # type: ignore[no-untyped-def]
    report = sim_connector("cibil").fetch_report(PAN.lower(), {"name": "Asha Verma", "date_of_birth": "1998-04-12"})
    profile = profile_for_pan(PAN)
    assert report.bureau == "cibil" and report.pan == PAN and report.hit
    assert 760 - 12 <= report.score <= 860 + 12
    assert len(report.accounts) == len(profile.accounts)
    assert sorted(a.current_balance for a in report.accounts) == sorted(a.balance for a in profile.accounts)
    assert report.max_dpd_last_24m == 0 and report.dpd_30_last_12m == 0
    assert report.credit_history_months >= 60
    assert report.reference and report.reference.startswith("CN")


def test_the_request_carries_member_credentials_in_the_body_and_the_api_key_in_a_header(mock_connector) -> None:  # type: ignore[no-untyped-def]
    calls: list[httpx.Request] = []
    connector = mock_connector("cibil", answering(valid_answer(), calls=calls))
    connector.fetch_report(PAN)
    request = calls[0]
    assert request.url.path.endswith("/cibil/v1/credit-report")
    assert request.headers["x-api-key"] == "cibil-sandbox-api-key-0001"
    body = json.loads(request.content)
    assert body["requestHeader"]["memberId"] == "CIBILSIM0001"
    assert body["requestHeader"]["password"] == "cibil-sandbox-password"
    assert body["consumer"]["pan"] == PAN


def test_a_no_hit_is_a_report_without_score(sim_connector) -> None:  # type: ignore[no-untyped-def]
    report = sim_connector("cibil").fetch_report(NO_HIT_PAN)
    assert report.hit is False and report.score is None and report.accounts == []


def test_a_wrong_password_is_an_auth_error_and_is_not_retried(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    connector = sim_connector("cibil", credentials={"password": "wrong", "api_key": "cibil-sandbox-api-key-0001"})
    with pytest.raises(BureauAuthError) as err:
        connector.fetch_report(PAN)
    assert "HTTP 401" in str(err.value) and "Invalid member credentials" in str(err.value)
    assert sims.cibil.request_count == 1


def test_a_wrong_api_key_is_an_auth_error(sim_connector) -> None:  # type: ignore[no-untyped-def]
    connector = sim_connector("cibil", credentials={"password": "cibil-sandbox-password", "api_key": "nope"})
    with pytest.raises(BureauAuthError, match="HTTP 403.*API key"):
        connector.fetch_report(PAN)


def test_connection_test_is_ok_with_good_credentials_and_explains_bad_ones(sim_connector) -> None:  # type: ignore[no-untyped-def]
    good = sim_connector("cibil").test_connection()
    assert good.ok and good.error is None and good.latency_ms >= 0
    secret = "very-secret-password-123"
    bad = sim_connector("cibil", credentials={"password": secret, "api_key": "cibil-sandbox-api-key-0001"})
    result = bad.test_connection()
    assert result.ok is False
    assert "CIBIL rejected the credentials" in result.error  # type: ignore[operator]
    assert secret not in result.error  # type: ignore[operator]


def test_an_outage_is_retried_then_reported_unavailable(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    sims.cibil.set_faults(SimulatorFaults(outage=True))
    with pytest.raises(BureauUnavailable, match="HTTP 503"):
        sim_connector("cibil").fetch_report(PAN)
    assert sims.cibil.request_count == 3


def test_a_slow_bureau_times_out_and_is_retried(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    sims.cibil.set_faults(SimulatorFaults(latency_ms=300))
    started = time.perf_counter()
    with pytest.raises(BureauUnavailable, match="did not answer within 40 ms"):
        sim_connector("cibil", timeout_ms=40).fetch_report(PAN)
    assert time.perf_counter() - started < 0.3
    assert sims.cibil.request_count == 3


@pytest.mark.parametrize(("status", "error"), [(400, BureauRequestRejected), (404, BureauRequestRejected),
                                                (302, BureauBadResponse), (403, BureauAuthError)])  # fmt: skip
def test_other_statuses_are_typed_and_not_retried(mock_connector, status: int, error: type) -> None:  # type: ignore[no-untyped-def]
    calls: list[httpx.Request] = []
    connector = mock_connector("cibil", answering({"errorCode": "E", "errorMessage": "no"}, status, calls))
    with pytest.raises(error):
        connector.fetch_report(PAN)
    assert len(calls) == 1


def test_a_garbage_error_body_still_gives_a_typed_error(mock_connector) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BureauAuthError, match=r"HTTP 401\)"):
        mock_connector("cibil", answering(b"<html>denied</html>", 401)).fetch_report(PAN)


Mutation = Callable[[dict[str, Any]], Any]
MUTATIONS: list[tuple[str, Mutation, str]] = [
    ("no header", lambda d: d.pop("responseHeader"), "responseHeader: missing"),
    ("failed status", lambda d: d["responseHeader"].update(status="FAILURE"), "is not SUCCESS"),
    ("report not an object", lambda d: d.update(consumerReport=[]), "expected an object"),
    ("score not a number", lambda d: d["consumerReport"]["scores"][0].update(score="abc"), "expected an integer"),
    ("score out of range", lambda d: d["consumerReport"]["scores"][0].update(score="00150"), "score"),
    ("no scores", lambda d: d["consumerReport"].update(scores=[]), "scores: empty"),
    ("accounts not a list", lambda d: d["consumerReport"].update(accounts="oops"), "expected a list"),
    ("balance a boolean", lambda d: d["consumerReport"]["accounts"][0].update(currentBalance=True), "currentBalance"),
    ("balance missing", lambda d: d["consumerReport"]["accounts"][0].pop("currentBalance"), "currentBalance: missing"),
    ("bad date", lambda d: d["consumerReport"]["accounts"][0].update(dateOpened="2025-01-01"), "dateOpened"),
    ("date a number", lambda d: d["consumerReport"]["accounts"][0].update(dateOpened=1012019), "dateOpened"),
    ("truncated history", lambda d: d["consumerReport"]["accounts"][0].update(paymentHistory="00003"), "multiple of 3"),
    ("odd history", lambda d: d["consumerReport"]["accounts"][0].update(paymentHistory="000ABC"), "payment status"),
    (
        "unknown W/O code",
        lambda d: d["consumerReport"]["accounts"][0].update(writtenOffAndSettledStatus="99"),
        "unknown code",
    ),
    ("another PAN", lambda d: d["consumerReport"]["ids"][0].update(idNumber="ZZZPZ9999Z"), "requested PAN"),
    (
        "enquiry date a number",
        lambda d: d["consumerReport"]["enquiries"].append({"dateOfEnquiry": 20250101}),
        "dateOfEnquiry",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "fragment"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_malformed_report_is_a_bad_response_naming_the_problem(mock_connector, name, mutate, fragment) -> None:  # type: ignore[no-untyped-def]
    answer = copy.deepcopy(valid_answer())
    mutate(answer)
    with pytest.raises(BureauBadResponse) as err:
        mock_connector("cibil", answering(answer)).fetch_report(PAN)
    assert fragment in str(err.value)
    assert str(err.value).startswith("CIBIL sent")


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"<html>maintenance</html>", b"[]", b"null", b'"text"',
     json.dumps(valid_answer()).encode()[:200]],
    ids=["empty", "text", "html", "list", "null", "string", "truncated"],
)  # fmt: skip
def test_a_body_that_is_not_a_report_is_a_bad_response(mock_connector, body: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BureauBadResponse):
        mock_connector("cibil", answering(body)).fetch_report(PAN)


def test_config_errors_are_reported_at_construction() -> None:
    from creditdesk.bureaus.connectors import BureauConfig

    config = BureauConfig(
        bureau="cibil", endpoint_url="https://cibil.example/api", member_id="M1", credentials={"password": "p"}
    )
    with pytest.raises(BureauConfigError, match="missing: api_key"):
        CibilConnector(config)
    crif_config = BureauConfig(bureau="crif", endpoint_url="https://x", member_id="M", credentials={})
    with pytest.raises(BureauConfigError):
        CibilConnector(crif_config)


def test_secrets_never_appear_in_a_config_repr_or_dump() -> None:
    from creditdesk.bureaus.connectors import BureauConfig

    config = BureauConfig(
        bureau="cibil",
        endpoint_url="https://cibil.example/api/",
        member_id="M1",
        credentials={"password": "hunter2-secret", "api_key": "key-abc-secret"},
    )
    assert config.endpoint_url == "https://cibil.example/api"
    for text in (repr(config), str(config.model_dump()), config.model_dump_json()):
        assert "hunter2-secret" not in text and "key-abc-secret" not in text
    with pytest.raises(ValueError):
        BureauConfig(bureau="cibil", endpoint_url="ftp://x", member_id="M", credentials={})
