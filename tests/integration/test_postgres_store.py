"""The reads crmcore adds to eventsourcing's recorders, on both stores: many aggregates'
events in one query, and how many events a follower has still to read."""

from __future__ import annotations

from crmcore import CrmApplication
from tests.conftest import all_events, register


def test_many_aggregates_are_read_at_once_and_a_followers_lag_is_counted(
    store_env: dict[str, str],
) -> None:
    app = CrmApplication(store_env)
    try:
        ids = [register(app, actor="li", company_name=name, phone=phone) for name, phone in (
            ("上海东方物流有限公司", "13800138000"), ("广州南方电器有限公司", "13900139000"))]
        found = app.recorder.select_events_of_many([*ids, ids[0]])
        assert set(found) == set(ids)
        for cid in ids:
            stored = [(e.originator_version, e.topic) for e in found[cid]]
            expected = [(e.originator_version, e.topic) for e in
                        app.recorder.select_events(cid)]
            assert stored == expected
        events = len(all_events(app))
        first = app.recorder.select_notifications(start=None, limit=1)[0].id
        assert app.recorder.count_notifications_after(None) == events
        assert app.recorder.count_notifications_after(first) == events - 1
    finally:
        app.close()
