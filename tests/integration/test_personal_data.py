"""Personal data at rest, on SQLite and PostgreSQL: sealed in the events, keyed hashes in
the key indexes, erased by destroying a key - and everything else still replays."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, select

from adapters.bootstrap import application, caught_up_views, open_views
from adapters.settings import Settings, load_settings
from crmcore import (
    AddIdentityKey,
    CorrectContactDetails,
    ManualClock,
    MergeCustomers,
    RegisterCustomer,
    SplitCustomer,
    parse_command,
)
from crmcore.audit.queries import OwnerAtQuery
from crmcore.customers.erasure import EraseCustomer
from crmcore.domain import Collision
from crmcore.errors import (
    CrmError,
    CustomerErased,
    DuplicateCustomer,
    OwnershipRefused,
    ValidationFailed,
)
from crmcore.identity import normalise_key
from crmcore.identity.filing import record_profile
from crmcore.leads.commands import CaptureLead, ConvertLead
from crmcore.personal_data import ERASED
from projections.customer_directory import DIRECTORY_VIEW
from projections.identity_index import IDENTITY_VIEW
from projections.leads import LEADS_VIEW
from projections.registry import ALL_VIEWS
from tests.conftest import START, STORES, all_events, hire, view_rows

PHONE, EMAIL, CONTACT = "13812345678", "zhang.wei@xinghe.cn", "张伟"
SECRETS = (PHONE, EMAIL, CONTACT)


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(params=STORES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        from tests.postgres_server import fresh_database

        return fresh_database()
    return str(tmp_path / "crm.db")


def settings(db: str, key: str | None, *previous: str) -> Settings:
    pii: dict[str, Any] = {"master_key": key} if key else {}
    if previous:
        pii["previous_master_keys"] = list(previous)
    # dpo, the data-protection officer, is a data steward: may erase anyone's customer.
    return load_settings(environ={}, db=db, pii=pii, actor="li",
                         ownership={"data_stewards": ["dpo"]})


def database_holds(db: str, text: str) -> list[str]:
    """The tables (events, data keys, every view) where ``text`` appears in any column."""
    url = db if "://" in db else f"sqlite:///{db}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    found = []
    try:
        with engine.connect() as connection:
            for table in inspect(engine).get_table_names():
                for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"'):
                    for value in row:
                        raw = bytes(value) if isinstance(value, bytes | memoryview) else None
                        if (raw is not None and text.encode() in raw) or (
                            raw is None and text in str(value)
                        ):
                            found.append(table)
    finally:
        engine.dispose()
    return found


def register(app: Any, **fields: Any) -> Any:
    return app.register_customer(parse_command(RegisterCustomer, {"actor": "li", **fields}))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def book(db: str, clock: ManualClock) -> tuple[Settings, Any]:
    """An encrypted book with one customer (phone, e-mail, contact) and a refused
    duplicate of it; yields the settings and the customer's id."""
    config = settings(db, new_key())
    with application(config, clock) as app:
        hire(app, "li")  # a customer li registers is li's
        cid = register(
            app,
            company_name="北京星河数据科技有限公司",
            contact_name=CONTACT,
            phone=PHONE,
            email=EMAIL,
        )
        with pytest.raises(DuplicateCustomer):
            register(app, company_name="上海另一家贸易有限公司", phone=PHONE)
    return config, cid


def test_personal_values_are_sealed_and_key_indexes_are_keyed_hashes(
    book: tuple[Settings, Any], clock: ManualClock
) -> None:
    config, cid = book
    with caught_up_views(config):
        pass  # the views are in the same database: they match and show live customers
    for secret in SECRETS:
        held = database_holds(config.db, secret)
        assert not {"stored_events", "crm_data_keys"} & set(held), (secret, held)
    with application(config, clock) as app:
        customer = app.get_customer(cid)
        assert (customer.phones, customer.emails, customer.contact_name) == (
            ("+86" + PHONE,), (EMAIL,), CONTACT)
        key = normalise_key("phone", PHONE)
        index = app.find_index(key)
        assert index is not None
        assert index.holder == cid
        assert index.id != key.index_id  # not the plain uuid5 anyone could compute
        assert index.value.startswith("hmac-sha256:")
        assert PHONE not in index.value


def test_an_encrypted_book_opens_only_with_its_key_and_a_plain_one_refuses_a_key(
    db: str, book: tuple[Settings, Any], tmp_path: Path
) -> None:
    config, _ = book
    for wrong in (settings(config.db, None), settings(config.db, new_key())):
        with pytest.raises(ValidationFailed) as refused, application(wrong):
            pass
        assert refused.value.field == "pii.master_key"
    plain = str(tmp_path / "plain.db") if "://" not in db else None
    if plain:
        with application(settings(plain, None)) as app:
            register(app, company_name="广州南方电器有限公司", phone="13900139000")
        with pytest.raises(ValidationFailed) as late, application(settings(plain, new_key())):
            pass
        assert late.value.field == "pii.master_key"
        assert "created" in str(late.value)


def test_erasure_destroys_the_key_and_history_audit_and_views_still_answer(
    book: tuple[Settings, Any], clock: ManualClock
) -> None:
    config, cid = book
    clock.advance(hours=1)
    with application(config, clock) as app:
        erased = app.erase_customer(
            parse_command(EraseCustomer, {"actor": "dpo", "customer_id": cid, "reason": "R-17"})
        )
        assert erased == [cid]
        customer = app.get_customer(cid)
        assert (customer.phones, customer.emails, customer.contact_name) == ((), (), None)
        assert customer.company_name == "北京星河数据科技有限公司"
        registered = app.history(cid)[0]
        assert (list(registered.phones), list(registered.emails), registered.contact_name) == (
            [ERASED], [ERASED], ERASED)
        answer = app.owner_at(OwnerAtQuery(customer_id=cid))
        assert (answer.owner, answer.status) == ("li", "owned")
        # The phone is free again; the erased customer takes no personal data.
        again = register(app, company_name="深圳前海新创科技有限公司", phone=PHONE)
        assert again != cid
        with pytest.raises(CustomerErased):
            app.add_identity_key(parse_command(
                AddIdentityKey, {"actor": "li", "customer_id": cid, "kind": "email",
                                 "value": "new@xinghe.cn"}))
        # Running it again finishes nothing new and fails nothing.
        assert app.erase_customer(
            parse_command(EraseCustomer, {"actor": "dpo", "customer_id": cid, "reason": "R-17"})
        ) == [cid]
    with caught_up_views(config, DIRECTORY_VIEW):
        pass
    for secret in (EMAIL, CONTACT):  # the phone now belongs to the new customer
        assert database_holds(config.db, secret) == [], secret


def test_a_lead_that_became_the_customer_is_erased_with_it(db: str, clock: ManualClock) -> None:
    """The lead's own events hold the same person's data, under the lead's key: the
    erasure destroys it too, and frees the lead's keys - the person arriving again is a
    new lead, not a touch on the erased customer."""
    config = settings(db, new_key())
    form = {"channel": "web", "company_name": "成都天府软件有限公司", "contact_name": CONTACT,
            "phone": PHONE, "email": EMAIL, "intent": "CRM"}
    with application(config, clock) as app:
        hire(app, "li")
        lead_id = app.capture_lead(parse_command(CaptureLead, {"actor": "forms", **form})).lead_id
        cid = app.convert_lead(ConvertLead(actor="li", lead_id=lead_id)).customer_id
        subjects = app.erase_customer(parse_command(
            EraseCustomer, {"actor": "dpo", "customer_id": cid, "reason": "R-3"}))
        assert subjects == [cid, lead_id]
        lead = app.get_lead(lead_id)
        assert (lead.contact_name, lead.company_name) == (ERASED, "成都天府软件有限公司")
    with caught_up_views(config):
        pass
    for secret in (EMAIL, CONTACT):
        assert database_holds(config.db, secret) == [], secret
    with application(config, clock) as app:
        clock.advance(hours=1)
        # The same person's phone and e-mail, no company (the company is still the
        # customer: a touch on it would add personal data, and is refused).
        person = {k: v for k, v in form.items() if k != "company_name"}
        again = app.capture_lead(parse_command(CaptureLead, {"actor": "forms", **person}))
        assert (again.outcome, again.customer_id) == ("created", None)
        assert again.lead_id != lead_id
        with pytest.raises(CustomerErased):
            app.capture_lead(parse_command(CaptureLead, {"actor": "forms", **form}))


def test_only_who_may_change_the_customer_may_erase_it(
    book: tuple[Settings, Any], clock: ManualClock
) -> None:
    config, cid = book
    with application(config, clock) as app:
        hire(app, "wang")
        before = len(app.customer_events(cid))
        with pytest.raises(OwnershipRefused):
            app.erase_customer(parse_command(
                EraseCustomer, {"actor": "wang", "customer_id": cid, "reason": "R-5"}))
        assert app.get_customer(cid).contact_name == CONTACT  # nothing erased
        assert len(app.customer_events(cid)) == before
        recorded = [(e.rep, e.customer_id) for e in all_events(app)
                    if isinstance(e, Collision.Recorded) and e.attempted == "erase_customer"]
        assert recorded == [("wang", cid)]  # the attempt is on record


def test_views_rebuilt_after_an_erasure_equal_the_views_that_followed_it(
    book: tuple[Settings, Any], clock: ManualClock
) -> None:
    config, cid = book
    with application(config, clock) as app:
        followed = open_views(config, app)
        followed.catch_up()
        app.erase_customer(
            parse_command(EraseCustomer, {"actor": "dpo", "customer_id": cid, "reason": "R-9"})
        )
        followed.catch_up()
        incremental = view_rows(followed.engine, ALL_VIEWS)
        followed.engine.dispose()
        fresh = open_views(config.model_copy(update={"read_model_url": "sqlite://"}), app)
        fresh.catch_up()
        assert view_rows(fresh.engine, ALL_VIEWS) == incremental
        with followed.engine.connect() as connection:
            row = connection.execute(select(DIRECTORY_VIEW.tables[0])).mappings().one()
        assert row["contact_name"] == ERASED


def test_rotation_rewraps_every_key_and_the_old_master_stops_opening_the_book(
    db: str, clock: ManualClock
) -> None:
    old, new = new_key(), new_key()
    with application(settings(db, old), clock) as app:
        cid = register(app, company_name="杭州西湖茶业有限公司", contact_name="王芳", phone=PHONE)
    with application(settings(db, new, old), clock) as app:
        vault: Any = app.protection
        assert vault.rotate() == (2, 0)  # the customer's key and the index secret
        assert vault.rotate() == (0, 2)
    with application(settings(db, new), clock) as app:
        assert app.get_customer(cid).contact_name == "王芳"
    with pytest.raises(ValidationFailed) as refused, application(settings(db, old), clock) as app:
        app.get_customer(cid)
    assert refused.value.field == "pii.master_key"


@st.composite
def erasure_plans(draw: st.DrawFn) -> list[tuple[str, int]]:
    steps = ["register", "register", "register", "erase", "merge", "merge", "split",
             "correct", "key", "lead", "convert"]
    return draw(st.lists(st.tuples(st.sampled_from(steps), st.integers(0, 5)), max_size=16))


def opened_rows(runner: Any) -> str:
    """Every view's rows with their personal values opened, as text."""
    with runner.engine.connect() as connection:
        directory = [
            runner.personal.open(UUID(row.customer_id), row.contact_name)
            for row in connection.execute(select(DIRECTORY_VIEW.tables[0]))
        ]
        leads = [
            runner.personal.open(UUID(row.lead_id), row.name)
            for row in connection.execute(select(LEADS_VIEW.tables[0]))
        ]
        profiles = [
            runner.personal.decode_profile(row.profile, UUID(row.customer_id))
            for row in connection.execute(select(IDENTITY_VIEW.tables[0]))
        ]
    return str((directory, leads, profiles))


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
           HealthCheck.function_scoped_fixture])
@given(erasure_plans())
def test_erasures_in_random_histories_leave_views_and_replays_consistent(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[str, int]]
) -> None:
    """Whatever the order of registrations, merges, splits, corrections, lead
    conversions and erasures: the views that followed equal the views rebuilt from the
    log afterwards, byte for byte (sealed values included), every customer still
    answers who owned it, no contact is stored readable in any view, and once opened
    with the keys no erased person's contact is found either."""
    clock = ManualClock(START)
    config = settings(str(tmp_path_factory.mktemp("erase") / "crm.db"), new_key())
    customers: list[Any] = []
    leads: list[Any] = []
    merged: list[Any] = []
    contact: dict[Any, str] = {}
    erased: set[Any] = set()
    with application(config, clock) as app:
        hire(app, "li")
        followed = open_views(config.model_copy(update={"read_model_url": "sqlite://"}), app)
        followed.catch_up()
        for number, (step, n) in enumerate(plan):
            clock.advance(hours=1)
            target = customers[n % len(customers)] if customers else None
            try:
                if step == "register":
                    name = f"联系人{number}号"
                    cid = register(app, company_name=f"第{number}号数据科技有限公司",
                                   contact_name=name, phone=f"1390013900{n}")
                    customers.append(cid)
                    contact[cid] = name
                elif step == "lead":
                    name = f"联系人{number}号"
                    lead = app.capture_lead(parse_command(CaptureLead, {
                        "actor": "forms", "channel": "web", "contact_name": name,
                        "phone": f"1370013700{n}", "device_id": f"device-{number}"})).lead_id
                    leads.append(lead)
                    contact[lead] = name
                elif step == "convert" and leads:
                    lead = leads[n % len(leads)]
                    cid = app.convert_lead(ConvertLead(actor="li", lead_id=lead)).customer_id
                    customers.append(cid)
                    contact[cid] = contact[lead]
                elif step == "erase" and target:
                    erased.update(app.erase_customer(parse_command(EraseCustomer, {
                        "actor": "dpo", "customer_id": target, "reason": "asked"})))
                elif step == "merge" and len(customers) > 1:
                    other = customers[(n + 1) % len(customers)]
                    app.merge_customers(parse_command(MergeCustomers, {
                        "actor": "li", "survivor_id": other, "absorbed_id": target,
                        "reason": "the same company"}))
                    merged.append(target)
                elif step == "split" and merged:
                    app.split_customer(parse_command(SplitCustomer, {
                        "actor": "li", "tombstone_id": merged[n % len(merged)],
                        "reason": "two companies after all"}))
                elif step == "correct" and target:
                    app.correct_contact_details(parse_command(CorrectContactDetails, {
                        "actor": "li", "customer_id": target, "contact_name": f"改名{n}"}))
                elif step == "key" and target:
                    app.add_identity_key(parse_command(AddIdentityKey, {
                        "actor": "li", "customer_id": target, "kind": "email",
                        "value": f"c{n}@example.cn"}))
            except CrmError:  # refused (a duplicate, an erased customer): nothing changed
                pass
            followed.catch_up()
        rebuilt = open_views(config.model_copy(update={"read_model_url": "sqlite://"}), app)
        rebuilt.catch_up()
        assert view_rows(rebuilt.engine, ALL_VIEWS) == view_rows(followed.engine, ALL_VIEWS)
        for cid in customers:
            assert app.owner_at(OwnerAtQuery(customer_id=cid)).customer_id == cid
            if cid in erased:
                assert app.get_customer(cid).contact_name is None
        for runner in (followed, rebuilt):
            stored = str(view_rows(runner.engine, ALL_VIEWS))
            assert "联系人" not in stored
            assert "lianxiren" not in stored
            opened = opened_rows(runner)
            for subject in erased & contact.keys():
                assert contact[subject] not in opened, subject
            runner.engine.dispose()
    # Nothing personal is ever stored readable in the log or beside it.
    assert database_holds(config.db, "联系人") == []


def test_text_that_looks_sealed_is_kept_as_typed(db: str, clock: ManualClock) -> None:
    """A reason quoting the seal's prefix asks for no key; a contact name that starts with
    it is sealed like any other and reads back as typed."""
    config = settings(db, new_key())
    with application(config, clock) as app:
        plain = app.register_customer(parse_command(RegisterCustomer, {
            "actor": "li", "company_name": "广州南方电器有限公司", "reason": "pii1:AAAA"}))
        odd = register(app, company_name="深圳前海新创科技有限公司", contact_name="pii1:王")
    with application(config, clock) as app:
        assert app.history(plain)[0].reason == "pii1:AAAA"
        assert app.get_customer(odd).contact_name == "pii1:王"


def test_a_view_seals_under_its_subjects_key_and_reads_erased_once_the_key_is_gone(
    db: str, clock: ManualClock
) -> None:
    """What a view keeps is sealed under the subject's key - made and committed at once
    for a subject that has none yet - deterministically (a rebuild writes the same
    bytes), and reads [erased] in every process once the key is destroyed."""
    config = settings(db, new_key())
    subject = uuid4()  # no event, so no key yet
    with application(config, clock) as app:
        vault: Any = app.protection
        sealed = vault.seal_value(subject, "王芳")
        assert sealed.startswith("pii1s:")
        assert "王芳" not in sealed
        assert vault.seal_value(subject, "王芳") == sealed
        vault.forget([subject])  # read back from the table: the key was committed
        assert vault.open_value(subject, sealed) == "王芳"
        assert vault.open_value(subject, "plain text") == "plain text"
    with application(config, clock) as app:
        other: Any = app.protection
        assert other.open_value(subject, sealed) == "王芳"
        other.erase([subject], clock.now())
        assert other.open_value(subject, sealed) == ERASED
        assert other.seal_value(subject, "王芳") == ERASED
    with application(config, clock) as app:  # another process: the key table is the truth
        third: Any = app.protection
        assert third.open_value(subject, sealed) == ERASED


def test_a_check_reads_its_sealed_candidates_keys_with_the_candidates(
    db: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the views in the store's database (the default), a process that has never
    seen a customer opens its sealed profile with the key read in the candidates' own
    query - no second round trip - and a key destroyed meanwhile reads as erased."""
    config = settings(db, new_key())
    assert config.read_models_beside_events
    with application(config, clock) as app:
        hire(app, "li")
        cid = register(app, company_name="北京星河数据科技有限公司", contact_name=CONTACT,
                       phone=PHONE)
        other = register(app, company_name="北京星河数据科技有限公司（朝阳）", phone="13900001111")
    probe = record_profile(parse_command(RegisterCustomer, {
        "actor": "li", "company_name": "北京星河数据科技有限公司", "contact_name": CONTACT,
    }).record())

    def candidates() -> dict[Any, Any]:
        """The probe's candidates as a new process reads them, no key read apart."""
        with application(config, clock) as app:
            app.identity.catch_up()

            def no_second_trip(*_: Any) -> None:
                raise AssertionError("a candidate's key was read apart from the candidate")

            with monkeypatch.context() as patch:
                patch.setattr(app.protection, "_rows", no_second_trip)
                return {e.customer_id: e.profile for e in app.identity.source.candidates(probe)}

    found = candidates()
    assert set(found) == {cid, other}
    assert found[cid].contact is not None
    assert found[cid].contact.raw == CONTACT
    assert found[cid].national_phones == (f"86:{PHONE}",)
    assert found[other].national_phones == ("86:13900001111",)
    # A key destroyed under a view that was not told (the rare path: the command
    # settles the views first): the candidate is read, its personal half is not.
    with application(config, clock) as app:
        app.protection.erase([other], clock.now())
    found = candidates()
    assert found[cid].national_phones == (f"86:{PHONE}",)
    assert found[other].national_phones == ()
    assert found[other].contact is None


def test_a_customer_split_off_after_its_survivor_was_erased_comes_back_erased(
    db: str, clock: ManualClock
) -> None:
    """The erasure destroyed the tombstone's key with the survivor's: split off, it is
    an erased customer (its own Erased event), not one whose contact reads "[erased]"."""
    config = settings(db, new_key())
    with application(config, clock) as app:
        hire(app, "li")
        first = register(app, company_name="第一数据科技有限公司", contact_name="联系人甲",
                         phone="13800138000")
        survivor = register(app, company_name="第二数据科技有限公司", contact_name="联系人乙")
        app.merge_customers(parse_command(MergeCustomers, {
            "actor": "li", "survivor_id": survivor, "absorbed_id": first, "reason": "same"}))
        clock.advance(hours=1)
        assert set(app.erase_customer(parse_command(EraseCustomer, {
            "actor": "dpo", "customer_id": survivor, "reason": "asked"}))) == {first, survivor}
        clock.advance(hours=1)
        app.split_customer(parse_command(SplitCustomer, {
            "actor": "li", "tombstone_id": first, "reason": "two companies"}))
        back = app.get_customer(first)
        assert (back.merged_into, back.contact_name, back.phones) == (None, None, ())
        assert back.erased_at == clock.now()
        assert type(app.history(first)[-1]).__name__ == "Erased"
        with pytest.raises(CustomerErased):
            app.add_identity_key(parse_command(AddIdentityKey, {
                "actor": "li", "customer_id": first, "kind": "phone", "value": "13800138000"}))
