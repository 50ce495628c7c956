"""Knock-out rule cost bounds: costly rules are refused at save time, and a decision's rules run within a budget."""

from __future__ import annotations

import pytest
from tests.factories import bearer
from tests.scoring.test_policy import SAMPLE, lender  # noqa: F401  (fixture)

from creditdesk.config import get_settings
from creditdesk.errors import ValidationFailed
from creditdesk.scoring import policy
from creditdesk.scoring.models import Policy
from creditdesk.scoring.schemas import PolicyIn

HEAVY_3M = "sum(map([0..3000000], #)) < 0"


def _config(*whens: str, outcome: str = "Reject") -> PolicyIn:
    rules = [{"name": f"rule_{i}", "when": w, "outcome": outcome, "reason": f"Reason {i}"} for i, w in enumerate(whens)]
    return PolicyIn.model_validate({"knockout_rules": rules})


def _refusal(*whens: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        policy.validate_rules(_config(*whens))
    return caught.value.message


def test_a_three_million_element_rule_is_refused_at_save_time(client, lender):  # noqa: F811
    tenant, analyst, _ = lender
    url = f"/api/v1/tenants/{tenant.slug}/policy"
    heavy = {"knockout_rules": [{"name": "spin", "when": HEAVY_3M, "outcome": "Reject", "reason": "r"}]}
    r = client.put(url, json=heavy, headers=bearer(analyst))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "ValidationFailed" and body["request_id"]
    assert body["detail"].startswith("knockout_rules.0.when: rule 'spin' is too costly")
    assert "'[0..3000000]' has 3,000,001 elements; at most 1,000 are allowed" in body["detail"]
    assert body["fields"] == [{"field": "body.knockout_rules.0.when", "message": body["fields"][0]["message"]}]
    assert client.get(url, headers=bearer(analyst)).json()["version"] == 0  # nothing stored


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("sum(map([1..100], sum(map([1..100], #)))) > 0", "can iterate over 10,000 elements"),
        ("some([0..loan_amount], # > 5)", "must have plain numbers at both ends"),
        ("some([0..(1000*1000)], # > 5)", "must have plain numbers at both ends"),
        ("matches(purpose, purpose)", "pattern of matches() must be written in quotes"),
        ("len(map([1..1000], matches(string(#), '^(a|b)*[0-9]+$'))) > 0", "may run 1,000 times"),
        ("age > 200 and matches('a', '((a{50}){50}){50}')", "ms are allowed"),  # priced although never reached
        ("(((((((((age))))))))) > 1", "nest deeper than 8 levels"),
    ],
)
def test_costly_shapes_are_refused_in_plain_words(when, says):
    message = _refusal(when)
    assert message.startswith("knockout_rules.0.when: rule 'rule_0' is too costly") and says in message


def test_ordinary_rules_and_wide_membership_tests_are_accepted():
    policy.validate_rules(policy.DEFAULT_POLICY)
    policy.validate_rules(
        _config(
            "loan_amount in [10000..5000000] and age in [21..60]",  # membership: no iteration, any width
            "purpose in ['gold', 'education'] or matches(purpose, '^(home|auto)$')",
            "len(filter([1..999], # % 7 == 0)) > 0 and foir > 0.65",
            "'[0..9999999]' == purpose",  # a range inside quotes is text
        )
    )


def test_rule_count_is_bounded(monkeypatch):
    monkeypatch.setattr(get_settings(), "policy_max_rules", 2)
    message = _refusal("age < 21", "age < 22", "age < 23")
    assert message == "knockout_rules: at most 2 knock-out rules are allowed; this policy has 3"


def _active(*whens: str, outcome: str = "Reject") -> policy.ActivePolicy:
    return policy._compile(7, _config(*whens, outcome=outcome))


def test_rules_beyond_the_decision_budget_are_not_evaluated_and_send_to_review(monkeypatch):
    monkeypatch.setattr(get_settings(), "policy_decision_budget_ms", 0.0)
    active = _active("age > 0", "age > 1")
    before = policy.RULES_NOT_EVALUATED._value.get()
    fired = policy.knockouts(active, {"age": 30})
    assert fired == [
        {
            "name": policy.RULES_NOT_EVALUATED_NAME,
            "outcome": "Review",
            "reason": policy.RULES_NOT_EVALUATED_REASON,
            "not_evaluated": ["rule_0", "rule_1"],
        }
    ]
    assert policy.RULES_NOT_EVALUATED._value.get() == before + 2
    assert policy.decide(0.01, fired, active.config) == "Review"  # never Approve on rules left unchecked


def test_within_budget_every_rule_runs_and_a_fired_reject_stands(monkeypatch):
    active = _active("age > 0", "age > 100")
    assert [f["name"] for f in policy.knockouts(active, {"age": 30})] == ["rule_0"]
    fired = [{"name": "rule_0", "outcome": "Reject", "reason": "r"}]
    fired.append({"name": policy.RULES_NOT_EVALUATED_NAME, "outcome": "Review", "reason": "x", "not_evaluated": []})
    assert policy.decide(0.01, fired, active.config) == "Reject"


def test_a_costly_rule_stored_before_the_bounds_is_never_run(client, session, lender):  # noqa: F811
    tenant, analyst, officer = lender
    legacy = _config(HEAVY_3M).model_dump(mode="json")
    session.add(Policy(tenant_id=tenant.id, version=1, config=legacy, created_by=analyst.id))
    session.commit()
    r = client.post(f"/api/v1/tenants/{tenant.slug}/applications", json=SAMPLE, headers=bearer(officer))
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["policy_version"] == 1 and d["decision"] in ("Review", "Reject")
    assert d["knockouts"][-1]["name"] == policy.RULES_NOT_EVALUATED_NAME
    assert d["knockouts"][-1]["not_evaluated"] == ["rule_0"]
    assert policy.RULES_NOT_EVALUATED_REASON in d["shap_explanation"]
