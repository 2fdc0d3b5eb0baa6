"""What the customer and group handlers use of the application, and nothing more.

``registration``, ``merging``, ``keys`` and ``crmcore.groups.trees`` take a
:class:`CustomerPorts`: everything the ownership handlers may use (a registration can
make its registrant the owner, a merge closes group memberships) plus reading
customers, their key indexes and their history. Like ``crmcore.ownership.ports``, it
keeps the handlers from importing the application: ``CrmApplication`` satisfies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from crmcore.ownership.ports import OwnershipPorts

if TYPE_CHECKING:
    from crmcore.commands import Command
    from crmcore.domain import CrmEvent, Customer, IdentityKeyIndex
    from crmcore.identity import IdentityKey
    from crmcore.identity.keys import KeyIds


class CustomerPorts(OwnershipPorts, Protocol):
    """The ownership ports plus customers, key indexes, history and new ids."""

    @property
    def key_ids(self) -> KeyIds:
        """How this book names its key indexes (keyed hashes when it protects personal
        data)."""
        ...

    def new_id(self) -> UUID: ...

    def stored_customer(self, customer_id: UUID) -> Customer: ...

    def customer_events(self, customer_id: UUID) -> list[CrmEvent]: ...

    def history(self, aggregate_id: UUID) -> list[CrmEvent]: ...

    def find_index(self, key: IdentityKey) -> IdentityKeyIndex | None: ...

    def find_indexes(
        self, keys: Sequence[IdentityKey]
    ) -> dict[IdentityKey, IdentityKeyIndex | None]: ...

    def guard_sales_data(self, customer_id: UUID, command: Command, attempted: str) -> None: ...
