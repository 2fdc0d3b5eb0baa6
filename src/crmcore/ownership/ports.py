"""What the ownership handlers use of the application, and nothing more.

``owners``, ``work``, ``reps`` and ``sweeper`` take an :class:`OwnershipPorts`, not the
application: a handler's signature says what it may touch (aggregates to load and save,
the sales queries, the identity check a claim runs, the rules and a clock-stamped
context), and the package imports nothing from ``crmcore.application`` - data flows
one way, from the application down into the handlers. ``CrmApplication`` satisfies the
protocol; a test or another front door may pass anything else that does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

if TYPE_CHECKING:
    from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
    from eventsourcing.persistence import Recording

    from crmcore.commands import Command
    from crmcore.config import CrmConfig
    from crmcore.domain import Customer, EventContext
    from crmcore.identity.check import IdentityChecker
    from crmcore.ownership.policies.assignment import AssignmentPolicy
    from crmcore.ownership.queries import SalesQueries


class OwnershipPorts(Protocol):
    """The store, the queries, the rules and the identity check, as handlers see them."""

    config: CrmConfig
    assignment: AssignmentPolicy
    identity: IdentityChecker

    def load(self, aggregate_id: UUID) -> Aggregate | None: ...

    def load_many(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, Aggregate | None]: ...

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]: ...

    def live_customer(self, customer_id: UUID) -> Customer: ...

    def context_of(self, command: Command) -> EventContext: ...

    def sales_view(self) -> SalesQueries: ...

    def ownership_rule_set(self) -> str: ...

    def owner_of(self, customer_id: UUID) -> str | None: ...

    def record_collision(
        self,
        context: EventContext,
        customer_id: UUID,
        rep: str,
        attempted: str,
        rule: str,
        other_party: str | None,
        *,
        refused: bool,
        lost_race: bool = False,
        detail: dict[str, Any] | None = None,
    ) -> None: ...
