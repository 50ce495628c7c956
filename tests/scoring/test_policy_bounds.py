"""Credit policy edges: the static bounds' remaining refusals, the version read back, the limit at no headroom."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.factories import bearer, make_tenant, make_user

from creditdesk.config import get_settings
from creditdesk.errors import ValidationFailed
from creditdesk.scoring import policy
from creditdesk.scoring.schemas import PolicyIn


def _config(*whens: str) -> PolicyIn:
    rules = [
        {"name": f"rule_{i}", "when": w, "outcome": "Review", "reason": f"Reason {i}"} for i, w in enumerate(whens)
    ]
    return PolicyIn.model_validate({"knockout_rules": rules})


def _refusal(*whens: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        policy.validate_rules(_config(*whens))
    return caught.value.message


def test_a_range_needs_finite_plain_numbers_at_both_ends():
    assert "must have plain numbers at both ends" in policy.scan_rule("count(map([1e999..5], #)) > 0").problem
    assert "must have plain numbers at both ends" in policy.scan_rule("count(map([1..age], #)) > 0").problem
    assert policy.scan_rule("count(map([1..5], #)) > 0").problem is None


def test_list_literals_count_their_elements_and_nested_ones_multiply(monkeypatch):
    assert policy.scan_rule("sum([1, 2, 3]) > 5").elements == 3
    assert policy.scan_rule("sum(map([1, 2, 3], sum(map([1, 2], #)))) > 5").elements == 6
    assert policy.scan_rule("len([]) == 0").elements == 1
    assert policy.scan_rule("employment_type in ['salaried', 'self_employed', 'business']").elements == 1  # a test
    monkeypatch.setattr(get_settings(), "policy_rule_max_elements", 5)
    problem = policy.scan_rule("sum(map([1, 2, 3], sum(map([1, 2], #)))) > 5").problem
    assert problem == "it can iterate over 6 elements (nested ranges and lists multiply); at most 5 are allowed"


def test_an_over_long_rule_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(get_settings(), "policy_rule_max_chars", 10)
    assert policy.scan_rule("age < 21 and foir > 0.5").problem == "it is 23 characters long; at most 10 are allowed"
    message = _refusal("age < 21 and foir > 0.5")
    assert message.startswith("knockout_rules.0.when: rule 'rule_0' is too costly to run on every decision: it is 23")


def test_a_call_over_the_per_rule_time_is_refused_by_name(monkeypatch):
    monkeypatch.setattr(get_settings(), "policy_rule_trial_ms", 1e-9)  # any real work is over it
    message = _refusal("sum(map([1..1000], # * 2)) > 0")
    assert message.startswith("knockout_rules.0.when: rule 'rule_0' is too costly to run on every decision: ")
    # the innermost call is priced first
    assert "'map([1..1000], 0 * 2)' takes" in message and "ms on a sample application" in message


def test_rules_over_the_time_for_all_rules_together_are_refused(monkeypatch):
    monkeypatch.setattr(get_settings(), "policy_rules_trial_ms", 0.0)
    message = _refusal("sum(map([1..500], # * 2)) > 0")
    assert message.startswith(
        "knockout_rules: the knock-out rules together took more than 0 ms on a sample application"
    )
    assert "(at rule 0, 'rule_0')" in message


def test_a_stored_policy_version_is_read_back_as_put(client, session):
    tenant = make_tenant(session)
    analyst = make_user(session, tenant, "risk_analyst")
    session.commit()
    url = f"/api/v1/tenants/{tenant.slug}/policy"
    default = client.get(url, headers=bearer(analyst)).json()
    assert default["version"] == 0 and default["created_by"] is None
    body = {
        "approve_below_pd": 0.2,
        "reject_at_or_above_pd": 0.5,
        "knockout_rules": [{"name": "young", "when": "age < 23", "outcome": "Review", "reason": "Under 23"}],
    }
    put = client.put(url, json=body, headers=bearer(analyst))
    assert put.status_code == 200, put.text
    got = client.get(url, headers=bearer(analyst)).json()
    assert (got["version"], got["created_by"], got["approve_below_pd"]) == (1, analyst.id, 0.2)
    assert got["knockout_rules"] == [{"name": "young", "when": "age < 23", "outcome": "Review", "reason": "Under 23"}]
    assert got["created_at"] == put.json()["created_at"]


def test_no_headroom_under_the_foir_ceiling_means_no_limit():
    config = policy.DEFAULT_POLICY
    ceiling = Decimal(str(config.limit_rules.max_foir)) * Decimal(50000)
    common = {"monthly_income": Decimal(50000), "annual_rate_pct": Decimal(12), "tenure_months": 24, "config": config}
    assert policy.credit_limit(decision="Approve", existing_emi=ceiling, **common) == Decimal("0.00")
    assert policy.credit_limit(decision="Review", existing_emi=ceiling + 1, **common) == Decimal("0.00")
    assert policy.credit_limit(decision="Reject", existing_emi=Decimal(0), **common) == Decimal("0.00")
    some = policy.credit_limit(decision="Approve", existing_emi=ceiling - 1000, **common)
    assert Decimal(0) < some <= Decimal(1000) * 24  # at most the headroom times the tenure


def test_a_rule_over_the_per_rule_time_is_refused_with_its_time(monkeypatch):
    monkeypatch.setattr(get_settings(), "policy_rule_trial_ms", 1e-9)  # a rule without calls is timed whole
    message = _refusal("age < 21 and foir > 0.5")
    assert message.startswith("knockout_rules.0.when: rule 'rule_0' is too costly to run on every decision: it took ")
    assert message.endswith("ms on a sample application; at most 1e-09 ms are allowed")
