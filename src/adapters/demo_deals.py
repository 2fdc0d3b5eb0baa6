"""``crm demo``, act four: a deal through the gated pipeline, a duplicate project, and
money credited to whoever owned the customer when it arrived.

The buyer converted in act three is worked by its owner: a stage refused with the
missing field named, a collaborator opening "the same project" again (flagged, naming
the original), the deal won and signed, the customer then transferred - and the
payment that arrived before the transfer, recorded after it, still credited to the
owner and the collaborator at their shares. Every step is the public command API.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from rich.table import Table

from adapters.cli.output import console
from adapters.demo_pool import TEAM
from crmcore import (
    AdvanceOpportunity,
    CrmApplication,
    ManualClock,
    OpenOpportunity,
    OpportunityRefused,
    RecordPayment,
    SetCollaborators,
    SignOrder,
    TransferCustomer,
    parse_command,
)

NEED = "搭建企业数据中台，整合销售、财务和供应链数据，年内上线"
# The simulated days acts three and four add to the demo's clock (which must end before
# the real now, so the database stays usable afterwards).
ACT_DAYS = 30


def run_deals_act(app: CrmApplication, clock: ManualClock, customer_id: UUID) -> dict[str, Any]:
    """Plays the act on the converted customer; returns its report."""
    owner = app.owner_of(customer_id)
    assert owner is not None
    team = app.get_rep(owner).profile.team
    mates = [rep for rep, rep_team, _, supervisor in TEAM if rep_team == team]
    boss = next(rep for rep, rep_team, _, sup in TEAM if rep_team == team and sup)
    helper, successor = [rep for rep in mates if rep not in (owner, boss)][:2]
    app.set_collaborators(
        parse_command(
            SetCollaborators,
            {"actor": owner, "customer_id": customer_id, "by": owner, "shares": {helper: 0.3}},
        )
    )
    clock.advance(hours=2)
    deal = app.open_opportunity(
        parse_command(
            OpenOpportunity,
            {
                "actor": owner,
                "customer_id": customer_id,
                "title": "数据中台一期",
                "product_category": "数据中台",
                "need": NEED,
                "amount": "1,000,000",
                "expected_close": (clock.now() + timedelta(days=60)).date(),
            },
        )
    )
    oid = deal.opportunity_id

    def move(to: str, **details: str) -> None:
        clock.advance(days=3)
        app.advance_opportunity(
            parse_command(
                AdvanceOpportunity,
                {"actor": owner, "opportunity_id": oid, "to": to, "details": details},
            )
        )

    move("needs_confirmed")
    try:
        move("proposal", budget_range="80-120万")
        refused = None
    except OpportunityRefused as refusal:
        refused = {"rule": refusal.rule, "missing": refusal.missing, "message": str(refusal)}
    move("proposal", budget_range="80-120万", decision_maker="CIO 王总")
    clock.advance(days=1)
    again = app.open_opportunity(
        parse_command(
            OpenOpportunity,
            {
                "actor": helper,
                "customer_id": customer_id,
                "title": "数据平台建设",
                "product_category": "数据中台",
                "need": "企业数据中台建设：整合销售与财务数据",
            },
        )
    )
    move("negotiation", proposal_amount="1,050,000")
    move("won", contract_amount="1,000,000")
    order = app.sign_order(
        parse_command(
            SignOrder,
            {
                "actor": owner,
                "customer_id": customer_id,
                "opportunity_id": oid,
                "amount": "1,000,000",
                "order_no": "HT-2026-0418",
            },
        )
    )
    clock.advance(days=5)
    received = clock.now()  # the first instalment arrives while the owner still owns it
    clock.advance(days=2)
    app.transfer_customer(
        parse_command(
            TransferCustomer,
            {
                "actor": boss,
                "customer_id": customer_id,
                "to": successor,
                "by": boss,
                "reason": "区域调整",
            },
        )
    )
    clock.advance(days=3)
    paid = app.record_milestone(
        parse_command(
            RecordPayment,
            {
                "actor": successor,
                "order_id": order.order_id,
                "amount": "400,000",
                "payment_no": "HK-0001",
                "occurred_at": received,
            },
        )
    )
    return {
        "customer_id": str(customer_id),
        "owner": owner,
        "collaborator": helper,
        "opportunity_id": str(oid),
        "refused": refused,
        "duplicate": {
            "opportunity_id": str(again.opportunity_id),
            "by": helper,
            "suspected_duplicate_of": str(again.suspected_duplicate_of)
            if again.suspected_duplicate_of
            else None,
        },
        "stage": app.get_opportunity(oid).stage,
        "order_id": str(order.order_id),
        "transferred_to": successor,
        "payment": paid.milestones[-1].to_dict(),
    }


def show_deals_act(report: dict[str, Any]) -> None:
    console.print("\n[bold]Act four: one deal, gated; one project, not two; money credited[/]")
    refused = report["refused"]
    if refused:
        console.print(
            f"{report['owner']} moves the deal to proposal: [red]refused[/] - {refused['message']}"
        )
    console.print(f"with the decision maker named it moves on, and is {report['stage']}")
    duplicate = report["duplicate"]
    console.print(
        f"{duplicate['by']} opens 'the same project' again: [yellow]suspected same project, "
        f"continue in {str(duplicate['suspected_duplicate_of'])[:8]}[/] (recorded as a "
        "collision)"
    )
    payment = report["payment"]
    table = Table(
        "business time",
        "recorded",
        "amount",
        "credited",
        title=f"A payment recorded after the customer went to {report['transferred_to']}",
    )
    table.add_row(
        payment["occurred_at"][:16],
        payment["recorded_at"][:16],
        payment["amount"],
        ", ".join(f"{c['rep']} {c['share']:.0%}" for c in payment["credits"]),
    )
    console.print(table)
    console.print(
        "credited at its business time: `crm report attribution` and `crm report "
        "funnel` show the views"
    )
    cid, order = report["customer_id"], report["order_id"]
    claimants = f"--claimant {report['owner']} --claimant {report['transferred_to']}"
    console.print("\n[bold]Audit it[/] (answers replayed from the events):")
    console.print(f"  crm audit timeline {cid} --html timeline.html", soft_wrap=True)
    console.print(f"  crm audit dispute {cid} {claimants}", soft_wrap=True)
    console.print(f"  crm audit dispute --order {order} {claimants}", soft_wrap=True)
