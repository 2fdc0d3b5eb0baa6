"""Releasing the lead keys of erased leads, for both erasures (a lead's own, and a
customer's, which takes the leads converted into it along).

An erased lead names nobody: its keys are freed (``LeadKey.Released``) in the erasure's
save, so the same buyer arriving again starts a new lead that takes them back, instead
of joining a lead whose data key is gone - or, for a converted lead, being refused as a
touch on an erased customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from crmcore.domain.base import EventContext
from crmcore.domain.lead import Lead
from crmcore.domain.lead_key import LeadKey, lead_key_id

if TYPE_CHECKING:
    from crmcore.customers.ports import CustomerPorts


def release_lead_keys(
    app: CustomerPorts, leads: Sequence[Lead], context: EventContext
) -> list[LeadKey]:
    """The key indexes still naming one of ``leads``, each released (to be saved)."""
    ids = {lead.id for lead in leads}
    key_ids = app.key_ids
    found = app.load_many(
        [lead_key_id(key, key_ids) for lead in leads for key in lead.identity_keys]
    )
    released = [
        index for index in found.values() if isinstance(index, LeadKey) and index.lead_id in ids
    ]
    for index in released:
        index.release(context)
    return released
