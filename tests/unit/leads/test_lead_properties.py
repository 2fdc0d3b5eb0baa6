"""Properties of lead capture over random arrivals: one live lead per buyer whatever the
order, and scores that replay to the same numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import AddRep, CaptureLead, CrmApplication, ManualClock, parse_command
from crmcore.domain.lead import Lead
from crmcore.leads.config import LeadConfig
from crmcore.leads.scoring import score_lead
from tests.conftest import START, all_events

PHONES = ["13800138000", "13900139000", "13700137000"]
EMAILS = ["a@x.cn", "b@y.cn"]
DEVICES = ["fp-1", "fp-2"]
CHANNELS = ["web", "ad", "exhibition", "phone", "wechat", "referral", "import"]


@st.composite
def arrivals(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {"channel": draw(st.sampled_from(CHANNELS))}
    fields["phone"] = draw(st.none() | st.sampled_from(PHONES))
    fields["email"] = draw(st.none() | st.sampled_from(EMAILS))
    fields["device_id"] = draw(st.none() | st.sampled_from(DEVICES))
    fields["intent"] = draw(st.none() | st.just("CRM"))
    fields["contact_name"] = draw(st.none() | st.sampled_from(["张伟", "李娜"]))
    if not any((fields["phone"], fields["email"], fields["device_id"])):
        fields["phone"] = PHONES[0]
    fields["hours_ago"] = draw(st.integers(0, 24 * 30))  # the back-dating window
    return fields


def _ids() -> Any:
    counter = iter(range(1, 10**6))
    return lambda: UUID(int=next(counter))


def run(captures: list[dict[str, Any]]) -> CrmApplication:
    clock = ManualClock(START)
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock, new_id=_ids())
    app.add_rep(parse_command(AddRep, {"actor": "admin", "rep_id": "li"}))
    app.add_rep(parse_command(AddRep, {"actor": "admin", "rep_id": "wang"}))
    for fields in captures:
        # Further apart than any back-dating, so no two captures are the same arrival.
        clock.advance(hours=24 * 30 + 1)
        data = {k: v for k, v in fields.items() if k != "hours_ago"}
        data["occurred_at"] = clock.now() - timedelta(hours=fields["hours_ago"])
        app.capture_lead(parse_command(CaptureLead, {"actor": "web-form", **data}))
    return app


def _components(captures: list[dict[str, Any]]) -> list[frozenset[str]]:
    """The buyers the captures describe: groups of keys linked through shared keys."""
    groups: list[set[str]] = []
    for fields in captures:
        keys = {str(fields[name]) for name in ("phone", "email", "device_id") if fields[name]}
        joined = [g for g in groups if g & keys]
        for g in joined:
            groups.remove(g)
            keys |= g
        groups.append(keys)
    return sorted((frozenset(g) for g in groups), key=sorted)


def _live_leads(app: CrmApplication) -> list[Lead]:
    ids = {e.originator_id for e in all_events(app) if isinstance(e, Lead.Captured)}
    leads = [app.load(lid) for lid in ids]
    return [lead for lead in leads if isinstance(lead, Lead) and lead.merged_into is None]


@settings(max_examples=40, deadline=None)
@given(st.lists(arrivals(), min_size=1, max_size=8), st.randoms())
def test_linked_arrivals_end_as_one_live_lead_in_any_order(
    captures: list[dict[str, Any]], random: Any
) -> None:
    shuffled = list(captures)
    random.shuffle(shuffled)
    for order in (captures, shuffled):
        leads = _live_leads(run(order))
        held = [
            frozenset(k.value.removeprefix("+86") for k in lead.identity_keys) for lead in leads
        ]
        assert sorted(held, key=sorted) == _components(order)
        assert sum(len(lead.touches) for lead in leads) == len(order)


@settings(max_examples=30, deadline=None)
@given(st.lists(arrivals(), min_size=1, max_size=6))
def test_every_recorded_score_is_what_the_rules_give_on_replay(
    captures: list[dict[str, Any]],
) -> None:
    app = run(captures)
    config = LeadConfig()
    for event in all_events(app):
        if not isinstance(event, Lead.Scored):
            continue
        # The lead as it stood just before it was scored, folded from its own events.
        lead: Any = None
        for earlier in app.repository.event_store.get(event.originator_id):
            if earlier.originator_version >= event.originator_version:
                break
            lead = earlier.mutate(lead)
        rating = score_lead(lead, config, event.timestamp)
        assert (rating.score, rating.terms) == (event.score, event.terms)
        assert event.route in ("owner", "pool", "assign")
        assert event.route != "assign" or rating.route == "assign"


@settings(max_examples=15, deadline=None)
@given(st.lists(arrivals(), min_size=1, max_size=6))
def test_the_same_captures_replay_to_the_same_events(captures: list[dict[str, Any]]) -> None:
    def fingerprint(app: CrmApplication) -> list[tuple[Any, ...]]:
        return [
            (type(e).__qualname__, e.originator_id, e.originator_version, e.__dict__)
            for e in all_events(app)
        ]

    assert fingerprint(run(captures)) == fingerprint(run(captures))
