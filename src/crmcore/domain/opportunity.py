"""The Opportunity aggregate (商机): one sales project with a customer, stage by stage.

Its stage moves are decided by the pipeline (``crmcore.opportunities.pipeline``) and
recorded with the rule that allowed them and the pipeline digest in force, so the
funnel and an audit read the history as it was decided. A refused move is recorded too
(``AdvanceRefused``): a rep who keeps pushing a deal past its gate is a fact a
supervisor wants to see. Amounts are kept as decimal strings (money is never a float),
dates as ISO strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext


class Opportunity(Aggregate):
    """A sales project: customer, owner, product category, need, stage, gate fields."""

    if TYPE_CHECKING:
        customer_id: UUID
        owner: str
        title: str
        product_category: str
        need: str | None
        amount: str | None
        expected_close: str | None
        stage: str
        status: str
        details: dict[str, str]
        opened_at: datetime
        last_update_at: datetime
        stale_alerted_for: datetime | None
        duplicate_of: UUID | None

    class Event(CrmEvent):
        def apply(self, opportunity: Opportunity) -> None:
            opportunity.last_update_at = max(opportunity.last_update_at, self.occurred_at)

    class Opened(Event, Aggregate.Created):
        """``owner`` opened the opportunity with the customer in the pipeline's first
        stage (v1). ``details`` are the gate fields known at opening; ``rules`` is the
        pipeline digest."""

        customer_id: UUID
        owner: str
        title: str
        product_category: str
        need: str | None
        amount: str | None
        expected_close: str | None
        stage: str
        details: dict[str, str]
        rules: str

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.customer_id = self.customer_id
            opportunity.owner = self.owner
            opportunity.title = self.title
            opportunity.product_category = self.product_category
            opportunity.need = self.need
            opportunity.amount = self.amount
            opportunity.expected_close = self.expected_close
            opportunity.stage = self.stage
            opportunity.status = "open"
            opportunity.details = dict(self.details)
            opportunity.opened_at = self.occurred_at
            opportunity.last_update_at = self.occurred_at
            opportunity.stale_alerted_for = None
            opportunity.duplicate_of = None

    class Updated(Event):
        """Fields changed (``changes``; ``previous`` keeps what they were) (v1)."""

        changes: dict[str, str | None]
        previous: dict[str, str | None]

        def apply(self, opportunity: Opportunity) -> None:
            super().apply(opportunity)
            details = dict(opportunity.details)
            for name, value in self.changes.items():
                if name in _CORE_FIELDS:
                    setattr(opportunity, name, value)
                elif value is None:
                    details.pop(name, None)
                else:
                    details[name] = value
            opportunity.details = details

    class Advanced(Event):
        """The opportunity moved from ``from_stage`` to ``to_stage`` (v1): ``via`` says
        by which rule (``gate``, ``skip:<name>``, ``back``), ``passed`` the stages
        gone through, ``status`` what it is now (open / won / lost)."""

        from_stage: str
        to_stage: str
        passed: list[str]
        via: str
        status: str
        rules: str

        def apply(self, opportunity: Opportunity) -> None:
            super().apply(opportunity)
            opportunity.stage = self.to_stage
            opportunity.status = self.status

    class AdvanceRefused(CrmEvent):
        """A move to ``to_stage`` was refused by ``rule`` (``missing``: the gate fields
        it lacked) (v1). Not an update: it does not freshen a stale opportunity."""

        to_stage: str
        rule: str
        missing: list[str]
        rules: str

        def apply(self, opportunity: Opportunity) -> None:
            pass  # a fact for supervisors and the funnel; the opportunity is unchanged

    class DuplicateSuspected(CrmEvent):
        """Opened although it looks like the same project as ``original_id`` (same
        customer or group, category, overlapping period, similar need) (v1)."""

        original_id: UUID
        evidence: dict[str, Any]

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.duplicate_of = self.original_id

    class StaleAlerted(CrmEvent):
        """No update since ``last_update_at``: ``owner`` and ``supervisor`` are alerted
        (once per staleness) (v1)."""

        last_update_at: datetime
        days: float
        owner: str
        supervisor: str | None

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.stale_alerted_for = self.last_update_at

    @classmethod
    def open(
        cls,
        opportunity_id: UUID,
        *,
        customer_id: UUID,
        owner: str,
        title: str,
        product_category: str,
        need: str | None,
        amount: str | None,
        expected_close: str | None,
        stage: str,
        details: dict[str, str],
        rules: str,
        context: EventContext,
    ) -> Opportunity:
        return cls._create(
            cls.Opened,
            id=opportunity_id,
            customer_id=customer_id,
            owner=owner,
            title=title,
            product_category=product_category,
            need=need,
            amount=amount,
            expected_close=expected_close,
            stage=stage,
            details=details,
            rules=rules,
            **context.fields(),
        )

    @property
    def fields(self) -> dict[str, str]:
        """Every field a gate may ask for: the gate fields plus need and amount."""
        core = {"need": self.need, "amount": self.amount}
        return {**{k: v for k, v in core.items() if v}, **self.details}

    def update(self, changes: dict[str, str | None], context: EventContext) -> bool:
        """Records the changes that change something; False if none do."""
        current = {**{name: getattr(self, name) for name in _CORE_FIELDS}, **self.details}
        changed = {k: v for k, v in changes.items() if current.get(k) != v}
        if not changed:
            return False
        previous = {k: current.get(k) for k in changed}
        self.trigger_event(
            self.Updated, changes=changed, previous=previous, **context.fields()
        )
        return True

    def advance(
        self,
        *,
        to_stage: str,
        passed: tuple[str, ...],
        via: str,
        status: str,
        rules: str,
        context: EventContext,
    ) -> None:
        self.trigger_event(
            self.Advanced,
            from_stage=self.stage,
            to_stage=to_stage,
            passed=list(passed),
            via=via,
            status=status,
            rules=rules,
            **context.fields(),
        )

    def refuse(
        self, to_stage: str, rule: str, missing: list[str], rules: str, context: EventContext
    ) -> None:
        self.trigger_event(
            self.AdvanceRefused,
            to_stage=to_stage,
            rule=rule,
            missing=missing,
            rules=rules,
            **context.fields(),
        )

    def suspect_duplicate(
        self, original_id: UUID, evidence: dict[str, Any], context: EventContext
    ) -> None:
        self.trigger_event(
            self.DuplicateSuspected,
            original_id=original_id,
            evidence=evidence,
            **context.fields(),
        )

    def alert_stale(
        self, days: float, supervisor: str | None, context: EventContext
    ) -> bool:
        """Records the alert unless this staleness was alerted already; True if recorded."""
        if self.status != "open" or self.stale_alerted_for == self.last_update_at:
            return False
        self.trigger_event(
            self.StaleAlerted,
            last_update_at=self.last_update_at,
            days=days,
            owner=self.owner,
            supervisor=supervisor,
            **context.fields(),
        )
        return True


# Fields of the opportunity itself that ``Updated`` may change; others are gate fields.
_CORE_FIELDS = ("title", "need", "amount")
