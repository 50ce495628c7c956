"""The bureau simulators: deterministic personas, credentials, fault injection, real HTTP."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI

from creditdesk.bureaus.connectors import BureauConfig, make_connector
from creditdesk.bureaus.errors import BureauUnavailable
from creditdesk.bureaus.simulators import (
    PERSONAS,
    InProcessTransport,
    SimulatorFaults,
    build_simulator_app,
    pan_for_persona,
    persona_for_pan,
    simulator_router,
)
from creditdesk.kit.resilience import ResilientCaller, RetryPolicy

BUREAUS = ("cibil", "experian", "crif")


def without_reference(report):  # type: ignore[no-untyped-def]
    return report.model_copy(update={"reference": None})


def test_pan_for_persona_finds_a_pan_of_each_persona() -> None:
    for persona in PERSONAS:
        pan = pan_for_persona(persona)
        assert persona_for_pan(pan) == persona
        assert pan_for_persona(persona, 1) != pan
        assert persona_for_pan(pan_for_persona(persona, 1)) == persona
    with pytest.raises(ValueError):
        pan_for_persona("millionaire")


def test_personas_are_spread_over_pans() -> None:
    seen = {persona_for_pan(f"ABCP{chr(65 + n % 26)}{n:04d}K") for n in range(200)}
    assert seen == set(PERSONAS)


@pytest.mark.parametrize("bureau", BUREAUS)
def test_the_same_pan_always_gets_the_same_report(bureau: str, sim_connector) -> None:  # type: ignore[no-untyped-def]
    pan = pan_for_persona("near_prime")
    first = sim_connector(bureau).fetch_report(pan)
    again = sim_connector(bureau).fetch_report(pan)
    other_app = make_connector(
        sim_connector(bureau).config, transport=InProcessTransport(build_simulator_app())
    ).fetch_report(pan)
    assert without_reference(first) == without_reference(again) == without_reference(other_app)


def test_the_bureaus_see_the_same_person_with_slightly_different_scores(sim_connector) -> None:  # type: ignore[no-untyped-def]
    pan = pan_for_persona("prime", 2)
    reports = [sim_connector(b).fetch_report(pan) for b in BUREAUS]
    assert len({len(r.accounts) for r in reports}) == 1
    assert len({r.credit_history_months for r in reports}) == 1
    scores = [r.score for r in reports]
    assert max(scores) - min(scores) <= 24  # type: ignore[type-var, operator]


EXPECTATIONS = {
    "no_hit": lambda r: not r.hit and r.score is None,
    "thin_file": lambda r: r.hit and len(r.accounts) == 1 and r.credit_history_months < 12 and r.max_dpd_last_24m == 0,
    "prime": lambda r: r.score >= 748 and r.max_dpd_last_24m == 0 and r.credit_history_months >= 59,
    "near_prime": lambda r: 678 <= r.score <= 762 and r.max_dpd_last_24m < 30,
    "subprime": lambda r: (
        r.score < 692 and r.dpd_30_last_12m == 0 and r.max_dpd_last_24m >= 30 and r.utilization >= 0.7
    ),
    "recent_delinquency": lambda r: r.dpd_30_last_12m >= 2 and r.max_dpd_last_24m >= 60 and not r.written_off,
    "written_off": lambda r: r.written_off and r.score < 572,
}


@pytest.mark.parametrize("bureau", BUREAUS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_is_reachable_and_recognisable(persona: str, bureau: str, sim_connector) -> None:  # type: ignore[no-untyped-def]
    for index in range(2):
        report = sim_connector(bureau).fetch_report(pan_for_persona(persona, index))
        assert EXPECTATIONS[persona](report), (persona, bureau, report.to_application_bureau())


def test_sandbox_credentials_are_served_in_the_tenant_config_shape(sim_client: httpx.Client, transport) -> None:  # type: ignore[no-untyped-def]
    for bureau in BUREAUS:
        answer = sim_client.get(f"/{bureau}/sandbox-credentials").json()
        assert set(answer) == {"member_id", "credentials", "endpoint_url"}
        assert answer["endpoint_url"].endswith(f"/simulators/{bureau}")
        config = BureauConfig(bureau=bureau, **answer)
        assert make_connector(config, transport=transport).test_connection().ok


def test_sandbox_credentials_can_be_overridden() -> None:
    custom = {"member_id": "MY-MEMBER", "credentials": {"password": "p-custom", "api_key": "k-custom"}}
    app = build_simulator_app(credentials={"cibil": custom})
    transport = InProcessTransport(app)
    config = BureauConfig(bureau="cibil", endpoint_url="http://sim/simulators/cibil", **custom)
    assert make_connector(config, transport=transport).test_connection().ok
    default = BureauConfig(
        bureau="cibil", endpoint_url="http://sim/simulators/cibil", member_id="CIBILSIM0001",
        credentials={"password": "cibil-sandbox-password", "api_key": "cibil-sandbox-api-key-0001"},
    )  # fmt: skip
    assert not make_connector(default, transport=transport).test_connection().ok


def test_faults_are_validated_and_read_back(sim_client: httpx.Client) -> None:
    assert sim_client.get("/crif/faults").json() == {"latency_ms": 0, "error_rate": 0.0, "outage": False}
    assert sim_client.put("/crif/faults", json={"error_rate": 1.5}).status_code == 422
    assert sim_client.put("/crif/faults", json={"latency_ms": -1}).status_code == 422
    assert sim_client.put("/crif/faults", json={"surprise": True}).status_code == 422
    answer = sim_client.put("/crif/faults", json={"latency_ms": 5, "error_rate": 0.25, "outage": True})
    assert answer.json() == {"latency_ms": 5, "error_rate": 0.25, "outage": True}
    assert sim_client.get("/crif/faults").json()["outage"] is True
    assert sim_client.get("/cibil/faults").json()["outage"] is False


def test_an_outage_answers_503_in_each_bureaus_own_style(sim_client: httpx.Client) -> None:
    for bureau in BUREAUS:
        sim_client.put(f"/{bureau}/faults", json={"outage": True})
    cibil = sim_client.post("/cibil/v1/credit-report", json={})
    assert cibil.status_code == 503 and cibil.json()["errorCode"] == "E0503"
    experian = sim_client.post("/experian/oauth2/v1/token", data={"grant_type": "client_credentials"})
    assert experian.status_code == 503 and experian.json()["errors"][0]["errorCode"] == "5030"
    crif = sim_client.post("/crif/v1/inquiry", content=b"<x/>")
    assert crif.status_code == 503 and b"<CODE>E0503</CODE>" in crif.content
    # Control endpoints keep working during an outage.
    assert sim_client.get("/crif/sandbox-credentials").status_code == 200


def test_error_rate_and_latency(sim_client: httpx.Client) -> None:
    sim_client.put("/cibil/faults", json={"error_rate": 1.0})
    assert sim_client.post("/cibil/v1/member/verify", json={}).status_code == 500
    sim_client.put("/cibil/faults", json={"latency_ms": 80})
    started = time.perf_counter()
    answer = sim_client.post("/cibil/v1/member/verify", json={})
    assert time.perf_counter() - started >= 0.08
    assert answer.status_code == 403  # no API key: the simulator still checks credentials


def test_fault_state_belongs_to_one_simulator_app() -> None:
    one, two = build_simulator_app(), build_simulator_app()
    one.state.simulators.cibil.set_faults(SimulatorFaults(outage=True))
    assert two.state.simulators.cibil.faults.outage is False


def test_simulators_reject_malformed_requests_in_their_own_style(sim_client: httpx.Client) -> None:
    key = {"x-api-key": "cibil-sandbox-api-key-0001"}
    bad_json = sim_client.post("/cibil/v1/credit-report", content=b"{nope", headers=key)
    assert bad_json.status_code == 400 and bad_json.json()["errorCode"] == "E0400"
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaa">]><REQUEST-REQUEST-FILE>&a;</REQUEST-REQUEST-FILE>'
    crif = sim_client.post("/crif/v1/inquiry", content=bomb)
    assert crif.status_code == 400 and b"E0400" in crif.content
    grant = sim_client.post("/experian/oauth2/v1/token", data={"grant_type": "password"})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


def test_mounted_simulators_stay_out_of_the_api_schema() -> None:
    app = FastAPI()
    app.include_router(simulator_router())
    assert not any(path.startswith("/simulators") for path in app.openapi()["paths"])
    assert "/simulators/cibil/faults" in build_simulator_app().openapi()["paths"]


# -- over a real socket -----------------------------------------------------------------------------


def test_all_three_connectors_work_over_real_http(live_simulators) -> None:  # type: ignore[no-untyped-def]
    base, _ = live_simulators
    pan = pan_for_persona("prime")
    for bureau in BUREAUS:
        answer = httpx.get(f"{base}/{bureau}/sandbox-credentials").json()
        assert answer["endpoint_url"] == f"{base}/{bureau}"
        with make_connector(BureauConfig(bureau=bureau, **answer)) as connector:  # real HTTP transport
            assert connector.test_connection().ok
            report = connector.fetch_report(pan)
        assert report.hit and 300 <= report.score <= 900  # type: ignore[operator]


def test_a_real_socket_timeout_is_a_transient_error(live_simulators) -> None:  # type: ignore[no-untyped-def]
    base, sims = live_simulators
    sims.cibil.set_faults(SimulatorFaults(latency_ms=400))
    try:
        answer = httpx.get(f"{base}/cibil/sandbox-credentials").json()
        config = BureauConfig(bureau="cibil", timeout_ms=100, **answer)
        caller = ResilientCaller(retry=RetryPolicy(attempts=2, wait_initial_s=0.001, jitter_s=0))
        started = time.perf_counter()
        with make_connector(config, caller=caller) as connector, pytest.raises(BureauUnavailable, match="100 ms"):
            connector.fetch_report(pan_for_persona("prime"))
        assert time.perf_counter() - started < 0.35
    finally:
        sims.cibil.set_faults(SimulatorFaults())


def test_a_refused_connection_is_a_transient_error() -> None:
    config = BureauConfig(
        bureau="crif", endpoint_url="http://127.0.0.1:9", member_id="M", timeout_ms=500,
        credentials={"user_id": "u", "password": "p"},
    )  # fmt: skip
    caller = ResilientCaller(retry=RetryPolicy(attempts=2, wait_initial_s=0.001, jitter_s=0))
    with make_connector(config, caller=caller) as connector:
        result = connector.test_connection()
    assert not result.ok and "could not reach CRIF High Mark" in result.error  # type: ignore[operator]


def test_the_in_process_transport_also_works_when_called_from_async_code(transport) -> None:  # type: ignore[no-untyped-def]
    async def inside_a_running_loop() -> int:
        with httpx.Client(transport=transport) as client:
            return client.get("http://sim/simulators/cibil/faults").status_code

    assert asyncio.run(inside_a_running_loop()) == 200
