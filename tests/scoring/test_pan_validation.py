"""#12 item 7: a PAN is normalised and must be ASCII before it is upper-cased ("ﬀ" upper-cases to "FF")."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from tests.factories import bearer, make_tenant, make_user

from creditdesk.bureaus.schemas import normalise_pan
from creditdesk.portfolio.schemas import CustomerIn, GuarantorIn
from creditdesk.scoring.schemas import Applicant

APPLICANT = {"name": "Asha", "date_of_birth": "1990-01-01", "employment_type": "salaried", "monthly_income": 1}
LOOKALIKES = ["ABCﬀ1234K", "ＡBCPV1234K", "ABCPV１234K", "ABCPVİ234K", "ABCPV1234K\u200b"]


@pytest.mark.parametrize("pan", LOOKALIKES)
def test_non_ascii_pans_are_refused_everywhere_a_pan_is_read(pan):
    with pytest.raises(ValidationError, match="ASCII"):
        Applicant.model_validate({**APPLICANT, "pan": pan})
    for model in (CustomerIn, GuarantorIn):  # one Pan type: a guarantor's PAN was only pattern-checked
        with pytest.raises(ValidationError, match="ASCII"):
            model.model_validate({"name": "Asha", "pan": pan})
    with pytest.raises(ValueError, match="ASCII"):
        normalise_pan(pan)


def test_ascii_pans_are_still_trimmed_and_upper_cased():
    assert Applicant.model_validate({**APPLICANT, "pan": "  abcpv1234k "}).pan == "ABCPV1234K"
    assert normalise_pan("abcpv1234k") == "ABCPV1234K"
    assert GuarantorIn.model_validate({"name": "Ravi", "pan": " abcpv1234k"}).pan == "ABCPV1234K"


def test_the_documented_pattern_is_the_enforced_one():
    for model in (Applicant, CustomerIn, GuarantorIn):
        pan = model.model_json_schema()["properties"]["pan"]["anyOf"][0]
        assert pan["pattern"] == "^[A-Z]{5}[0-9]{4}[A-Z]$", model


def test_the_api_names_the_field(client, session):
    tenant = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    loan = {"amount": 100000, "tenure_months": 12, "interest_rate": 16.5, "purpose": "personal"}
    body = {"applicant": {**APPLICANT, "pan": "ABCﬀ1234K"}, "loan": loan}
    r = client.post(f"/api/v1/tenants/{tenant.slug}/applications", json=body, headers=bearer(officer))
    assert r.status_code == 422, r.text
    assert [f["field"] for f in r.json()["fields"]] == ["body.applicant.pan"]
