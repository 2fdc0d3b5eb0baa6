"""The sales organisation and every customer's owner, folded from the log in memory.

What the assignment rules, the sweeper and the handover need to find their work
without loading a million aggregates: each rep's state, who owns what, and when each
owned customer next falls due. It is the documented query of DESIGN.md: commands
use it to *find* candidates, then load and re-check the aggregates they change (an
aggregate saved from a stale answer fails its version check and is decided again).
Pure: it reads events, not the store, so replaying a prefix of the log rebuilds the
view as it stood then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol

from crmcore.domain.opportunity import Opportunity
from crmcore.domain.ownership import Ownership, next_deadline
from crmcore.domain.rep import Rep, RepProfile
from crmcore.event_log import follow, topics_of
from crmcore.ownership.policies.assignment import RepSnapshot

OWNERSHIP_EVENTS = (
    Ownership.Assigned,
    Ownership.Claimed,
    Ownership.Transferred,
    Ownership.Released,
    Ownership.Recycled,
    Ownership.HandedOver,
    Ownership.Escalated,
    Ownership.FollowedUp,
    Ownership.OpportunityNoted,
)
REP_EVENTS = (
    Rep.Joined,
    Rep.ProfileChanged,
    Rep.HandoverStarted,
    Rep.Left,
    Rep.CustomerTaken,
    Rep.CustomersDropped,
)
# What makes an open opportunity fresh or stale (mirrors Opportunity.last_update_at).
OPPORTUNITY_EVENTS = (
    Opportunity.Opened,
    Opportunity.Updated,
    Opportunity.Advanced,
    Opportunity.StaleAlerted,
)
_TOPICS = topics_of(*OWNERSHIP_EVENTS, *REP_EVENTS, *OPPORTUNITY_EVENTS)


@dataclass(frozen=True)
class OwnedCustomer:
    owner: str
    since: datetime
    respond_by: datetime | None
    protected_until: datetime | None
    last_at: datetime

    @property
    def due_at(self) -> datetime | None:
        """When the sweeper next has work here (the earlier deadline), if ever."""
        return next_deadline(self.respond_by, self.protected_until)


@dataclass(frozen=True)
class PoolEntry:
    """A customer in the public pool: since when, why, and who had it last."""

    customer_id: UUID
    since: datetime
    reason: str
    previous_owner: str
    cooldown_until: datetime | None


@dataclass
class SalesView:
    reps: dict[str, RepSnapshot] = field(default_factory=dict)
    owned: dict[UUID, OwnedCustomer] = field(default_factory=dict)
    pool: dict[UUID, PoolEntry] = field(default_factory=dict)
    open_opportunities: dict[UUID, set[str]] = field(default_factory=dict)
    # Open opportunity -> (last update, the last update its staleness was alerted for).
    open_deals: dict[UUID, tuple[datetime, datetime | None]] = field(default_factory=dict)
    last_round_robin: str | None = None
    position: int | None = None

    def catch_up(self, app: Application[UUID]) -> int:
        """Folds the events recorded since the last catch-up; returns how many."""
        self.position, count = follow(app, _TOPICS, self.position, self.apply)
        return count

    def apply_all(self, events: Iterable[DomainEventProtocol[UUID]]) -> SalesView:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: DomainEventProtocol[UUID]) -> None:
        if isinstance(event, Rep.Event):
            self._apply_rep(event)
        elif isinstance(event, Ownership.Event):
            self._apply_ownership(event)
        elif isinstance(event, Opportunity.Opened | Opportunity.Updated | Opportunity.Advanced):
            self._deal_updated(event)
        elif isinstance(event, Opportunity.StaleAlerted) and event.originator_id in self.open_deals:
            last, _ = self.open_deals[event.originator_id]
            self.open_deals[event.originator_id] = (last, event.last_update_at)

    def _deal_updated(self, event: Opportunity.Event) -> None:
        oid = event.originator_id
        if isinstance(event, Opportunity.Advanced) and event.status != "open":
            self.open_deals.pop(oid, None)
            return
        last, alerted = self.open_deals.get(oid, (event.occurred_at, None))
        self.open_deals[oid] = (max(last, event.occurred_at), alerted)

    def _apply_rep(self, event: Rep.Event) -> None:
        if isinstance(event, Rep.Joined):
            profile = RepProfile.from_fields(event.profile)
            self.reps[event.rep_id] = RepSnapshot(event.rep_id, profile, True, 0)
            return
        rep = self.reps[event.rep_id]  # type: ignore[attr-defined]
        if isinstance(event, Rep.ProfileChanged):
            rep = replace(rep, profile=RepProfile.from_fields(event.profile))
        elif isinstance(event, Rep.HandoverStarted | Rep.Left):
            rep = replace(rep, active=False)
        elif isinstance(event, Rep.CustomerTaken):
            rep = replace(rep, open_count=rep.open_count + 1)
        elif isinstance(event, Rep.CustomersDropped):
            rep = replace(rep, open_count=rep.open_count - len(event.customer_ids))
        self.reps[rep.rep_id] = rep

    def _apply_ownership(self, event: Ownership.Event) -> None:
        cid = event.customer_id
        current = self.owned.get(cid)
        if isinstance(event, Ownership.OwnerChanged):
            self.owned[cid] = OwnedCustomer(
                event.owner,
                event.occurred_at,
                event.respond_by,
                event.protected_until,
                event.occurred_at,
            )
            self.pool.pop(cid, None)
            if isinstance(event, Ownership.Assigned) and event.rule.startswith("round_robin"):
                self.last_round_robin = event.owner
        elif isinstance(event, Ownership.OwnerRemoved):
            self.owned.pop(cid, None)
            self.pool[cid] = PoolEntry(
                cid,
                event.occurred_at,
                event.pool_reason,
                event.previous_owner,
                event.cooldown_until,
            )
        elif isinstance(event, Ownership.HandedOver):
            self.owned.pop(cid, None)  # the lead became a customer, owned in its own right
            self.pool.pop(cid, None)
        elif isinstance(event, Ownership.OpportunityNoted):
            opportunities = self.open_opportunities.setdefault(cid, set())
            if event.status == "open":
                opportunities.add(event.opportunity_id)
            else:
                opportunities.discard(event.opportunity_id)
            if current is not None and event.protection is not None:
                self.owned[cid] = replace(
                    current, protected_until=event.protected_until, last_at=event.occurred_at
                )
        elif current is not None and isinstance(event, Ownership.FollowedUp):
            self.owned[cid] = replace(
                current,
                respond_by=None,
                protected_until=event.protected_until,
                last_at=event.occurred_at,
            )
        elif current is not None and isinstance(event, Ownership.Escalated):
            self.owned[cid] = replace(current, respond_by=None, last_at=event.occurred_at)

    # -- answers ----------------------------------------------------------------------

    def rep_snapshots(self) -> list[RepSnapshot]:
        return sorted(self.reps.values(), key=lambda rep: rep.rep_id)

    def supervisor_of(self, rep_id: str) -> str | None:
        """The first active supervisor of the rep's team (by id), if the team has one."""
        team = self.reps[rep_id].profile.team if rep_id in self.reps else None
        for rep in self.rep_snapshots():
            same_team = team is not None and rep.profile.team == team
            if rep.active and rep.profile.supervisor and same_team and rep.rep_id != rep_id:
                return rep.rep_id
        return None

    def due_by(self, now: datetime) -> list[UUID]:
        """Owned customers with a deadline at or before ``now``, earliest first."""
        due = [
            (due_at, str(cid), cid)
            for cid, owned in self.owned.items()
            if (due_at := owned.due_at) is not None and due_at <= now
        ]
        return [cid for _, _, cid in sorted(due)]

    def stale_by(self, before: datetime) -> list[UUID]:
        """Open opportunities last updated at or before ``before`` whose staleness was
        not alerted yet, stalest first."""
        stale = [
            (last, str(oid), oid)
            for oid, (last, alerted) in self.open_deals.items()
            if last <= before and alerted != last
        ]
        return [oid for _, _, oid in sorted(stale)]

    def customers_of(self, rep_id: str) -> list[UUID]:
        """The rep's customers, most important first: open opportunities, then the most
        recent activity (the order a handover works through them)."""
        mine = [(cid, owned) for cid, owned in self.owned.items() if owned.owner == rep_id]
        mine.sort(
            key=lambda item: (
                -len(self.open_opportunities.get(item[0], ())),
                -item[1].last_at.timestamp(),
                str(item[0]),
            )
        )
        return [cid for cid, _ in mine]

    def pool_entries(self) -> list[PoolEntry]:
        """The pool, longest waiting first."""
        return sorted(self.pool.values(), key=lambda e: (e.since, str(e.customer_id)))
