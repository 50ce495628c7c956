"""Experian connector: OAuth2 token lifecycle, JSON profile, malformed answers."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from creditdesk.bureaus.connectors.experian import TokenCache
from creditdesk.bureaus.errors import BureauAuthError, BureauBadResponse, BureauUnavailable
from creditdesk.bureaus.simulators import SimulatorFaults, pan_for_persona
from creditdesk.bureaus.simulators.experian import render_report

PAN = pan_for_persona("recent_delinquency")
REPORT_DATE = date(2025, 3, 15)
TOKEN = {"access_token": "tok-1", "token_type": "Bearer", "expires_in": 1800}


def routed(report: bytes | dict[str, Any], token: bytes | dict[str, Any] = TOKEN, calls: list[str] | None = None):
    """A handler answering the token endpoint with ``token`` and the report endpoint with ``report``."""

    def encode(body: bytes | dict[str, Any]) -> bytes:
        return body if isinstance(body, bytes) else json.dumps(body).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request.url.path)
        if request.url.path.endswith("/oauth2/v1/token"):
            return httpx.Response(200, content=encode(token))
        return httpx.Response(200, content=encode(report))

    return handler


def test_a_report_is_pulled_with_a_bearer_token(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    report = sim_connector("experian").fetch_report(PAN, {"name": "Asha Verma"})
    assert report.bureau == "experian" and report.hit
    assert report.dpd_30_last_12m >= 1 and report.max_dpd_last_24m >= 60
    assert sims.experian_tokens.issued == 1


def test_the_token_is_cached_across_pulls_and_connectors(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    sim_connector("experian").fetch_report(PAN)
    sim_connector("experian").fetch_report(pan_for_persona("prime"))
    assert sims.experian_tokens.issued == 1
    assert sims.experian.request_count == 3  # one token call, two reports


def test_a_rejected_token_is_refreshed_once(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    connector = sim_connector("experian")
    connector.fetch_report(PAN)
    sims.experian_tokens.revoke_all()  # e.g. the bureau rotated its keys
    report = connector.fetch_report(PAN)
    assert report.hit
    assert sims.experian_tokens.issued == 2


def test_a_token_that_keeps_failing_is_an_auth_error(mock_connector) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(401, json={"errors": [{"errorCode": "1001", "message": "Invalid or expired token"}]})

    with pytest.raises(BureauAuthError, match="1001"):
        mock_connector("experian", handler).fetch_report(PAN)
    assert [p.rsplit("/", 1)[-1] for p in calls] == ["token", "credit-report", "token", "credit-report"]


def test_a_wrong_client_secret_is_an_auth_error_without_retry(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    connector = sim_connector("experian", credentials={"client_id": "experian-sandbox-client", "client_secret": "x"})
    with pytest.raises(BureauAuthError, match="invalid_client"):
        connector.fetch_report(PAN)
    assert sims.experian.request_count == 1


def test_a_subscriber_code_of_another_member_is_refused(sim_connector) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BureauAuthError, match="HTTP 403.*Subscriber"):
        sim_connector("experian", member_id="SOMEONE-ELSE").fetch_report(PAN)


def test_connection_test(sim_connector) -> None:  # type: ignore[no-untyped-def]
    assert sim_connector("experian").test_connection().ok
    bad = sim_connector("experian", credentials={"client_id": "nobody", "client_secret": "s3cr3t-value"})
    result = bad.test_connection()
    assert not result.ok and "Experian rejected the credentials" in result.error  # type: ignore[operator]
    assert "s3cr3t-value" not in result.error  # type: ignore[operator]
    other_member = sim_connector("experian", member_id="NOT-MINE").test_connection()
    assert not other_member.ok and "403" in other_member.error  # type: ignore[operator]


def test_a_token_endpoint_outage_is_unavailable(sim_connector, sims) -> None:  # type: ignore[no-untyped-def]
    sims.experian.set_faults(SimulatorFaults(error_rate=1.0))
    with pytest.raises(BureauUnavailable, match="HTTP 500"):
        sim_connector("experian").fetch_report(PAN)


def test_no_hit(sim_connector) -> None:  # type: ignore[no-untyped-def]
    report = sim_connector("experian").fetch_report(pan_for_persona("no_hit"))
    assert not report.hit and report.score is None


def test_token_cache_expires_tokens_early() -> None:
    now = [0.0]
    cache = TokenCache(clock=lambda: now[0])
    key = TokenCache.key("https://x/token", "client", "secret")
    cache.put(key, "tok", expires_in_s=100)
    now[0] = 89.9
    assert cache.get(key) == "tok"
    now[0] = 90.1  # within the safety margin (10% of the lifetime, at most 30 s)
    assert cache.get(key) is None
    assert TokenCache.key("https://x/token", "client", "other-secret") != key
    assert "secret" not in "".join(key)


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ({"token_type": "Bearer", "expires_in": 60}, "access_token: missing"),
        ({"access_token": "t", "token_type": "mac", "expires_in": 60}, "not Bearer"),
        ({"access_token": "t", "token_type": "Bearer", "expires_in": "soon"}, "expires_in"),
        ({"access_token": "t", "token_type": "Bearer", "expires_in": 0}, "must be positive"),
        ({"access_token": 42, "token_type": "Bearer", "expires_in": 60}, "access_token"),
        (b"<html/>", "not valid JSON"),
    ],
)
def test_a_malformed_token_answer_is_a_bad_response(mock_connector, token, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BureauBadResponse, match="token answer") as err:
        mock_connector("experian", routed(render_report(PAN, REPORT_DATE), token=token)).fetch_report(PAN)
    assert fragment in str(err.value)


def _first_account(d: dict[str, Any]) -> dict[str, Any]:
    return d["creditProfile"]["caisAccountDetails"][0]


Mutation = Callable[[dict[str, Any]], Any]
MUTATIONS: list[tuple[str, Mutation, str]] = [
    ("no profile", lambda d: d.pop("creditProfile"), "creditProfile: missing"),
    ("profile a list", lambda d: d.update(creditProfile=[1]), "expected an object"),
    ("match maybe", lambda d: d["creditProfile"]["matchResult"].update(exactMatch="maybe"), "not Y or N"),
    ("report date format", lambda d: d["creditProfile"]["reportInfo"].update(reportDate="15/03/2025"), "reportDate"),
    ("score a string", lambda d: d["creditProfile"]["riskModel"].update(score="high"), "score"),
    ("score too high", lambda d: d["creditProfile"]["riskModel"].update(score=1000), "score"),
    ("status unknown", lambda d: _first_account(d).update(accountStatus="42"), "unknown code"),
    ("balance text", lambda d: _first_account(d).update(currentBalance="lots"), "currentBalance"),
    ("balance NaN", lambda d: _first_account(d).update(currentBalance=float("nan")), "currentBalance"),
    ("month 13", lambda d: _first_account(d)["caisAccountHistory"].append({"year": 2024, "month": 13}), "month"),
    ("future month", lambda d: _first_account(d)["caisAccountHistory"].append({"year": 2030, "month": 1}),
     "after the report"),
    ("history a dict", lambda d: _first_account(d).update(caisAccountHistory={"a": 1}), "expected a list"),
    ("open date missing", lambda d: _first_account(d).pop("openDate"), "openDate: missing"),
    ("another PAN", lambda d: d["creditProfile"]["consumerIdentity"].update(pan="ZZZPZ9999Z"), "requested PAN"),
    ("enquiry amount negative", lambda d: d["creditProfile"]["capsApplications"].append(
        {"dateOfRequest": "20250101", "amountFinanced": -5}), "amount"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "mutate", "fragment"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_malformed_profile_is_a_bad_response(mock_connector, name, mutate, fragment) -> None:  # type: ignore[no-untyped-def]
    answer = json.loads(json.dumps(render_report(PAN, REPORT_DATE)))
    mutate(answer)
    body = json.dumps(answer, allow_nan=True).encode()
    with pytest.raises(BureauBadResponse) as err:
        mock_connector("experian", routed(body)).fetch_report(PAN)
    assert fragment in str(err.value)


def test_a_truncated_profile_is_a_bad_response(mock_connector) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(copy.deepcopy(render_report(PAN, REPORT_DATE))).encode()
    with pytest.raises(BureauBadResponse, match="not valid JSON"):
        mock_connector("experian", routed(body[: len(body) // 2])).fetch_report(PAN)
