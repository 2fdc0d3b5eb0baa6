"""The rules in force, as a history: changing ``crm.toml`` is an event.

One rule set for ownership (``RULE_SET_ID``) and one for the opportunity pipeline
(``PIPELINE_RULE_SET_ID``).

The rules are configuration, but an audit must know which rules decided each
assignment, claim and recycling. Before its first ownership command, an application
compares its rules' digest with the last adopted one and, if they differ, records an
``Adopted`` event holding the whole rule set; every ownership event names the digest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from crmcore.domain.base import CrmEvent, EventContext

RULE_SET_ID = uuid5(NAMESPACE_URL, "crmcore:rule-set:ownership")
# The opportunity pipeline's rules are a history of their own, adopted the same way.
PIPELINE_RULE_SET_ID = uuid5(NAMESPACE_URL, "crmcore:rule-set:opportunities")


class RuleSet(Aggregate):
    """The ownership rule set in force (its digest and its content)."""

    if TYPE_CHECKING:
        digest: str
        rules: dict[str, Any]

    class Adopted(CrmEvent):
        """From now on, ownership decisions follow ``rules`` (digest ``rule_set_version``) (v1)."""

        rule_set_version: str
        rules: dict[str, Any]

        def apply(self, rule_set: RuleSet) -> None:
            rule_set.digest = self.rule_set_version
            rule_set.rules = self.rules

    class Started(Adopted, Aggregate.Created):
        """The first ownership rule set was adopted (v1)."""

    @classmethod
    def first(
        cls,
        version: str,
        rules: dict[str, Any],
        context: EventContext,
        rule_set_id: UUID = RULE_SET_ID,
    ) -> RuleSet:
        return cls._create(
            cls.Started, id=rule_set_id, rule_set_version=version, rules=rules, **context.fields()
        )

    def adopt(self, version: str, rules: dict[str, Any], context: EventContext) -> None:
        self.trigger_event(self.Adopted, rule_set_version=version, rules=rules, **context.fields())
