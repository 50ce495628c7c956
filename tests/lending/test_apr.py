"""The APR: an IRR on the net disbursed amount, annualised the KFS way (monthly IRR × 12)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

from creditdesk.errors import ValidationFailed
from creditdesk.lending.apr import (
    AprError,
    CashFlows,
    Charge,
    annual_percentage_rate,
    apr_for_terms,
    loan_cash_flows,
)

PRINCIPAL = Decimal("100000")
RATE = Decimal("16.5")
FEE = Charge.percent_of("Processing fee", PRINCIPAL, Decimal("2"))


def _hand_emi(principal: Decimal, annual_pct: Decimal, n: int) -> Decimal:
    """EMI = P·r·(1+r)^n / ((1+r)^n − 1), r = annual % / 1200, rounded half-up to the paisa."""
    r = annual_pct / 1200
    growth = (1 + r) ** n
    return (principal * r * growth / (growth - 1)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _bisect_monthly_irr(net: Decimal, payments: list[Decimal]) -> Decimal:
    """The monthly rate i with Σ payment_k / (1+i)^k = net, by plain bisection in 50-digit Decimal."""
    with localcontext() as ctx:
        ctx.prec = 50
        low, high = Decimal(0), Decimal("0.1")
        for _ in range(200):
            mid = (low + high) / 2
            pv = sum(p / (1 + mid) ** k for k, p in enumerate(payments, start=1))
            low, high = (mid, high) if pv > net else (low, mid)
        return (low + high) / 2


def test_the_documented_example_matches_a_hand_computation() -> None:
    """₹1,00,000 for 12 months at 16.5 % p.a. (reducing), a 2 % processing fee plus 18 % GST.

    Hand computation (docs/kfs-and-apr.md, same figures):

    * monthly rate r = 16.5 / 1200 = 0.01375; EMI = P·r·(1+r)^12 / ((1+r)^12 − 1) = ₹9,096.76;
      the schedule's last instalment absorbs the paisa rounding: 11 × ₹9,096.76 + ₹9,096.80
      (total interest ₹9,161.16);
    * processing fee 2 % × ₹1,00,000 = ₹2,000; GST 18 % × ₹2,000 = ₹360; both deducted upfront, so the
      borrower receives the net disbursed amount ₹1,00,000 − ₹2,360 = ₹97,640;
    * the monthly IRR i solves 97,640 = Σ_{k=1..12} payment_k / (1+i)^k; bisection on [0, 10 %]
      (independent code below, 50-digit Decimal) gives i ≈ 1.759129 % per month;
    * APR = 12 × i = 21.11 % p.a. (nominal, the KFS convention); the effective (1+i)^12 − 1 = 23.28 %.
    """
    emi = _hand_emi(PRINCIPAL, RATE, 12)
    assert emi == Decimal("9096.76")
    payments = [emi] * 11 + [Decimal("9096.80")]
    net = PRINCIPAL - Decimal("2000") - Decimal("360")
    hand_i = _bisect_monthly_irr(net, payments)
    hand_apr = hand_i * 12 * 100

    result = apr_for_terms(principal=PRINCIPAL, annual_rate_pct=RATE, tenure_months=12, charges=[FEE])

    assert result.flows == CashFlows(net_disbursed=Decimal("97640.00"), payments=tuple(payments))
    assert abs(result.apr - hand_apr) <= Decimal("0.01")
    assert result.apr == Decimal("21.11")
    assert abs(result.monthly_irr - hand_i) < Decimal("1e-9")
    assert result.effective_annual_rate == Decimal("23.28")
    hand_effective = ((1 + hand_i) ** 12 - 1) * 100
    assert abs(result.effective_annual_rate - hand_effective) <= Decimal("0.01")


@pytest.mark.parametrize(("rate", "months"), [("16.5", 12), ("10.75", 36), ("24", 6), ("0", 12), ("9.99", 240)])
def test_without_fees_the_apr_is_the_nominal_rate(rate: str, months: int) -> None:
    result = apr_for_terms(principal=Decimal("250000"), annual_rate_pct=Decimal(rate), tenure_months=months)
    assert result.apr == Decimal(rate).quantize(Decimal("0.01"))
    assert str(result.apr) != "-0.00"


def test_the_apr_rises_with_fees() -> None:
    aprs = [
        apr_for_terms(
            principal=PRINCIPAL,
            annual_rate_pct=RATE,
            tenure_months=24,
            charges=[Charge.percent_of("Processing fee", PRINCIPAL, Decimal(pct))],
        ).apr
        for pct in ("0", "0.5", "1", "2", "5")
    ]
    assert aprs == sorted(aprs) and len(set(aprs)) == len(aprs)
    assert aprs[0] == RATE


def test_gst_and_third_party_charges_count() -> None:
    without_gst = Charge(name="Processing fee", amount=Decimal("2000"), gst_pct=Decimal(0))
    insurance = Charge(name="Insurance", amount=Decimal("1500"), payable_to="third_party")
    base = apr_for_terms(principal=PRINCIPAL, annual_rate_pct=RATE, tenure_months=12, charges=[without_gst])
    with_gst = apr_for_terms(principal=PRINCIPAL, annual_rate_pct=RATE, tenure_months=12, charges=[FEE])
    both = apr_for_terms(principal=PRINCIPAL, annual_rate_pct=RATE, tenure_months=12, charges=[FEE, insurance])
    assert base.apr < with_gst.apr < both.apr
    assert insurance.gst == Decimal("270.00") and insurance.total == Decimal("1770.00")


def test_a_fee_collected_later_is_a_payment_of_its_period() -> None:
    later = Charge(name="Documentation", amount=Decimal("1000"), gst_pct=Decimal(0), collected_with=6)
    flows = loan_cash_flows(principal=PRINCIPAL, instalments=[Decimal("9000")] * 12, charges=[later])
    assert flows.net_disbursed == PRINCIPAL
    assert flows.payments[5] == Decimal("10000") and flows.payments[4] == Decimal("9000")
    assert flows.total_paid == Decimal("109000")
    upfront = Charge(name="Documentation", amount=Decimal("1000"), gst_pct=Decimal(0))
    flows_upfront = loan_cash_flows(principal=PRINCIPAL, instalments=[Decimal("9000")] * 12, charges=[upfront])
    # the same rupee costs more when taken at the start than in month 6
    assert annual_percentage_rate(flows_upfront).apr > annual_percentage_rate(flows).apr


def test_a_large_fee_still_has_a_root() -> None:
    heavy = Charge(name="Processing fee", amount=Decimal("80000"), gst_pct=Decimal(0))
    result = apr_for_terms(principal=PRINCIPAL, annual_rate_pct=RATE, tenure_months=3, charges=[heavy])
    i = result.monthly_irr
    pv = sum(p / (1 + i) ** k for k, p in enumerate(result.flows.payments, start=1))
    assert abs(pv - result.flows.net_disbursed) < Decimal("0.01")
    assert result.apr > 1000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tenure_months": 0}, "tenure"),
        ({"tenure_months": -3}, "tenure"),
        ({"principal": Decimal(0)}, "principal must be more than zero"),
        ({"annual_rate_pct": Decimal("-1")}, "cannot be negative"),
        ({"charges": [Charge(name="Processing fee", amount=Decimal("100000"), gst_pct=Decimal(0))]}, "less than"),
        ({"charges": [Charge(name="Processing fee", amount=Decimal("90000"))]}, "less than the principal"),
        ({"charges": [Charge(name="Late fee", amount=Decimal("10"), collected_with=13)]}, "instalment 13 of 12"),
    ],
)
def test_edge_cases_are_refused_with_a_clear_error(kwargs: dict[str, object], message: str) -> None:
    terms: dict[str, object] = {"principal": PRINCIPAL, "annual_rate_pct": RATE, "tenure_months": 12} | kwargs
    with pytest.raises(AprError, match=message) as raised:
        apr_for_terms(**terms)  # type: ignore[arg-type]
    assert isinstance(raised.value, ValidationFailed) and raised.value.status == 422


def test_cash_flows_without_instalments_or_principal_are_refused() -> None:
    with pytest.raises(AprError, match="at least one instalment"):
        loan_cash_flows(principal=PRINCIPAL, instalments=[])
    with pytest.raises(AprError, match="more than zero"):
        loan_cash_flows(principal=Decimal("-5"), instalments=[Decimal(1)])
    with pytest.raises(AprError, match="too small"):
        annual_percentage_rate(CashFlows(net_disbursed=Decimal(1000), payments=(Decimal(1),)))
