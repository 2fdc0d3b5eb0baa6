"""``crm demo``, act three: one buyer through four channels, and a customer's enquiry.

A buyer fills in the web form, answers an ad on the same browser, has their badge
scanned at an exhibition and is referred by a partner: four captures by four channel
actors, one lead of record with four touches and one owner, who converts it into a
customer (the identity check again; ownership handed over). Then a rep captures an
enquiry from a customer another rep already owns: it becomes a touch on that customer,
routed to its owner, and a collision. Every step is the public command API on the
demo's simulated clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from rich.table import Table

from adapters.cli.output import console
from adapters.demo_pool import TEAM
from adapters.demo_race import typed_phone
from crmcore import CaptureLead, ConvertLead, CrmApplication, ManualClock, parse_command


def run_leads_act(
    app: CrmApplication, clock: ManualClock, run_no: int, customers: Sequence[UUID]
) -> dict[str, Any]:
    """Plays the act; ``run_no`` makes this run's buyer new to the store (the log only
    grows, so its last notification id is a number no earlier run used)."""
    phone = typed_phone(run_no, 0, prefix="166")
    device = f"fp-demo-{run_no}"
    email = f"zhang.wei.{run_no}@xinghe-data.cn"
    arrivals = [
        (
            "web-form",
            {
                "channel": "web",
                "company_name": "北京星河数据科技有限公司",
                "contact_name": "张伟",
                "phone": phone,
                "device_id": device,
                "intent": "数据中台",
                "region": "北京",
                "source_tag": "官网",
            },
        ),
        (
            "ad-platform",
            {
                "channel": "ad",
                "contact_name": "张伟",
                "device_id": device,
                "email": email,
                "campaign": "2026双11",
            },
        ),
        (
            "expo-scanner",
            {
                "channel": "exhibition",
                "company_name": "星河数据",
                "phone": typed_phone(run_no, 1, prefix="166"),
                "source_tag": "世界人工智能大会",
            },
        ),
        ("partner-portal", {"channel": "referral", "contact_name": "张伟", "email": email.upper()}),
    ]
    captures = []
    for actor, fields in arrivals:
        clock.advance(hours=3)
        result = app.capture_lead(parse_command(CaptureLead, {"actor": actor, **fields}))
        captures.append({"actor": actor, "channel": fields["channel"], **result.to_dict()})
    lead = app.get_lead(UUID(captures[0]["lead_id"]))
    converted = None
    if lead.owner is not None:  # the owner qualifies the buyer and makes them a customer
        clock.advance(days=1)
        command = ConvertLead(actor=lead.owner, lead_id=lead.lead_id, reason="需求已确认")
        converted = app.convert_lead(command).to_dict()
    return {
        "captures": captures,
        "lead": lead.to_dict(),
        "converted": converted,
        "enquiry": _enquiry(app, clock, customers),
    }


def _enquiry(app: CrmApplication, clock: ManualClock, customers: Sequence[UUID]) -> Any:
    """A rep captures an owned customer's enquiry: a touch on it, and a collision."""
    for cid in customers:
        record = app.get_customer(cid)
        owner = app.owner_of(cid)
        if owner is None or not record.phones:
            continue
        other = next(rep for rep, *_ in TEAM if rep != owner)
        clock.advance(hours=1)
        command = parse_command(
            CaptureLead, {"actor": other, "channel": "phone", "phone": record.phones[0]}
        )
        result = app.capture_lead(command)
        return {"rep": other, "owner": owner, **result.to_dict()}
    return None


def show_leads_act(report: dict[str, Any]) -> None:
    console.print("\n[bold]Act three: one buyer, four channels[/]")
    table = Table("channel", "by", "outcome", "lead", "touches", "score", "route")
    for c in report["captures"]:
        table.add_row(
            c["channel"],
            c["actor"],
            c["outcome"],
            c["lead_id"][:8],
            str(c["touches"]),
            str(c["score"]),
            f"{c['route']} {c['owner'] or ''}".rstrip(),
        )
    console.print(table)
    lead = report["lead"]
    console.print(
        f"[bold]one lead[/] {lead['lead_id'][:8]} with {len(lead['touches'])} touches "
        f"({', '.join(t['channel'] for t in lead['touches'])}) and one owner: "
        f"[bold]{lead['owner'] or 'the lead pool'}[/]; score {lead['score']} = "
        + " + ".join(f"{t['term']} {t['points']}" for t in lead["terms"])
    )
    converted = report["converted"]
    if converted:
        console.print(
            f"a day later {converted['owner']} converts it: customer "
            f"{converted['customer_id'][:8]} ({converted['outcome']}), still theirs, with the "
            "lead's protection handed over in the same save"
        )
    enquiry = report["enquiry"]
    if enquiry:
        console.print(
            f"{enquiry['rep']} captures an enquiry from customer {enquiry['customer_id'][:8]}, "
            f"which {enquiry['owner']} owns: [yellow]{enquiry['outcome']}[/] - a touch on the "
            f"customer routed to {enquiry['owner']}, recorded as a collision."
        )
