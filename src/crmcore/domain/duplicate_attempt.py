"""A refused duplicate, kept as a fact: who tried to enter what, and whose customer it was.

A blocked record creates no customer, but it is not forgotten: the collision read
model counts it, and the identity check files it as an alias of the customer it
duplicated, so a third record resembling only the refused one is still caught - which
is what makes the duplicate clusters independent of the order records arrive in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext


class DuplicateAttempt(Aggregate):
    """One record refused as a duplicate of an existing customer."""

    if TYPE_CHECKING:
        existing_customer_id: UUID
        record: dict[str, Any]

    class Blocked(CrmEvent, Aggregate.Created):
        """The record was refused; ``matches`` explains why (v1)."""

        # The record is the existing customer's person entered again: sealed with that
        # customer's data key, it is erased with them (crmcore.customers.erasure).
        personal_data_of: ClassVar[str] = "existing_customer_id"

        existing_customer_id: UUID
        entry_path: str
        record: dict[str, Any]
        rule: str
        rule_set_version: str
        matches: list[dict[str, Any]]

        def apply(self, attempt: DuplicateAttempt) -> None:
            attempt.existing_customer_id = self.existing_customer_id
            attempt.record = self.record

    @classmethod
    def blocked(
        cls,
        attempt_id: UUID,
        *,
        existing_customer_id: UUID,
        entry_path: str,
        record: dict[str, Any],
        rule: str,
        rule_set_version: str,
        matches: list[dict[str, Any]],
        context: EventContext,
    ) -> DuplicateAttempt:
        return cls._create(
            cls.Blocked,
            id=attempt_id,
            existing_customer_id=existing_customer_id,
            entry_path=entry_path,
            record=record,
            rule=rule,
            rule_set_version=rule_set_version,
            matches=matches,
            **context.fields(),
        )
