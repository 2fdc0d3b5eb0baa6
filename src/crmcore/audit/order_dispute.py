"""Whose order was it? Credit goes with the customer's ownership at the milestone's
business time - a payment received after a transfer is still the seller's.

The order's history as known at K is cut at T; the milestone that decides is the
latest payment by then (``credit_at_payment``), else the latest other milestone
(``credit_at_milestone``). The customer's ownership is then replayed at that
milestone's business time, as known at K, and credited as the order rules credit it
(owner plus collaborators with their shares). The credits stored on the milestone when
it was recorded are compared with the replay: a transfer entered late (back-dated
before the payment) changes the replay, and the verdict says so instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from uuid import UUID

from crmcore.audit import verdict as rules
from crmcore.audit.bitemporal import replay
from crmcore.audit.evidence import cite, combined
from crmcore.audit.owner_at import Histories, owner_at
from crmcore.audit.rules_in_force import rules_in_force
from crmcore.audit.verdict import Verdict
from crmcore.domain.order import Order
from crmcore.errors import OrderNotFound
from crmcore.orders.credits import credits_of


def settle_order(
    histories: Histories,
    order_id: UUID,
    claimants: Sequence[str],
    at: datetime,
    known_at: datetime | None = None,
) -> Verdict:
    """The verdict on whose ``order_id`` was (its credit) at ``at`` among ``claimants``."""
    reps = tuple(sorted(set(claimants)))
    history = histories.history(order_id)
    if not history or not isinstance(history[0], Order.Signed):
        raise OrderNotFound(order_id)
    order = replay(history, at, known_at)
    milestone = _deciding_milestone(order.applied)
    subject = {"order_id": str(order_id), "customer_id": str(history[0].customer_id)}
    verdict = partial(Verdict, subject=subject, claimants=reps, at=at, as_known_at=known_at)
    if milestone is None:
        return verdict(
            winner=None,
            rule=rules.NO_MILESTONE,
            rule_set_version=None,
            why="the order had not been signed by then, as far as was known",
            losers=dict.fromkeys(reps, "no milestone to credit"),
            evidence=(),
        )
    owned = owner_at(histories, history[0].customer_id, milestone.occurred_at, known_at)
    in_force = rules_in_force(histories, milestone.occurred_at, known_at)
    credits = credits_of(owned)
    shares = {credit["rep"]: credit["share"] for credit in credits}
    winner = credits[0]["rep"] if credits else None
    paid = isinstance(milestone, Order.Paid)
    rule = rules.CREDIT_AT_PAYMENT if paid else rules.CREDIT_AT_MILESTONE
    what = type(milestone).__name__.lower()
    when = milestone.occurred_at.isoformat(timespec="seconds")
    why = (
        f"{winner} owned the customer when the order was {what} ({when})"
        if winner
        else f"nobody owned the customer when the order was {what} ({when}); nobody is credited"
    )
    notes: tuple[str, ...] = tuple(
        f"answered for {owned.answered_for}: {note}" for note in owned.redirects
    )
    if _recorded(milestone.credits) != _recorded(credits):
        notes += (
            f"the credits recorded with the milestone were {_recorded(milestone.credits)}; "
            "entries recorded later changed who owned the customer at that time",
        )
    return verdict(
        winner=winner,
        rule=rule,
        rule_set_version=in_force.version,
        why=why,
        losers={rep: _lost(rep, shares, winner, what) for rep in reps if rep != winner},
        evidence=combined(cite([milestone]), owned.evidence),
        shares=shares,
        notes=notes,
    )


def _deciding_milestone(applied: Sequence[object]) -> Order.Event | None:
    """The latest payment, else the latest milestone, in business order."""
    milestones = [event for event in applied if isinstance(event, Order.Event)]
    payments = [event for event in milestones if isinstance(event, Order.Paid)]
    chosen = payments or milestones
    return chosen[-1] if chosen else None


def _recorded(credits: Sequence[dict[str, object]]) -> list[tuple[str, float]]:
    return sorted((str(c["rep"]), round(float(str(c["share"])), 6)) for c in credits)


def _lost(rep: str, shares: dict[str, float], winner: str | None, what: str) -> str:
    if rep in shares:
        return f"credited {shares[rep]:g} as a collaborator"
    if winner is None:
        return f"nobody owned the customer when the order was {what}"
    return f"not an owner or collaborator of the customer when the order was {what}"
