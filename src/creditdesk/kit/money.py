"""Money in request and response bodies: ``Decimal`` rupees to the paisa, never float (DESIGN §4.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

#: the largest amount a body may carry (₹10,000 crore): 16 digits, 2 of them paise
MAX_AMOUNT = Decimal("100000000000")

#: an amount that may be zero (an income, an EMI, an inflow)
Money = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, max_digits=16, decimal_places=2)]

#: an amount that must be more than zero (a payment, a sanctioned loan)
PositiveMoney = Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, max_digits=16, decimal_places=2)]
