"""Waiting for a store that went away: a database server restarting or failing over.

A bulk path (the import) that loses its store mid-way should neither fail every row
that follows nor hang: it waits, a bounded time, for the store to answer again, then
goes on where it was. On PostgreSQL "answers" is asked with a connection of its own and
the event store's connection pool is then replaced (``SerialisedPostgresApplicationRecorder
.reconnect``): psycopg's pool backs off exponentially while the server is away and would
keep the import waiting long after the server is back. SQLite has no server: it is asked
with a catch-up, which reads the events and the views.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from adapters.store_errors import store_problem
from crmcore.errors import StoreUnavailable

if TYPE_CHECKING:  # the settings import this module's default: no application at start-up
    from crmcore import CrmApplication

_log = logging.getLogger(__name__)

STORE_WAIT_SECONDS = 60.0
"""How long a bulk path waits for a store that went away before it stops (the setting
``store_wait_seconds``): a database server's restart or fail-over takes seconds, an
outage longer than this needs a person."""


def wait_for_store(app: CrmApplication, error: Exception, seconds: float) -> bool:
    """After ``error`` (a failure of the store), whether the caller should try again.

    PostgreSQL: True once the server takes a connection, its pool replaced (a restart
    may have come and gone, leaving every pooled connection dead); a failure that was
    not the server's absence then simply fails again. SQLite: True once a catch-up
    works after failing, False when it works at once (the failure was the row's, a
    full disk's). Raises :class:`StoreUnavailable`, naming the store's last error, when
    it does not answer within ``seconds``."""
    recorder = app.recorder
    server_refusal = getattr(recorder, "server_refusal", None)
    reconnect = getattr(recorder, "reconnect", None)
    waited, pause, problem = 0.0, 0.25, store_problem(error)
    while True:
        if server_refusal is not None and reconnect is not None:
            refusal = server_refusal()
            if refusal is None:
                reconnect()  # a restart may have come and gone: connections are stale
                return True
            problem = StoreUnavailable(f"the database server refuses connections: {refusal}")
        else:
            try:
                app.identity.catch_up()
            except Exception as failed:
                problem = store_problem(failed)
                if problem is None:
                    raise
            else:
                return waited > 0
        if waited >= seconds:
            raise StoreUnavailable(
                f"the store stayed unreachable for {waited:.0f} s: {problem}; "
                "re-run to complete what was not saved"
            ) from None
        _log.warning("the store is unreachable (%s); trying again in %.1f s", problem, pause)
        time.sleep(pause)
        waited += pause
        pause = min(pause * 2, 4.0)
