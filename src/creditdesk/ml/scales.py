"""Score scales shown to lenders and applicants.

* ``score`` — 0–100, higher is safer: ``round(100 · (1 − PD))``, halves rounded up.
* ``credit_score`` — 300–900 by points-to-double-odds (PDO) scaling on the good:bad odds::

      credit_score = OFFSET + FACTOR · ln((1 − PD) / PD),   FACTOR = PDO / ln 2

  Anchor: **700 points at odds 30:1** (PD ≈ 3.2 %), and every **50 points double the odds**
  (PDO = 50), so OFFSET = 700 − FACTOR · ln 30 ≈ 454.7. Clamped to [300, 900]. This puts a
  1 % PD near 786, a 10 % PD near 613, a coin-flip near 455 and PD ≥ 90 % on the 300 floor —
  the familiar Indian bureau range, where 750+ reads as prime. Scorecard points use the same
  scale, so a scorecard's total points equal its (unclamped) credit score.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

ANCHOR_POINTS = 700.0
ANCHOR_ODDS = 30.0
PDO = 50.0
FACTOR = PDO / math.log(2.0)
OFFSET = ANCHOR_POINTS - FACTOR * math.log(ANCHOR_ODDS)
MIN_CREDIT_SCORE = 300
MAX_CREDIT_SCORE = 900
_PD_FLOOR = 1e-12


def score(pd: float) -> int:
    """Return the 0–100 score, round(100 · (1 − pd)) with halves rounded up."""
    value = Decimal(repr(100.0 * (1.0 - float(pd)))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(min(max(value, Decimal(0)), Decimal(100)))


def credit_points(pd: float) -> float:
    """Return the unclamped PDO points of a PD (OFFSET + FACTOR · ln(good:bad odds))."""
    p = min(max(float(pd), _PD_FLOOR), 1.0 - _PD_FLOOR)
    return OFFSET + FACTOR * math.log((1.0 - p) / p)


def credit_score(pd: float) -> int:
    """Return the 300–900 credit score of a PD (700 at 30:1 odds, 50 points to double the odds)."""
    points = Decimal(repr(credit_points(pd))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(min(max(points, Decimal(MIN_CREDIT_SCORE)), Decimal(MAX_CREDIT_SCORE)))


def pd_from_credit_score(points: float) -> float:
    """Return the PD that a given (unclamped) credit score stands for."""
    odds = math.exp((float(points) - OFFSET) / FACTOR)
    return 1.0 / (1.0 + odds)
