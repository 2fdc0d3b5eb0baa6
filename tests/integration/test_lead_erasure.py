"""Erasing a lead that never became a customer, on both stores: its data key (and those
of the leads merged into it) is destroyed, its keys are released, and the buyer
arriving again starts a new lead; a converted lead is erased with its customer."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.bootstrap import application, caught_up_views
from crmcore import ManualClock, parse_command
from crmcore.domain import Collision
from crmcore.errors import LeadRefused, OwnershipRefused, ValidationFailed
from crmcore.leads.commands import CaptureLead, ConvertLead
from crmcore.leads.erasure import EraseLead
from tests.conftest import all_events, hire
from tests.integration.test_personal_data import (
    CONTACT,
    EMAIL,
    PHONE,
    database_holds,
    new_key,
    settings,
)
from tests.integration.test_personal_data import db as db  # a fixture

FORM = {"channel": "web", "company_name": "成都天府软件有限公司", "contact_name": CONTACT,
        "phone": PHONE, "email": EMAIL, "device_id": "fp-7f3a9c", "intent": "CRM"}


def _capture(app: Any, **fields: Any) -> UUID:
    lead_id: UUID = app.capture_lead(
        parse_command(CaptureLead, {"actor": "forms", **fields})).lead_id
    return lead_id


def _erase(app: Any, lead_id: UUID, actor: str = "dpo") -> list[UUID]:
    subjects: list[UUID] = app.erase_lead(
        parse_command(EraseLead, {"actor": actor, "lead_id": lead_id, "reason": "PIPL R-9"}))
    return subjects


def test_an_erased_lead_is_unreadable_and_the_buyer_arriving_again_starts_a_new_lead(
    db: str, clock: ManualClock
) -> None:
    config = settings(db, new_key())
    with application(config, clock) as app:
        lead_id = _capture(app, **FORM)
        assert _erase(app, lead_id) == [lead_id]
        erased = app.get_lead(lead_id)
        assert (erased.contact_name, erased.keys) == (None, ())
        assert erased.company_name == "成都天府软件有限公司"  # a business, not a person
        assert erased.erased_at is not None
        events = len(all_events(app))
        assert _erase(app, lead_id) == [lead_id]  # again: finishes, records nothing new
        assert len(all_events(app)) == events

        with pytest.raises(LeadRefused) as refused:
            app.convert_lead(ConvertLead(actor="li", lead_id=lead_id))
        assert refused.value.rule == "erased"

        clock.advance(hours=1)
        again = app.capture_lead(parse_command(CaptureLead, {"actor": "forms", **FORM}))
        assert again.outcome == "created"
        assert again.lead_id not in (None, lead_id)
        assert len(app.get_lead(again.lead_id).keys) == 3  # phone, e-mail, device: retaken
    with caught_up_views(config):
        pass
    # The new lead holds the same values under its own key; the erased one's are gone:
    # no table holds them in clear either way.
    for secret in (PHONE, EMAIL, CONTACT, "fp-7f3a9c"):
        assert database_holds(config.db, secret) == [], secret


def test_leads_merged_into_the_erased_one_go_with_it(db: str, clock: ManualClock) -> None:
    config = settings(db, new_key())
    with application(config, clock) as app:
        by_phone = _capture(app, channel="ad", contact_name=CONTACT, phone=PHONE)
        clock.advance(minutes=5)
        by_mail = _capture(app, channel="exhibition", email=EMAIL)
        clock.advance(minutes=5)
        both = app.capture_lead(parse_command(
            CaptureLead, {"actor": "forms", "channel": "web", "phone": PHONE, "email": EMAIL}))
        assert both.outcome == "joined_lead"
        survivor = both.lead_id
        assert survivor is not None
        absorbed = ({by_phone, by_mail} - {survivor}).pop()
        assert sorted(_erase(app, by_mail), key=str) == sorted([survivor, absorbed], key=str)
        clock.advance(hours=1)
        fresh = app.capture_lead(parse_command(
            CaptureLead, {"actor": "forms", "channel": "phone", "phone": PHONE}))
        assert fresh.outcome == "created"


def test_a_converted_lead_is_erased_with_its_customer_and_a_plain_book_refuses(
    db: str, clock: ManualClock
) -> None:
    config = settings(db, new_key())
    with application(config, clock) as app:
        hire(app, "li")
        lead_id = _capture(app, **FORM)
        customer = app.convert_lead(ConvertLead(actor="li", lead_id=lead_id)).customer_id
        with pytest.raises(LeadRefused) as refused:
            _erase(app, lead_id)
        assert (refused.value.rule, refused.value.customer_id) == ("converted", customer)
    if "://" in db:
        return  # the PostgreSQL database above is encrypted; the plain case runs on SQLite
    with application(settings(str(Path(db).with_name("plain.db")), None), clock) as app:
        lead_id = _capture(app, **FORM)
        with pytest.raises(ValidationFailed) as missing:
            _erase(app, lead_id)
        assert missing.value.field == "pii.master_key"


def test_only_who_may_change_the_lead_may_erase_it(db: str, clock: ManualClock) -> None:
    config = settings(db, new_key())
    with application(config, clock) as app:
        hire(app, "li", "wang")
        lead_id = _capture(app, **FORM)
        owner = app.get_lead(lead_id).owner
        assert owner in ("li", "wang"), "a hot lead is assigned to a rep"
        other = "wang" if owner == "li" else "li"
        with pytest.raises(OwnershipRefused):
            _erase(app, lead_id, actor=other)
        assert app.get_lead(lead_id).contact_name == CONTACT  # nothing erased
        recorded = [e.rep for e in all_events(app)
                    if isinstance(e, Collision.Recorded) and e.attempted == "erase_lead"]
        assert recorded == [other]
        assert _erase(app, lead_id, actor=owner) == [lead_id]
