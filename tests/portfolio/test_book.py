"""DPD and RBI asset classification as of any date, recomputed from the schedule and the payments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from scipy.stats import binomtest, spearmanr

from creditdesk.monitoring import analytics as monitoring
from creditdesk.portfolio.book import ASSET_CLASSES, Book, InstalmentFacts, LoanFacts, PaymentFacts
from creditdesk.portfolio.schedule import amortisation_schedule
from creditdesk.portfolio.simulation import simulate_portfolio

EMI = Decimal("8884.88")
SCHEDULE = amortisation_schedule(Decimal("100000"), Decimal("12"), 12, date(2024, 2, 10))  # dues on the 10th


def book_of(payments: list[tuple[date, Decimal]], loss_marked_on: date | None = None) -> Book:
    loan = LoanFacts("L1", date(2024, 1, 10), Decimal("100000"), 0.05, loss_marked_on)
    instalments = [InstalmentFacts("L1", r.seq, r.due_on, r.principal, r.interest, r.amount) for r in SCHEDULE]
    return Book.build([loan], instalments, [PaymentFacts("L1", d, a) for d, a in payments])


def klass(book: Book, day: date) -> str:
    return ASSET_CLASSES[int(book.state(day).asset_class[0])]


ON_TIME = [(date(2024, m, 10), EMI) for m in (2, 3, 4)]  # instalments 1–3, then nothing


def test_dpd_walks_through_the_sma_buckets_into_npa_and_doubtful():
    book = book_of(ON_TIME)
    expected = {  # day-end positions: the due date itself is the first day overdue (RBI's count)
        date(2024, 5, 9): (0, "standard"),  # instalment 4 falls due tomorrow
        date(2024, 5, 10): (1, "sma_0"),  # still unpaid at its due date's day-end
        date(2024, 6, 8): (30, "sma_0"),
        date(2024, 6, 9): (31, "sma_1"),
        date(2024, 7, 8): (60, "sma_1"),
        date(2024, 7, 9): (61, "sma_2"),
        date(2024, 8, 7): (90, "sma_2"),
        date(2024, 8, 8): (91, "substandard"),  # NPA beyond 90 days
        date(2025, 8, 7): (455, "substandard"),  # the first 12 months as NPA
        date(2025, 8, 8): (456, "doubtful_1"),
        date(2026, 8, 8): (821, "doubtful_2"),  # more than a year as doubtful
        date(2028, 8, 8): (1552, "doubtful_3"),  # more than three years as doubtful
    }
    for day, (dpd, name) in expected.items():
        state = book.state(day)
        assert (int(state.dpd[0]), klass(book, day)) == (dpd, name), day
    state = book.state(date(2024, 8, 8))
    assert state.npa_since[0] == date(2024, 8, 8).toordinal()
    assert state.arrears[0] == int(EMI * 100) * 3  # instalments 4, 5 and 6 overdue (7 falls due on the 10th)
    assert state.outstanding[0] == int(SCHEDULE[2].closing_balance * 100)  # principal after three EMIs


def test_an_npa_is_upgraded_only_once_all_arrears_are_cleared():
    partial = (date(2024, 9, 15), EMI * 2)  # clears instalments 4 and 5; 6–9 still overdue
    book = book_of([*ON_TIME, partial])
    assert int(book.state(date(2024, 9, 15)).dpd[0]) == 68  # instalment 6 (10 Jul) is the oldest unpaid
    assert klass(book, date(2024, 9, 15)) == "substandard"  # 68 DPD, but still an NPA
    clearing = (date(2024, 10, 20), EMI * 4)  # instalments 6, 7, 8, 9: nothing overdue any more
    book = book_of([*ON_TIME, partial, clearing])
    assert klass(book, date(2024, 10, 19)) == "substandard"
    assert klass(book, date(2024, 10, 20)) == "standard"
    assert int(book.state(date(2024, 10, 20)).dpd[0]) == 0
    # history is recomputed, not overwritten: the later payments do not change the past
    assert klass(book, date(2024, 8, 20)) == "substandard"
    assert klass(book, date(2024, 6, 20)) == "sma_1"
    # and a new miss after the upgrade starts a fresh spell
    assert klass(book, date(2024, 11, 11)) == "sma_0"


def test_loss_when_marked_and_closed_when_fully_paid():
    book = book_of(ON_TIME, loss_marked_on=date(2025, 9, 1))
    assert klass(book, date(2025, 8, 31)) == "doubtful_1"
    assert klass(book, date(2025, 9, 1)) == "loss"
    assert book.state(date(2025, 9, 1)).npa[0]
    paid = book_of([(r.due_on, r.amount) for r in SCHEDULE])
    final = paid.state(SCHEDULE[-1].due_on)
    assert final.closed[0] and not final.active[0] and final.asset_class[0] == -1 and final.outstanding[0] == 0


def test_advance_payments_are_allocated_oldest_first():
    book = book_of([(date(2024, 2, 1), EMI * 3)])  # three EMIs in advance
    assert int(book.state(date(2024, 5, 9)).dpd[0]) == 0
    assert int(book.state(date(2024, 5, 10)).dpd[0]) == 1  # instalment 4 unpaid at its day-end


@pytest.fixture(scope="module")
def big_book():
    sim = simulate_portfolio(loans=5000, months=24, as_of=date(2026, 6, 30), seed=11)
    return sim, sim.book()


def test_classification_invariants_hold_on_a_simulated_book(big_book):
    _, book = big_book
    for offset in range(0, 720, 45):
        state = book.state(date(2026, 6, 30) - timedelta(days=offset))
        assert not (state.active & (state.dpd > 90) & ~state.npa).any()  # beyond 90 DPD is always NPA
        not_loss = state.asset_class != ASSET_CLASSES.index("loss")
        assert not (state.npa & (state.dpd == 0) & not_loss).any()  # an NPA with no arrears was upgraded
        assert (state.outstanding[state.active] > 0).all()


def test_realised_defaults_match_the_true_pd_by_decile(big_book):
    _, book = big_book
    report = monitoring.performance(book, date(2026, 6, 30), horizon_months=12)
    rows = report["calibration"]
    assert report["overall"]["loans"] > 2000 and len(rows) == 10
    rates = [r["default_rate"] for r in rows]
    assert spearmanr(range(10), rates).statistic >= 0.9  # rises with the decile
    assert rates[-1] > 5 * max(rates[0], 0.005)
    for r in rows:  # each decile within sampling noise of its mean predicted PD
        assert binomtest(r["defaults"], r["count"], max(r["mean_pd"], 1e-4)).pvalue > 0.001, r
    assert 0.75 < report["overall"]["auc"] < 0.95


def test_simulated_portfolio_has_the_behaviours_it_documents(big_book):
    sim, _ = big_book
    kinds = set(sim.behaviour.values())
    assert {"performing", "stress_episode", "default_cure", "default_partial", "default_silent"} <= kinds
    assert any(x["loss_marked_on"] for x in sim.loans)
    assert np.mean([x["pd_at_origination"] for x in sim.loans]) < 0.30
