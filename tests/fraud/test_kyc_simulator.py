"""The KYC simulator over real HTTP: PAN verification flags by the PAN's digits, Aadhaar OTP e-KYC with its
limits, the API key, faults — and no full Aadhaar number in any answer."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from stdnum import verhoeff
from tests.payments.conftest import running

from creditdesk.fraud.kyc_simulator import SANDBOX_API_KEY, KycSimulator, build_kyc_simulator_app, resident_for

KEY = {"x-api-key": SANDBOX_API_KEY}


def aadhaar(prefix: str) -> str:
    """A valid number: 11 digits and their Verhoeff check digit."""
    return prefix + verhoeff.calc_check_digit(prefix)


@pytest.fixture
def kyc() -> Iterator[tuple[str, list[float]]]:
    """The simulator's base URL and its clock (seconds; a test moves it on)."""
    clock = [1000.0]
    sim = KycSimulator(clock=lambda: clock[0])
    with running(build_kyc_simulator_app(sim)) as url:
        yield f"{url}/simulators/kyc", clock


@pytest.mark.parametrize(
    ("pan", "status", "name", "seeded"),
    [
        ("ABCPE1230F", "E", "Y", "Y"),
        ("ABCPE1236F", "E", "Y", "R"),
        ("ABCPE1237F", "E", "N", "Y"),
        ("ABCPE1238F", "X", "N", "NA"),
        ("ABCPE1298F", "F", "N", "NA"),
        ("ABCPE1239F", "N", "N", "NA"),
    ],
)
def test_pan_verification_answers_flags_by_the_pans_digits(kyc, pan, status, name, seeded):
    base, _ = kyc
    r = httpx.post(f"{base}/pan/verify", json={"pan": pan, "name": "Asha Rao", "dob": "1990-04-01"}, headers=KEY)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["pan_status"], answer["name_match"], answer["aadhaar_seeding_status"]) == (status, name, seeded)
    assert "Asha" not in r.text  # flags, never the registry's data


def test_aadhaar_otp_ekyc_returns_the_resident_masked(kyc):
    base, _ = kyc
    number = aadhaar("23412341234")
    sent = httpx.post(f"{base}/aadhaar/otp", json={"aadhaar_number": number, "consent": "Y"}, headers=KEY)
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert number not in sent.text and "XXXX XXXX " + number[-4:] in body["message"]
    ok = httpx.post(
        f"{base}/aadhaar/verify", json={"reference_id": body["reference_id"], "otp": body["sandbox_otp"]}, headers=KEY
    )
    assert ok.status_code == 200 and ok.json()["kyc"] == resident_for(number)
    assert number not in ok.text and ok.json()["kyc"]["masked_aadhaar"] == "XXXX XXXX " + number[-4:]
    again = httpx.post(
        f"{base}/aadhaar/verify", json={"reference_id": body["reference_id"], "otp": body["sandbox_otp"]}, headers=KEY
    )
    assert again.status_code == 410


def test_wrong_otps_lock_and_an_old_otp_expires(kyc):
    base, clock = kyc
    number = aadhaar("49876543210")
    ref = httpx.post(f"{base}/aadhaar/otp", json={"aadhaar_number": number, "consent": "Y"}, headers=KEY).json()
    wrong = "000000" if ref["sandbox_otp"] != "000000" else "111111"
    statuses = [
        httpx.post(
            f"{base}/aadhaar/verify", json={"reference_id": ref["reference_id"], "otp": wrong}, headers=KEY
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    fresh = httpx.post(f"{base}/aadhaar/otp", json={"aadhaar_number": number, "consent": "Y"}, headers=KEY).json()
    clock[0] += 601
    late = httpx.post(
        f"{base}/aadhaar/verify", json={"reference_id": fresh["reference_id"], "otp": fresh["sandbox_otp"]}, headers=KEY
    )
    assert late.status_code == 410 and late.json()["error"]["code"] == "otp_expired"


def test_refusals_key_consent_checksum_mobile_and_faults(kyc):
    base, _ = kyc
    good = aadhaar("23412341234")
    assert (
        httpx.post(f"{base}/pan/verify", json={"pan": "ABCPE1230F", "name": "A", "dob": "1990-01-01"}).status_code
        == 401
    )
    bad_key = {"x-api-key": "nope"}
    assert (
        httpx.post(f"{base}/aadhaar/otp", json={"aadhaar_number": good, "consent": "Y"}, headers=bad_key).status_code
        == 401
    )
    assert (
        httpx.post(f"{base}/aadhaar/otp", json={"aadhaar_number": good, "consent": "N"}, headers=KEY).status_code == 400
    )
    corrupted = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert (
        httpx.post(f"{base}/aadhaar/otp", json={"aadhaar_number": corrupted, "consent": "Y"}, headers=KEY).status_code
        == 422
    )
    unlinked = next(n for n in (aadhaar(f"2341234123{d}") for d in range(10)) if n.endswith("9"))
    assert (
        httpx.post(f"{base}/aadhaar/otp", json={"aadhaar_number": unlinked, "consent": "Y"}, headers=KEY).status_code
        == 409
    )
    assert httpx.put(f"{base}/faults", json={"outage": True}).status_code == 200
    down = httpx.post(f"{base}/pan/verify", json={"pan": "ABCPE1230F", "name": "A", "dob": "1990-01-01"}, headers=KEY)
    assert down.status_code == 503
    assert httpx.get(f"{base}/sandbox-credentials").json()["credentials"]["api_key"] == SANDBOX_API_KEY
