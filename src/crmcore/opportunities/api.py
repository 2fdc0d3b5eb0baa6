"""The opportunity half of the command API: open, update, advance, show.

A layer of :class:`~crmcore.application.CrmApplication` on top of the ownership layer
(opportunities change what the customer's ownership protects); each method hands its
command to ``crmcore.opportunities.handlers``.
"""

from __future__ import annotations

from uuid import UUID

from crmcore.opportunities import handlers
from crmcore.opportunities.commands import (
    AdvanceOpportunity,
    OpenOpportunity,
    UpdateOpportunity,
)
from crmcore.opportunities.records import OpportunityRecord
from crmcore.ownership.api import SalesCommands


class OpportunityCommands(SalesCommands):
    """Opportunity commands and queries (see the module docstring)."""

    def open_opportunity(self, command: OpenOpportunity) -> OpportunityRecord:
        """Opens an opportunity with the customer in the pipeline's first stage.

        A suspected same project (same customer or group, category, overlapping period,
        similar need) is flagged and recorded as a collision - or, with
        ``opportunities.duplicate_mode = "block"``, refused naming the original."""
        rules = self.pipeline_rule_set()
        opened = self.with_retries(lambda: handlers.open_opportunity(self, command, rules))
        return OpportunityRecord.of(opened)

    def update_opportunity(self, command: UpdateOpportunity) -> bool:
        """Changes title, need, amount or gate fields; False when nothing changes."""
        return self.with_retries(lambda: handlers.update_opportunity(self, command))

    def advance_opportunity(self, command: AdvanceOpportunity) -> OpportunityRecord:
        """Moves the opportunity to another stage if its gates allow; OpportunityRefused
        naming the missing fields otherwise (the refusal is recorded)."""
        rules = self.pipeline_rule_set()
        moved = self.with_retries(lambda: handlers.advance_opportunity(self, command, rules))
        return OpportunityRecord.of(moved)

    def get_opportunity(self, opportunity_id: UUID) -> OpportunityRecord:
        """The opportunity as it stands now; OpportunityNotFound if there is none."""
        return OpportunityRecord.of(handlers.load_opportunity(self, opportunity_id))
