"""The e2e tests' store: a module marked ``pytest.mark.usefixtures("each_store")`` runs
each of its tests through the real ``crm`` on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import STORES
from tests.e2e.test_cli import STORE_URL


@pytest.fixture(params=STORES)
def each_store(request: pytest.FixtureRequest) -> Iterator[str]:
    url = None
    if request.param == "postgres":
        from tests.postgres_server import fresh_database

        url = fresh_database()
    token = STORE_URL.set(url)
    yield request.param
    STORE_URL.reset(token)
