"""Benchmark: capturing leads through four channels vs saving the same leads raw.

Buyers are the demo generator's distinct companies. Each arrives first through one of
four channels (web form with a device fingerprint, ad form, exhibition scan, referral);
a share of them (``--duplicates``, the seeds' 15-30%) arrives again through another
channel with one key in common - the device, the phone or the e-mail - so those
captures join the lead instead of creating one. Every capture is one command on the
command path (identity check against customers and the identity view, lead keys,
scoring, routing to one of ten reps), one atomic save each.

The raw baseline saves, in the same run and on the same kind of file, the aggregates a
new lead's capture saves (the lead and its key indexes), one save per buyer, without
any check: the ratio of the two rates survives a noisy machine.

Then ``--deals`` of the assigned leads are converted and worked through the pipeline
to a won opportunity, a signed order and a payment, and the lead, funnel and
attribution views are built from the log into a fresh read-model file: their catch-up
rate is the events they read per second.

    python scripts/bench_leads.py --leads 100000
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from adapters.bootstrap import open_application
from adapters.demo_data import generate
from adapters.settings import Settings
from bench_figures import figure
from crmcore import (
    AddRep,
    AdvanceOpportunity,
    CaptureLead,
    ConvertLead,
    CrmApplication,
    ManualClock,
    OpenOpportunity,
    RecordPayment,
    SignOrder,
    parse_command,
)
from crmcore.domain import EventContext
from crmcore.domain.lead import Lead
from crmcore.domain.lead_key import LeadKey
from projections.attribution import ATTRIBUTION_VIEW
from projections.funnel import FUNNEL_VIEW
from projections.leads import LEADS_VIEW
from projections.runner import ProjectionRunner
from projections.tables import open_read_models

START = datetime(2026, 1, 1, tzinfo=UTC)
CHANNELS = ("web", "ad", "exhibition", "referral")
INTENTS = ("CRM", "数据中台", "ERP", None)


def arrivals(
    leads: int, duplicates: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every arrival in order, the first arrivals): ``leads`` buyers, a ``duplicates``
    share of them arriving again."""
    rng = random.Random(seed)
    rows = [r.fields for r in generate(leads, seed, duplicate_share=0, negative_share=0).rows
            if r.variation == "original"][:leads]
    firsts: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        channel = CHANNELS[n % len(CHANNELS)]
        first = {
            "channel": channel,
            "company_name": row.get("company_name"),
            "contact_name": row.get("contact_name"),
            "phone": row.get("phone"),
            "email": row.get("email") if channel != "exhibition" else None,
            "region": row.get("region"),
            "industry": row.get("industry"),
            "intent": INTENTS[n % len(INTENTS)],
            "device_id": f"fp-{n:08d}" if channel == "web" else None,
        }
        firsts.append(first)
    again = []
    for first in rng.sample(firsts, int(len(firsts) * duplicates)):
        channel = rng.choice([c for c in CHANNELS if c != first["channel"]])
        shared = rng.choice([k for k in ("device_id", "phone", "email") if first.get(k)])
        again.append({"channel": channel, shared: first[shared], "campaign": "retarget"})
    everything = firsts + again
    rng.shuffle(everything)  # a second arrival may come first: then the first one joins it
    return everything, firsts


def open_app(folder: Path, name: str) -> CrmApplication:
    return open_application(Settings(db=folder / f"{name}.db"), clock=ManualClock(START))


def raw_aggregates(command: CaptureLead, seen: set[Any]) -> list[Lead | LeadKey]:
    """The lead and the index of each of its keys no earlier buyer gave (at 100,000 a few
    generated companies share a phone or an e-mail: their capture would join a lead)."""
    context = EventContext(actor=command.actor, recorded_at=START, occurred_at=START)
    lead = Lead.capture(uuid4(), record=command.record(), keys=command.lead_keys(),
                        touch=command.touch(), context=context)
    fresh = [key for key in command.lead_keys() if key not in seen]
    seen.update(fresh)
    return [lead, *(LeadKey.index(key, lead.id, context) for key in fresh)]


def run(leads: int, duplicates: float, folder: Path, seed: int, limit: int) -> None:
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | buyers: {leads:,} | second arrivals: {duplicates:.0%}")
    everything, firsts = arrivals(leads, duplicates, seed)
    commands = [parse_command(CaptureLead, {"actor": "forms", **f}) for f in everything]

    # One raw save per buyer (a second arrival's keys would collide with its first's).
    raw_app = open_app(folder, "raw")
    seen: set[Any] = set()
    prepared = [raw_aggregates(parse_command(CaptureLead, {"actor": "forms", **f}), seen)
                for f in firsts]
    began = time.perf_counter()
    for aggregates in prepared:
        raw_app.save(*aggregates)
    raw_rate = len(prepared) / (time.perf_counter() - began)

    app = open_app(folder, "captures")
    for n in range(10):
        app.add_rep(parse_command(AddRep, {"actor": "admin", "rep_id": f"rep-{n}",
                                           "capacity": 1_000_000}))
    latencies, outcomes, routes = [], Counter[str](), Counter[str]()
    began = time.perf_counter()
    for command in commands:
        t0 = time.perf_counter()
        result = app.capture_lead(command)
        latencies.append(time.perf_counter() - t0)
        outcomes[result.outcome] += 1
        routes[result.route] += 1
    rate = len(commands) / (time.perf_counter() - began)
    p50, p99 = (statistics.quantiles(latencies, n=100)[q - 1] * 1e3 for q in (50, 99))
    print(f"captures: {rate:,.0f}/s (p50 {p50:.2f} ms, p99 {p99:.2f} ms) {dict(outcomes)} "
          f"routes {dict(routes)}; raw save {raw_rate:,.0f}/s; ratio {rate / raw_rate:.0%} "
          "(target >= 50%)")
    figure("crm lead capture", rate, "/s", raw=raw_rate, target=">= 40% of raw",
           detail=f"p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    deals(app, folder, limit)
    raw_app.close()
    app.close()


def deals(app: CrmApplication, folder: Path, limit: int) -> None:
    """Converts up to ``limit`` assigned leads and takes each to a paid order, then times
    the sales views' catch-up from the log."""
    leads_view = ProjectionRunner(app, open_read_models(f"sqlite:///{folder}/l.db"), (LEADS_VIEW,))
    leads_view.catch_up()
    owned = [row.lead_id for row in _owned(leads_view.engine, limit)]
    began = time.perf_counter()
    for lead_id in owned:
        converted = app.convert_lead(ConvertLead(actor=_owner(app, lead_id), lead_id=lead_id))
        owner, customer = converted.owner or "rep-0", converted.customer_id
        opened = app.open_opportunity(parse_command(OpenOpportunity, {
            "actor": owner, "customer_id": customer, "title": "一期", "product_category": "CRM",
            "need": "销售管理"}))
        app.advance_opportunity(parse_command(AdvanceOpportunity, {
            "actor": owner, "opportunity_id": opened.opportunity_id, "to": "won", "details": {
                "budget_range": "50万", "decision_maker": "王总", "proposal_amount": "500000",
                "contract_amount": "480000"}}))
        order = app.sign_order(parse_command(SignOrder, {
            "actor": owner, "customer_id": customer, "amount": "480000"}))
        app.record_milestone(parse_command(RecordPayment, {
            "actor": owner, "order_id": order.order_id, "amount": "200000"}))
    worked = time.perf_counter() - began
    print(f"deals: {len(owned):,} leads converted and taken to a paid order in {worked:.1f} s "
          f"({len(owned) / worked:,.1f}/s, 6 commands each)")
    views = (LEADS_VIEW, FUNNEL_VIEW, ATTRIBUTION_VIEW)
    runner = ProjectionRunner(app, open_read_models(f"sqlite:///{folder}/views.db"), views)
    began = time.perf_counter()
    applied = runner.catch_up()
    spent = time.perf_counter() - began
    print(f"lead pool + funnel + attribution views built from the log: {applied:,} events in "
          f"{spent:.2f} s = {applied / spent:,.0f} events/s")


def _owned(engine: Any, limit: int) -> list[Any]:
    from sqlalchemy import select

    from projections.leads import leads

    query = select(leads.c.lead_id).where(leads.c.status == "owned").limit(limit)
    with engine.connect() as connection:
        return list(connection.execute(query))


def _owner(app: CrmApplication, lead_id: str) -> str:
    return app.get_lead(UUID(lead_id)).owner or "rep-0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="distinct buyers")
    parser.add_argument("--duplicates", type=float, default=0.25,
                        help="share of buyers arriving a second time (seeds: 0.15-0.30)")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--deals", type=int, default=1000,
                        help="assigned leads then converted and taken to a paid order")
    parser.add_argument("--dir", type=Path, default=None,
                        help="folder for the databases (default: a temporary one)")
    args = parser.parse_args()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        run(args.leads, args.duplicates, args.dir, args.seed, args.deals)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(args.leads, args.duplicates, Path(folder), args.seed, args.deals)


if __name__ == "__main__":
    main()
