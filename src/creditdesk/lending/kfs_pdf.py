"""The Key Fact Statement as a PDF (ReportLab): the APR prominent, tables for charges and the schedule.

The PDF is a rendering of :class:`~creditdesk.lending.kfs.KeyFactStatement`; what is accepted and
e-signed is identified by the statement's ``content_hash``, printed at the foot of every page. Rendering
is deterministic (ReportLab's invariant mode: no creation time or random document id), so the same
statement gives the same bytes. Amounts use Indian digit grouping (1,00,000.00) and "Rs." — the PDF's
built-in fonts have no rupee sign.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import KeepTogether  # type: ignore[import-untyped]

from creditdesk.lending.kfs import KeyFactStatement

_STYLES = getSampleStyleSheet()
_BODY = ParagraphStyle("kfs-body", parent=_STYLES["BodyText"], fontSize=8.5, leading=11)
_HEAD = ParagraphStyle("kfs-head", parent=_STYLES["Heading2"], fontSize=11, spaceBefore=6, spaceAfter=3)
_TITLE = ParagraphStyle("kfs-title", parent=_STYLES["Title"], fontSize=16)
_APR = ParagraphStyle("kfs-apr", parent=_STYLES["Title"], fontSize=18, textColor=colors.HexColor("#0b3d91"))
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)
_NUMBERS = TableStyle([("ALIGN", (1, 1), (-1, -1), "RIGHT")])


def inr(amount: Decimal) -> str:
    """Rupees with Indian digit grouping: 1234567.5 → ``Rs. 12,34,567.50``."""
    sign = "-" if amount < 0 else ""
    whole, paise = f"{abs(amount):.2f}".split(".")
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return f"{sign}Rs. {','.join([*groups, tail])}.{paise}"


def _plain(text: str) -> str:
    return text.replace("₹", "Rs. ").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str) -> Paragraph:
    return Paragraph(_plain(text), _BODY)


def _table(rows: list[list[Any]], widths: list[float], *, numbers: bool = False) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(_GRID)
    if numbers:
        table.setStyle(_NUMBERS)
    return table


def _part1(kfs: KeyFactStatement) -> list[Any]:
    facts = [
        ["Item", "Detail"],
        ["Loan reference / type", _p(f"{kfs.reference} / {kfs.product}")],
        ["Borrower", _p(kfs.borrower_name)],
        ["Sanctioned loan amount", inr(kfs.sanctioned_amount)],
        ["Disbursal", _p(f"{kfs.disbursal}, on {kfs.disbursal_on.isoformat()}")],
        ["Loan term", f"{kfs.tenure_months} months"],
        [
            "Instalments",
            _p(
                f"{kfs.instalment_count} {kfs.instalment_type} instalments (EMI) of {inr(kfs.emi)}, "
                f"the first due on {kfs.first_due_on.isoformat()}"
            ),
        ],
        ["Interest rate", f"{kfs.interest_rate} % p.a., {kfs.rate_type}, reducing balance"],
        ["Upfront fees and charges (with GST)", inr(kfs.upfront_charges)],
        ["Net disbursed amount", inr(kfs.net_disbursed_amount)],
        ["Total interest", inr(kfs.total_interest)],
        ["Total fees and charges (with GST)", inr(kfs.total_charges)],
        ["Total amount to be paid by the borrower", inr(kfs.total_amount_payable)],
        ["Annual Percentage Rate (APR)", f"{kfs.apr} % p.a."],
    ]
    charges = [["Fee / charge", "Payable to", "One-time / recurring", "Collected", "Amount", "GST", "Total"]]
    charges += [
        [
            _p(c.name),
            "Lender" if c.payable_to == "lender" else "Third party via lender",
            c.recurrence.replace("_", "-"),
            _p(c.collected),
            inr(c.amount),
            inr(c.gst),
            inr(c.total),
        ]
        for c in kfs.charges
    ] or [["None", "", "", "", "", "", ""]]
    contingent = [["Contingent charge", "Terms"]] + [[_p(c.name), _p(c.terms)] for c in kfs.contingent_charges]
    return [
        Paragraph("Part 1 - Interest rate and fees/charges", _HEAD),
        _table(facts, [70 * mm, 110 * mm]),
        Spacer(1, 4 * mm),
        Paragraph("Fees and charges", _HEAD),
        _table(charges, [38 * mm, 27 * mm, 22 * mm, 30 * mm, 22 * mm, 18 * mm, 23 * mm]),
        Paragraph("Contingent charges", _HEAD),
        _table(contingent, [60 * mm, 120 * mm]),
    ]


def _part2(kfs: KeyFactStatement) -> list[Any]:
    officer = kfs.grievance_officer
    return [
        Paragraph("Part 2 - Other qualitative information", _HEAD),
        _table(
            [
                ["Item", "Detail"],
                ["Recovery agents", _p(kfs.recovery_agents)],
                [
                    "Grievance redressal officer",
                    _p(f"{officer.name}, {officer.designation}; phone {officer.phone}; e-mail {officer.email}"),
                ],
                [
                    "Cooling-off / look-up period",
                    _p(
                        f"{kfs.cooling_off_days} days from disbursement: you may exit the loan by repaying the "
                        "principal and the proportionate APR, with no penalty."
                    ),
                ],
                ["This statement is valid until", kfs.valid_until.isoformat()],
            ],
            [55 * mm, 125 * mm],
        ),
    ]


def _schedule(kfs: KeyFactStatement) -> list[Any]:
    rows: list[list[Any]] = [["No.", "Due on", "Outstanding", "Principal", "Interest", "Instalment", "Closing"]]
    rows += [
        [
            str(s.seq),
            s.due_on.isoformat(),
            inr(s.opening_balance),
            inr(s.principal),
            inr(s.interest),
            inr(s.instalment),
            inr(s.closing_balance),
        ]
        for s in kfs.schedule
    ]
    return [
        Paragraph("Repayment schedule", _HEAD),
        _table(rows, [12 * mm, 22 * mm, 30 * mm, 28 * mm, 26 * mm, 28 * mm, 30 * mm], numbers=True),
    ]


def render_kfs_pdf(kfs: KeyFactStatement) -> bytes:
    """The statement as an A4 PDF document."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"Key Fact Statement {kfs.reference}",
        author=kfs.lender_name,
        invariant=True,
    )

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 6.5)
        canvas.drawString(15 * mm, 10 * mm, f"KFS {kfs.reference} - SHA-256 {kfs.content_hash}")
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"Page {document.page}")
        canvas.restoreState()

    story: list[Any] = [
        Paragraph("Key Fact Statement", _TITLE),
        _p(f"{kfs.lender_name} - loan {kfs.reference} - issued on {kfs.generated_on.isoformat()}"),
        Spacer(1, 3 * mm),
        KeepTogether(
            [
                Paragraph(f"Annual Percentage Rate (APR): {kfs.apr} % p.a.", _APR),
                _p(
                    "The APR is the all-in annual cost of this loan: interest and every fee and charge, computed "
                    "on the net disbursed amount as the monthly internal rate of return times 12."
                ),
            ]
        ),
        Spacer(1, 3 * mm),
        *_part1(kfs),
        *_part2(kfs),
        *_schedule(kfs),
    ]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
