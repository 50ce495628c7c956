"""Merge several bureaus' reports on one applicant into the single §5 application ``bureau`` block.

Only reports that came back are merged (failed pulls are the caller's business). Hits (the bureau
knows the applicant) always win over no-hits: if *no* bureau has a record, the block is the
new-to-credit block — ``score``, ``utilization`` and ``written_off`` None, every count 0.

Rules (``MergeRule.strategy``):

``conservative`` (the default) — the worst case per attribute across the hits:
    lowest score; highest utilisation; highest ``max_dpd_last_24m``, ``dpd_30_last_12m`` and
    ``enquiries_last_6m``; shortest ``credit_history_months``; most ``active_accounts`` (the widest
    view of current exposure); ``written_off`` when any bureau reports an account written off or settled.
``primary`` — the block of the first hit in ``priority`` order (default CIBIL, Experian, CRIF);
    bureaus not named in ``priority`` come after, in the order given.
``average`` — the mean of score, utilisation, enquiries, history and active accounts (integers
    rounded half up, utilisation to 4 places); delinquency (``max_dpd_last_24m``,
    ``dpd_30_last_12m``) and ``written_off`` stay the worst seen, since a delinquency reported by any
    bureau is a fact, not a measurement to average away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import fmean
from typing import Any, Literal

from creditdesk.bureaus.schemas import APPLICATION_BUREAU_FIELDS, BUREAUS, BureauReport

Strategy = Literal["conservative", "primary", "average"]
STRATEGIES: tuple[Strategy, ...] = ("conservative", "primary", "average")


@dataclass(frozen=True)
class MergeRule:
    """How to merge: a strategy and, for ``primary``, the bureaus' priority order."""

    strategy: Strategy = "conservative"
    priority: tuple[str, ...] = BUREAUS

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown merge strategy {self.strategy!r}; use one of {', '.join(STRATEGIES)}")


def parse_rule(rule: MergeRule | str | Mapping[str, Any] | None) -> MergeRule:
    """Accept a rule as a MergeRule, a strategy name, or ``{"strategy", "priority"}``; None → default."""
    if rule is None:
        return MergeRule()
    if isinstance(rule, MergeRule):
        return rule
    if isinstance(rule, str):
        return MergeRule(strategy=rule)  # type: ignore[arg-type]
    priority = rule.get("priority")
    return MergeRule(
        strategy=rule.get("strategy", "conservative"),
        priority=tuple(priority) if priority else BUREAUS,
    )


def no_hit_block() -> dict[str, Any]:
    """Return the ``bureau`` block of an applicant no bureau knows (new to credit)."""
    return {
        "score": None,
        "utilization": None,
        "dpd_30_last_12m": 0,
        "max_dpd_last_24m": 0,
        "enquiries_last_6m": 0,
        "credit_history_months": 0,
        "active_accounts": 0,
        "written_off": None,
    }


def _round_int(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pick(reports: Sequence[BureauReport], field: str, how: Callable[[list[Any]], Any]) -> Any:
    values = [getattr(r, field) for r in reports if getattr(r, field) is not None]
    return how(values) if values else None


def _any_written_off(hits: Sequence[BureauReport]) -> bool:
    return any(r.written_off or r.settled for r in hits)


def merge_reports(
    reports: Sequence[BureauReport], rule: MergeRule | str | Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """Merge reports into one ``bureau`` block by ``rule``; None when there is no report at all."""
    if not reports:
        return None
    rule = parse_rule(rule)
    hits = [r for r in reports if r.hit]
    if not hits:
        return no_hit_block()
    if rule.strategy == "primary":
        order = {name: i for i, name in enumerate(rule.priority)}
        first = min(hits, key=lambda r: order.get(r.bureau, len(order) + hits.index(r)))
        return first.to_application_bureau()
    if rule.strategy == "conservative":
        block = {
            "score": _pick(hits, "score", min),
            "utilization": _pick(hits, "utilization", max),
            "dpd_30_last_12m": _pick(hits, "dpd_30_last_12m", max),
            "max_dpd_last_24m": _pick(hits, "max_dpd_last_24m", max),
            "enquiries_last_6m": _pick(hits, "enquiries_last_6m", max),
            "credit_history_months": _pick(hits, "credit_history_months", min),
            "active_accounts": _pick(hits, "active_accounts", max),
            "written_off": _any_written_off(hits),
        }
    else:  # average
        block = {
            "score": _pick(hits, "score", lambda v: _round_int(fmean(v))),
            "utilization": _pick(hits, "utilization", lambda v: round(fmean(v), 4)),
            "dpd_30_last_12m": _pick(hits, "dpd_30_last_12m", max),
            "max_dpd_last_24m": _pick(hits, "max_dpd_last_24m", max),
            "enquiries_last_6m": _pick(hits, "enquiries_last_6m", lambda v: _round_int(fmean(v))),
            "credit_history_months": _pick(hits, "credit_history_months", lambda v: _round_int(fmean(v))),
            "active_accounts": _pick(hits, "active_accounts", lambda v: _round_int(fmean(v))),
            "written_off": _any_written_off(hits),
        }
    return {field: block[field] for field in APPLICATION_BUREAU_FIELDS}
