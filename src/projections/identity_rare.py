"""Whether the identity view holds any generic key, any group: most books hold neither.

A check asks whether its record's keys were declared generic and which of its
candidates are in a group; in a book with no generic key and no group both answers are
known without a query. These two facts change only when a view changes, so they are read
again (one ``LIMIT 1`` query each) only when the view moved in a way this process did not
see the events of - another process wrote, or a catch-up read someone's events - or when
an event this process took itself declares a key generic or moves a customer in or out of
a group.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Recording
from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from crmcore.domain.group_membership import GroupMembership
from crmcore.domain.identity_index import IdentityKeyIndex
from projections.identity_index import generic_keys, groups

_CHANGES = (IdentityKeyIndex.DeclaredGeneric, GroupMembership.Joined, GroupMembership.Left)
_ANY_GENERIC = select(generic_keys.c.key).limit(1)
_ANY_GROUP = select(groups.c.customer_id).limit(1)


class RareTables:
    """Remembers whether the generic-key and group tables hold anything, as of a position."""

    def __init__(self) -> None:
        self._position: int | None = None
        self._any: dict[Select[Any], bool] = {}  # by the query that answered

    def moved_to(self, position: int | None) -> None:
        """The view is now at ``position`` (None: unknown), after a catch-up."""
        if position is None or position != self._position:
            self._any.clear()
        self._position = position

    def took(self, recordings: Sequence[Recording[UUID]], position: int | None) -> None:
        """This process filed its own ``recordings``; the view is now at ``position``."""
        if position is None or any(isinstance(r.domain_event, _CHANGES) for r in recordings):
            self._any.clear()
        self._position = position

    def any_generic(self, connection: Connection) -> bool:
        return self._holds(_ANY_GENERIC, connection)

    def any_group(self, connection: Connection) -> bool:
        return self._holds(_ANY_GROUP, connection)

    def _holds(self, query: Select[Any], connection: Connection) -> bool:
        found = self._any.get(query)
        if found is None:
            found = self._any[query] = connection.execute(query).first() is not None
        return found
