"""The audit half of the application: owner at a time, timelines, dispute verdicts.

Every answer reads the store's events directly - one customer's, its ownership's, the
rule set's, an order's - and replays them; none reads a view, so rebuilding the views
cannot change an answer, and none scans the book, so its cost is the histories it
reads. "Now" comes from the injected clock like every other time.
"""

from __future__ import annotations

from uuid import UUID

from crmcore.audit.customer_dispute import settle_customer
from crmcore.audit.order_dispute import settle_order
from crmcore.audit.owner_at import OwnerAt, owner_at
from crmcore.audit.queries import OwnerAtQuery, SettleDispute
from crmcore.audit.timeline import Timeline, ownership_timeline
from crmcore.audit.verdict import Verdict
from crmcore.clock import MAX_CLOCK_SKEW
from crmcore.errors import ValidationFailed
from crmcore.orders.api import OrderCommands


class AuditQueries(OrderCommands):
    """Audit questions (see the module docstring)."""

    def owner_at(self, query: OwnerAtQuery) -> OwnerAt:
        """Who owned the customer at ``query.at`` as known at ``query.as_known_at``."""
        at = query.at or self.clock.now()
        self._known_not_after(query)
        return owner_at(self, query.customer_id, at, query.as_known_at)

    def ownership_timeline(self, customer_id: UUID, query: OwnerAtQuery | None = None) -> Timeline:
        """Every ownership period and event of the customer, as known at
        ``query.as_known_at`` (``query.at`` is not used: a timeline spans all time)."""
        known_at = query.as_known_at if query else None
        return ownership_timeline(self, customer_id, known_at)

    def settle_dispute(self, dispute: SettleDispute) -> Verdict:
        """The verdict on whose customer or order it was at ``dispute.at`` (see
        ``crmcore.audit.customer_dispute`` and ``order_dispute`` for the rules)."""
        at = dispute.at or self.clock.now()
        self._known_not_after(dispute)
        if dispute.order_id is not None:
            return settle_order(self, dispute.order_id, dispute.claimants, at, dispute.as_known_at)
        assert dispute.customer_id is not None  # the query's validator says one is given
        return settle_customer(
            self, dispute.customer_id, dispute.claimants, at, dispute.as_known_at
        )

    def _known_not_after(self, query: OwnerAtQuery | SettleDispute) -> None:
        """An audit answers for what has happened, as it was known: a moment or a state
        of knowledge in the future is refused, naming the field."""
        now = self.clock.now()
        for field, value in (("at", query.at), ("as_known_at", query.as_known_at)):
            if value is not None and value > now + MAX_CLOCK_SKEW:
                raise ValidationFailed(
                    field, f"{value.isoformat()} is in the future (now {now.isoformat()})"
                )
