"""A small sales office for audit tests: two reps, a supervisor, commands by name."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from crmcore import (
    CrmApplication,
    CrmConfig,
    ManualClock,
    OwnershipRefused,
    SetCollaborators,
    TransferCustomer,
    parse_command,
)
from crmcore.audit.owner_at import OwnerAt
from crmcore.audit.queries import OwnerAtQuery, SettleDispute
from crmcore.audit.verdict import Verdict
from tests.conftest import hire, register
from tests.unit.test_claim_rules import claim, follow_up, release

REPS = ("li", "wang", "zhao")


def office(
    clock: ManualClock, env: dict[str, str] | None = None, **ownership: Any
) -> CrmApplication:
    config = CrmConfig.model_validate({"ownership": ownership})
    return CrmApplication(env or {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock,
                         config=config)


def staff(app: CrmApplication) -> None:
    hire(app, *REPS, team="north")
    hire(app, "boss", team="north", supervisor=True)


def new_customer(app: CrmApplication, n: int = 0, actor: str = "importer") -> UUID:
    return register(app, actor=actor, company_name=f"第{n}号审计测试贸易有限公司")


def transfer(app: CrmApplication, cid: UUID, to: str, **fields: Any) -> None:
    app.transfer_customer(parse_command(TransferCustomer, {
        "actor": "boss", "customer_id": cid, "to": to, "by": "boss", **fields}))


def share(app: CrmApplication, cid: UUID, by: str, rep: str) -> None:
    app.set_collaborators(parse_command(SetCollaborators, {
        "actor": by, "customer_id": cid, "by": by, "shares": {rep: 0.3}}))


def owner_at(app: CrmApplication, cid: UUID, at: datetime,
             known: datetime | None = None) -> OwnerAt:
    return app.owner_at(OwnerAtQuery(customer_id=cid, at=at, as_known_at=known))


def settle(app: CrmApplication, cid: UUID, at: datetime, *claimants: str,
           known: datetime | None = None) -> Verdict:
    return app.settle_dispute(SettleDispute(
        customer_id=cid, claimants=claimants or ("li", "wang"), at=at, as_known_at=known))


def act(app: CrmApplication, cid: UUID, step: tuple[str, str]) -> None:
    """One random-history step; a refusal by the rules is part of a history too."""
    kind, rep = step
    owner = app.ownership(cid).owner
    try:
        if kind == "claim":
            claim(app, cid, rep)
        elif kind == "release" and owner:
            release(app, cid, owner)
        elif kind == "follow_up" and owner:
            follow_up(app, cid, owner)
        elif kind == "transfer" and owner and owner != rep:
            transfer(app, cid, rep)
        elif kind == "share" and owner and owner != rep:
            share(app, cid, owner, rep)
        elif kind == "sweep":
            app.sweep()
    except OwnershipRefused:
        pass


def later(clock: ManualClock, hours: int) -> datetime:
    return clock.advance(hours=hours) if hours else clock.now()


ONE_SECOND = timedelta(seconds=1)
