"""A process hands the events it has just saved to its views (``ProjectionRunner.take``)
instead of reading them back at its next catch-up - only when they are the very next
events after every view's position, and never applying one twice."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Recording

from crmcore import CrmApplication
from projections.identity_index import IDENTITY_VIEW
from projections.ownership import OWNERSHIP_VIEW
from projections.runner import ProjectionRunner
from projections.tables import open_read_models
from tests.conftest import registration, view_rows

_VIEWS = (IDENTITY_VIEW, OWNERSHIP_VIEW)


def _register(app: CrmApplication, n: int) -> list[Recording[UUID]]:
    """Registers company ``n``; returns the recordings its save made (as ``_notify``
    receives them)."""
    head = app.recorder.max_notification_id() or 0
    name = f"测试{'甲乙丙丁戊己庚辛'[n]}科技有限公司"
    app.register_customer(registration(company_name=name, phone=f"1390000000{n}"))
    notifications = app.recorder.select_notifications(
        start=head, limit=1_000, inclusive_of_start=False
    )
    return [Recording(app.mapper.to_domain_event(n), n) for n in notifications]


def _rebuilt(app: CrmApplication) -> dict[str, list[tuple[Any, ...]]]:
    engine = open_read_models("sqlite://")
    ProjectionRunner(app, engine, _VIEWS).catch_up()
    return view_rows(engine, _VIEWS)


def test_the_next_events_are_applied_and_the_catch_up_then_reads_nothing(
    app: CrmApplication,
) -> None:
    runner = ProjectionRunner(app, open_read_models("sqlite://"), _VIEWS)
    _register(app, 0)
    runner.catch_up()
    recordings = _register(app, 1)
    assert runner.take(recordings)
    head = app.recorder.max_notification_id()
    assert runner.position(IDENTITY_VIEW.name) == runner.position(OWNERSHIP_VIEW.name) == head
    assert runner.catch_up() == 0
    assert view_rows(runner.engine, _VIEWS) == _rebuilt(app)


def test_events_with_another_writers_between_are_left_to_the_catch_up(
    app: CrmApplication,
) -> None:
    runner = ProjectionRunner(app, open_read_models("sqlite://"), _VIEWS)
    _register(app, 0)
    runner.catch_up()
    before = runner.position(IDENTITY_VIEW.name)
    first = _register(app, 1)  # "another process": this runner is not told
    second = _register(app, 2)
    assert not runner.take(second)
    assert runner.position(IDENTITY_VIEW.name) == before
    topics = {topic for view in _VIEWS for topic in view.topics}
    waiting = [r for r in first + second if r.notification.topic in topics]
    assert waiting
    assert runner.catch_up() == len(waiting)
    assert view_rows(runner.engine, _VIEWS) == _rebuilt(app)


def test_events_another_runner_applied_first_are_not_applied_twice(
    app: CrmApplication,
) -> None:
    engine = open_read_models("sqlite://")
    mine, theirs = ProjectionRunner(app, engine, _VIEWS), ProjectionRunner(app, engine, _VIEWS)
    _register(app, 0)
    mine.catch_up()
    recordings = _register(app, 1)
    theirs.catch_up()
    assert not mine.take(recordings)  # its compare-and-set finds the position moved
    assert mine.catch_up() == 0
    assert view_rows(engine, _VIEWS) == _rebuilt(app)


def test_a_runner_that_never_caught_up_takes_nothing(app: CrmApplication) -> None:
    runner = ProjectionRunner(app, open_read_models("sqlite://"), _VIEWS)
    assert not runner.take(_register(app, 0))
    assert not runner.take([])
    runner.catch_up()
    assert view_rows(runner.engine, _VIEWS) == _rebuilt(app)


def test_a_rebuild_by_a_runner_that_caught_up_before_refills_its_views(
    app: CrmApplication,
) -> None:
    runner = ProjectionRunner(app, open_read_models("sqlite://"), _VIEWS)
    _register(app, 0)
    _register(app, 1)
    runner.catch_up()
    before = view_rows(runner.engine, _VIEWS)
    assert any(before.values())
    assert runner.rebuild() > 0, "the positions it remembered must not stop the refill"
    assert view_rows(runner.engine, _VIEWS) == before


def test_a_view_reset_by_another_runner_meanwhile_is_caught_up_from_its_start(
    app: CrmApplication,
) -> None:
    """A rebuild empties a view, then refills it in another transaction: a runner that
    catches up in between, from the position it remembered, must not fill the view
    with only the newest events (it would skip the rest for good)."""
    engine = open_read_models("sqlite://")
    mine, rebuilding = ProjectionRunner(app, engine, _VIEWS), ProjectionRunner(app, engine, _VIEWS)
    _register(app, 0)
    mine.catch_up()
    _register(app, 1)
    rebuilding.catch_up()
    for view in _VIEWS:  # the first half of ``rebuild``: empty, position None
        rebuilding._reset(view)
    _register(app, 2)
    mine.catch_up()
    assert view_rows(engine, _VIEWS) == _rebuilt(app)
