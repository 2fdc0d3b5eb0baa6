"""Several runners catching up the same views at once, while customers are registered:
each event is applied once, whoever applies it, and the views end as a fresh build.

This is the multi-writer case on PostgreSQL (every writer catches the identity view up
before it decides) and a command beside ``crm projections run`` on SQLite. A runner
that waited on another's lock finds the positions moved and applies only what is left
of its page; an event applied twice would break the identity view's unique entry ids
or double a view's counts, and the comparison with the rebuild would fail.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from crmcore import CrmApplication, ManualClock
from projections.registry import ALL_VIEWS
from projections.runner import ProjectionRunner
from projections.tables import open_read_models
from tests.conftest import START, STORES, registration, store_settings_env, view_rows

RUNNERS = 3
CUSTOMERS = 40


def _views_url(store: str, tmp_path: Path) -> str:
    if store == "postgres":
        from tests.postgres_server import postgres_views_url

        return postgres_views_url()
    return f"sqlite:///{tmp_path / 'views.db'}"


@pytest.mark.parametrize("store", STORES)
def test_runners_catching_up_together_apply_each_event_once(store: str, tmp_path: Path) -> None:
    app = CrmApplication(store_settings_env(store, tmp_path), clock=ManualClock(START))
    url = _views_url(store, tmp_path)
    engines: list[Engine] = [open_read_models(url) for _ in range(RUNNERS)]
    runners = [ProjectionRunner(app, engine, ALL_VIEWS, batch_size=7) for engine in engines]
    failures: list[BaseException] = []
    read = [0] * RUNNERS

    def catch_up(n: int, ready: threading.Barrier) -> None:
        try:
            ready.wait(timeout=60)
            read[n] += runners[n].catch_up()
        except BaseException as error:  # reported by the test, not lost in a thread
            failures.append(error)

    for n in range(CUSTOMERS):
        app.register_customer(
            registration(company_name=f"并发{n:03d}号科技有限公司", phone=f"1390001{n:04d}")
        )
        # Every round, all runners start their catch-up of the new events together.
        ready = threading.Barrier(RUNNERS)
        threads = [threading.Thread(target=catch_up, args=(r, ready)) for r in range(RUNNERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
    assert all(read), read

    fresh = ProjectionRunner(app, open_read_models("sqlite://"), ALL_VIEWS)
    fresh.catch_up()
    head = app.recorder.max_notification_id()
    for runner in runners:
        assert all(runner.position(view.name) == head for view in ALL_VIEWS)
    assert view_rows(engines[0], ALL_VIEWS) == view_rows(fresh.engine, ALL_VIEWS)
    for engine in engines:
        engine.dispose()
    app.close()
