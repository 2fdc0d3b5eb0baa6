"""Hostile input at every command: huge strings, control characters, SQL and formula
injection, lone surrogates, wrong types, unknown fields. Each command either is valid
or raises ValidationFailed naming one of its fields; a valid one run against a book
answers or raises a crmcore error, and a refused one leaves the book as it was (but for
the record of the refusal, which the spec asks for)."""

from __future__ import annotations

import inspect
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import count
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

# Every module that defines commands; a new one is added here and is fuzzed at once.
import crmcore.customers.erasure
import crmcore.leads.commands
import crmcore.opportunities.commands
import crmcore.orders.commands
from crmcore import CrmApplication, CrmError, ManualClock, parse_command
from crmcore.commands import Command
from crmcore.domain import Collision, DuplicateAttempt, RuleSet
from crmcore.errors import RefusedByRule, ValidationFailed
from tests.conftest import START, event_count, hire, register

import crmcore.ownership.commands  # noqa: F401  isort: skip


def _concrete(cls: type[Command]) -> list[type[Command]]:
    found = []
    for sub in cls.__subclasses__():
        if not sub.__name__.startswith("_"):
            found.append(sub)
        found.extend(_concrete(sub))
    return found


COMMANDS = sorted(set(_concrete(Command)), key=lambda c: c.__name__)
KNOWN = [UUID(int=n) for n in range(1, 7)]  # the ids the book below hands out

HOSTILE_TEXT = (
    "A" * 100_000,
    "\x00\x01\x02\x1b[31m\x7f",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(A1:A9)",
    "'; DROP TABLE stored_events; --",
    "\ud800lone surrogate",
    "\u202eevil\u202c",
    "１３８００１３８０００",
    " \t\r\n ",
    "",
    "phone:+8613800138000",
    "pii1:AAAA",
    "[erased]",
    "null",
    "2026-02-30T25:61:00",
    "-1e309",
)
hostile = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.sampled_from(HOSTILE_TEXT[1:]), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    st.sampled_from(KNOWN),
    st.uuids(),
)


REPS = ("li", "wang", "boss")
WORDS = ("北京星河数据科技有限公司", "13900139000", "ops@xinghe.cn", "需求", "li", "north")


def _plausible(annotation: Any) -> st.SearchStrategy[Any]:
    """A value a form could send for a field of this type (so that a command gets past
    validation often enough for the handlers to meet the hostile parts too)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _plausible(args[0])
    if origin in (Union, UnionType):
        return st.one_of(*(_plausible(arg) for arg in args))
    if origin is Literal:
        return st.sampled_from(args)
    if origin in (list, tuple, set, frozenset):
        return st.lists(_plausible(args[0]) if args else st.text(max_size=5), max_size=2)
    if origin is dict:
        return st.just({})
    if annotation is type(None):
        return st.none()
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return st.sampled_from(list(annotation))
        if issubclass(annotation, bool):
            return st.booleans()
        if issubclass(annotation, UUID):
            return st.sampled_from(KNOWN)
        if issubclass(annotation, datetime):
            return st.just(START)
        if issubclass(annotation, date):
            return st.just(START.date())
        if issubclass(annotation, int | float | Decimal):
            return st.integers(1, 5000)
    return st.sampled_from(WORDS + REPS)


@st.composite
def raw_commands(draw: st.DrawFn) -> tuple[type[Command], dict[str, Any]]:
    """A command with plausible values, a few of them (or none) replaced by hostile ones,
    sometimes with a field nobody has."""
    cls = draw(st.sampled_from(COMMANDS))
    data: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if field.is_required() or draw(st.booleans()):
            data[name] = draw(_plausible(field.annotation))
    data["actor"] = draw(st.sampled_from(REPS))
    for name in draw(st.lists(st.sampled_from(sorted(cls.model_fields)), max_size=2)):
        data[name] = draw(hostile)
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(min_size=1, max_size=8))] = draw(hostile)  # a field nobody has
    return cls, data


def _field_names(cls: type[Command]) -> set[str]:
    names = set(cls.model_fields)
    names |= {field.alias for field in cls.model_fields.values() if field.alias}
    return names | {"phone", "email", "source_tag", "command"}


def _handler(app: CrmApplication, cls: type[Command]) -> Any:
    """The application's method taking this command (by its annotation, which may be a
    union of commands)."""
    for name in dir(type(app)):
        function = getattr(type(app), name)
        if name.startswith("_") or not inspect.isfunction(function):
            continue
        parameters = list(inspect.signature(function).parameters.values())[1:]
        if parameters and cls.__name__ in str(parameters[0].annotation).split(" | "):
            return getattr(app, name)
    return None


def _book() -> CrmApplication:
    ids = count(1)
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                         clock=ManualClock(START), new_id=lambda: UUID(int=next(ids)))
    hire(app, "li", "wang", team="north")
    hire(app, "boss", supervisor=True, team="north")
    register(app, actor="li", company_name="北京星河数据科技有限公司", phone="13800138000")
    register(app, actor="wang", company_name="上海东方物流有限公司", email="ops@dongfang.cn")
    return app


def test_every_command_is_fuzzed_and_has_a_handler() -> None:
    app = _book()
    unhandled = [cls.__name__ for cls in COMMANDS if _handler(app, cls) is None]
    assert len(COMMANDS) >= 25
    # Commands handled outside the application's one-command methods.
    assert unhandled == [], unhandled


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_commands())
def test_hostile_input_is_refused_naming_the_field_and_changes_nothing(
    raw: tuple[type[Command], dict[str, Any]],
) -> None:
    cls, data = raw
    try:
        command = parse_command(cls, data)
    except ValidationFailed as refused:
        event("refused by validation")
        _names_a_field(refused, cls, data)
        return
    app = _book()
    handler = _handler(app, cls)
    before = event_count(app)
    event(f"ran {cls.__name__}")
    try:
        handler(command)
    except RefusedByRule:
        assert _added(app, before) <= {Collision.Recorded, DuplicateAttempt.Blocked}
    except CrmError:
        assert _added(app, before) == set()


def _names_a_field(refused: ValidationFailed, cls: type[Command], data: dict[str, Any]) -> None:
    root = refused.field.split(".")[0].split("[")[0]
    named = refused.field in data or root in _field_names(cls)  # an unknown one: as sent
    assert named, (cls.__name__, refused.field[:80])
    assert str(refused)


def _added(app: CrmApplication, before: int) -> set[type[Any]]:
    """The kinds of event stored since ``before`` events, but for the adoption of the
    rules in force (recorded, by ``system:config``, the first time a process uses them:
    a fact about the configuration, not about the command)."""
    recorded = app.recorder.select_notifications(start=None, limit=10**6)[before:]
    kinds = {type(app.mapper.to_domain_event(n)) for n in recorded}
    return {kind for kind in kinds if not issubclass(kind, RuleSet.Event)}
