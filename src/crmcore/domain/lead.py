"""The Lead aggregate (线索): a buyer who reached us, before anyone sold them anything.

A lead keeps every touch - each time the buyer arrived, through which channel, with
which tags, campaign and product intent, at what business time - because the seeds'
worst collisions start here: one buyer fills the web form, answers an ad, is scanned
at an exhibition and is referred by a partner, and four reps call them. Captures that
the identity check finds to be the same buyer join the lead of record as touches; the
score (with each term's explanation) and the route it led to are events, so a replay
reads the very numbers the rep saw instead of recomputing them under newer rules.

Command methods check and compute; event ``apply`` methods only assign.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from crmcore.domain import lead_merges
from crmcore.domain.base import CrmEvent, EventContext
from crmcore.domain.customer_touches import ArrivalMark
from crmcore.domain.lead_erasure import LeadErased
from crmcore.domain.lead_touch import Touch, touch_of
from crmcore.identity import IdentityKey

# Details a later touch may fill when the lead lacks them (never overwrites).
LEAD_DETAILS = ("company_name", "contact_name", "region", "industry")


class Lead(Aggregate):
    """One buyer's arrivals through every channel, scored and routed."""

    if TYPE_CHECKING:
        company_name: str | None
        contact_name: str | None
        region: str | None
        industry: str | None
        identity_keys: tuple[IdentityKey, ...]
        touches: tuple[Touch, ...]
        score: int | None
        score_terms: tuple[dict[str, Any], ...]
        route: str | None
        merged_into: UUID | None
        converted_to: UUID | None
        absorbed_leads: tuple[UUID, ...]
        erased_at: datetime | None

    class Event(CrmEvent):
        pass

    class Captured(Event, Aggregate.Created):
        """A buyer nobody knew arrived (v1). ``keys`` are the exact keys the lead holds
        (labels: ``phone:+86…``, ``device:…``); ``touch`` is the arrival."""

        company_name: str | None
        contact_name: str | None
        region: str | None
        industry: str | None
        keys: list[str]
        touch: dict[str, Any]

        def apply(self, lead: Lead) -> None:
            lead.company_name = self.company_name
            lead.contact_name = self.contact_name
            lead.region = self.region
            lead.industry = self.industry
            lead.identity_keys = tuple(IdentityKey.from_label(k) for k in self.keys)
            lead.touches = (touch_of(self.touch, self.actor, self.occurred_at),)
            lead.score = None
            lead.score_terms = ()
            lead.route = None
            lead.merged_into = None
            lead.converted_to = None
            lead.absorbed_leads = ()
            lead.erased_at = None

    class Touched(Event):
        """A capture found to be this buyer joined the lead as one more touch (v1).

        ``matched_on`` names the exact keys it shared, ``record`` is what was entered,
        ``filled`` the details it supplied that the lead lacked, ``keys`` the keys the
        lead holds from now on that it did not before.
        """

        touch: dict[str, Any]
        matched_on: list[str]
        record: dict[str, Any]
        filled: dict[str, str]
        keys: list[str]

        def apply(self, lead: Lead) -> None:
            arrived = touch_of(self.touch, self.actor, self.occurred_at)
            lead.touches = tuple(sorted((*lead.touches, arrived), key=lambda t: t.at))
            for name, value in self.filled.items():
                setattr(lead, name, value)
            added = tuple(IdentityKey.from_label(k) for k in self.keys)
            lead.identity_keys = (*lead.identity_keys, *added)

    class Scored(Event):
        """The lead's score, each term with its points and why, and the route it took:
        ``assign`` (a rep by the assignment rules), ``pool`` (the lead pool) or ``owner``
        (it already had one) (v1). ``rules`` is the digest of the scoring rules used."""

        score: int
        terms: list[dict[str, Any]]
        threshold: int
        route: str
        rules: str

        def apply(self, lead: Lead) -> None:
            lead.score = self.score
            lead.score_terms = tuple(self.terms)
            lead.route = self.route

    class PossibleCustomerFlagged(Event):
        """Captured as a new lead although it resembles existing customers, which a warn
        rule named: the candidates with their scores, for a rep to look at (v1)."""

        rule: str
        rule_set_version: str
        candidates: list[dict[str, Any]]

        def apply(self, lead: Lead) -> None:
            pass  # a fact for people and read models; the lead itself is unchanged

    class Converted(Event):
        """The lead became customer ``customer_id``: a new one (``outcome`` created or
        warned) or one the identity check found it to be (merged) (v1). ``rule`` is the
        identity rule that decided, None for a plain creation."""

        customer_id: UUID
        outcome: str
        rule: str | None

        def apply(self, lead: Lead) -> None:
            lead.converted_to = self.customer_id

    @classmethod
    def capture(
        cls,
        lead_id: UUID,
        *,
        record: dict[str, Any],
        keys: tuple[IdentityKey, ...],
        touch: dict[str, Any],
        context: EventContext,
    ) -> Lead:
        """Creates the lead; the application has already claimed ``keys`` for it."""
        return cls._create(
            cls.Captured,
            id=lead_id,
            company_name=record.get("company_name"),
            contact_name=record.get("contact_name"),
            region=record.get("region"),
            industry=record.get("industry"),
            keys=[key.label for key in keys],
            touch=touch,
            **context.fields(),
        )

    def join(
        self,
        *,
        record: dict[str, Any],
        touch: dict[str, Any],
        matched_on: list[str],
        new_keys: tuple[IdentityKey, ...],
        context: EventContext,
    ) -> None:
        """Adds a touch; fills the details this lead lacks; lists the keys it now holds."""
        filled = {
            name: value
            for name in LEAD_DETAILS
            if getattr(self, name) is None and (value := record.get(name))
        }
        held = set(self.identity_keys)
        self.trigger_event(
            self.Touched,
            touch=touch,
            matched_on=sorted(matched_on),
            record=record,
            filled=filled,
            keys=[key.label for key in new_keys if key not in held],
            **context.fields(),
        )

    def rate(
        self,
        score: int,
        terms: list[dict[str, Any]],
        threshold: int,
        route: str,
        rules: str,
        context: EventContext,
    ) -> None:
        """Records a score and its route (``crmcore.leads.scoring`` computes them)."""
        self.trigger_event(
            self.Scored,
            score=score,
            terms=terms,
            threshold=threshold,
            route=route,
            rules=rules,
            **context.fields(),
        )

    def convert(
        self, customer_id: UUID, outcome: str, rule: str | None, context: EventContext
    ) -> None:
        """Records that this lead is now ``customer_id``."""
        if self.converted_to is not None:
            raise ValueError(f"lead {self.id} already became customer {self.converted_to}")
        self.trigger_event(
            self.Converted,
            customer_id=customer_id,
            outcome=outcome,
            rule=rule,
            **context.fields(),
        )

    def would_change(self, record: dict[str, Any], keys: tuple[IdentityKey, ...]) -> bool:
        """True if a capture of ``record`` with ``keys`` would add a key or a detail."""
        held = set(self.identity_keys)
        return any(key not in held for key in keys) or any(
            getattr(self, name) is None and record.get(name) for name in LEAD_DETAILS
        )

    def has_arrival(self, mark: ArrivalMark) -> bool:
        return any(touch.mark == mark for touch in self.touches)

    def absorb(self, other: Lead, context: EventContext) -> None:
        """Takes over ``other``'s touches and keys (their indexes already moved)."""
        if self.merged_into is not None or other.merged_into is not None or other.id == self.id:
            raise ValueError("only two different live leads can be merged")
        filled = {
            name: value
            for name in LEAD_DETAILS
            if getattr(self, name) is None and (value := getattr(other, name)) is not None
        }
        held = set(self.identity_keys)
        self.trigger_event(
            lead_merges.LeadAbsorbed,
            absorbed_id=other.id,
            touches=[touch.to_dict() for touch in other.touches],
            keys=[key.label for key in other.identity_keys if key not in held],
            filled=filled,
            **context.fields(),
        )

    def merge_into(self, survivor_id: UUID, context: EventContext) -> None:
        """Becomes a tombstone of ``survivor_id``."""
        if self.merged_into is not None:
            raise ValueError(f"lead {self.id} is already merged into {self.merged_into}")
        self.trigger_event(lead_merges.LeadMergedInto, survivor_id=survivor_id, **context.fields())

    def take_touches(self, touches: list[dict[str, Any]]) -> None:
        """Adds touches carried over by a merge, keeping every touch in business-time
        order (called by ``LeadAbsorbed.apply``)."""
        carried = [touch_of(data, data["actor"], lead_merges.touch_at(data)) for data in touches]
        self.touches = tuple(sorted((*self.touches, *carried), key=lambda t: t.at))

    def flag_possible_customer(
        self,
        rule: str,
        rule_set_version: str,
        candidates: list[dict[str, Any]],
        context: EventContext,
    ) -> None:
        self.trigger_event(
            self.PossibleCustomerFlagged,
            rule=rule,
            rule_set_version=rule_set_version,
            candidates=candidates,
            **context.fields(),
        )

    def erase(self, subjects: list[UUID], released_keys: int, context: EventContext) -> None:
        """Records the erasure of the lead's personal data (its keys already released)."""
        if self.erased_at is not None:
            raise ValueError(f"lead {self.id} is already erased")
        self.trigger_event(
            LeadErased, subjects=subjects, released_keys=released_keys, **context.fields()
        )
