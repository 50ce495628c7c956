"""The KFS PDF renders, and its text (read back with pypdf) carries the APR and the grievance officer."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from creditdesk.lending.apr import Charge
from creditdesk.lending.kfs import GrievanceOfficer, KfsSettings, LoanTerms, build_kfs
from creditdesk.lending.kfs_pdf import inr, render_kfs_pdf

OFFICER = GrievanceOfficer(name="Meera Iyer", phone="+91 22 4000 1234", email="grievance@lender.in")
SETTINGS = KfsSettings(lender_name="Sahyadri Finance & Co", grievance_officer=OFFICER)


def _terms(months: int = 12) -> LoanTerms:
    return LoanTerms(
        reference="APP-0001",
        borrower_name="Asha Rao",
        amount=Decimal("100000"),
        tenure_months=months,
        interest_rate=Decimal("16.5"),
        charges=(
            Charge.percent_of("Processing fee", Decimal("100000"), Decimal("2")),
            Charge(name="Credit life insurance", amount=Decimal("1200"), payable_to="third_party"),
        ),
    )


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


def test_the_pdf_renders_with_the_apr_and_the_grievance_officer() -> None:
    kfs = build_kfs(_terms(), settings=SETTINGS, today=date(2024, 10, 4))
    pdf = render_kfs_pdf(kfs)
    assert pdf.startswith(b"%PDF-")
    pages, text = _text(pdf)
    assert pages >= 1
    assert f"Annual Percentage Rate (APR): {kfs.apr} % p.a." in text
    assert "Meera Iyer" in text and "grievance@lender.in" in text and "+91 22 4000 1234" in text
    assert "Rs. 1,00,000.00" in text and inr(kfs.net_disbursed_amount) in text
    assert "Sahyadri Finance & Co" in text
    assert kfs.content_hash in text
    assert "Rs. 500" in text  # the default bounce charge, its rupee sign spelled out
    for row in kfs.schedule:
        assert inr(row.instalment) in text


def test_a_long_schedule_spans_pages_and_rendering_is_deterministic() -> None:
    kfs = build_kfs(_terms(months=120), settings=SETTINGS, today=date(2024, 10, 4))
    pdf = render_kfs_pdf(kfs)
    pages, text = _text(pdf)
    assert pages >= 3
    assert "Page 3" in text and kfs.schedule[-1].due_on.isoformat() in text
    assert render_kfs_pdf(kfs) == pdf


def test_a_kfs_without_charges_renders() -> None:
    kfs = build_kfs(_terms().model_copy(update={"charges": ()}), today=date(2024, 10, 4))
    _, text = _text(render_kfs_pdf(kfs))
    assert "Annual Percentage Rate (APR): 16.50 % p.a." in text and "None" in text


def test_indian_digit_grouping() -> None:
    assert inr(Decimal("1234567.5")) == "Rs. 12,34,567.50"
    assert inr(Decimal("100000")) == "Rs. 1,00,000.00"
    assert inr(Decimal("999")) == "Rs. 999.00"
    assert inr(Decimal("-1500")) == "-Rs. 1,500.00"
    assert inr(Decimal("123456789012.34")) == "Rs. 1,23,45,67,89,012.34"
