"""Stale opportunities: the sweeper's alert to owner and supervisor, once per staleness.

An open opportunity not updated for ``opportunities.stale_days`` (15) is stale. The
sweeper asks the sales view which are (an index range, whatever the number of
opportunities), then decides on each opportunity's own aggregate: the alert names the
owner and the first active supervisor of the owner's team, and records the update it
is about, so a second sweep - or a second sweeper running at once - does not alert it
again until the opportunity is updated and goes stale anew.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from crmcore.domain.base import EventContext
from crmcore.domain.opportunity import Opportunity
from crmcore.ownership.sweeper import SweepAction

if TYPE_CHECKING:
    from crmcore.ownership.ports import OwnershipPorts
    from crmcore.ownership.queries import SalesQueries

STALE = "stale_opportunity"


def alert_batch(
    app: OwnershipPorts, view: SalesQueries, opportunity_ids: list[UUID], context: EventContext
) -> list[SweepAction]:
    """Alerts each opportunity of the batch that is still stale; one save."""
    days = app.config.opportunities.stale_days
    cutoff = context.occurred_at - timedelta(days=days)
    alerted: list[Opportunity] = []
    actions = []
    for found in app.load_many(opportunity_ids).values():
        if not isinstance(found, Opportunity) or found.last_update_at > cutoff:
            continue
        supervisor = view.supervisor_of(found.owner)
        if found.alert_stale(days, supervisor, context):
            alerted.append(found)
            action = SweepAction(found.customer_id, "alerted", STALE, found.owner, supervisor)
            actions.append(action)
    if alerted:
        app.save(*alerted)
    return actions
