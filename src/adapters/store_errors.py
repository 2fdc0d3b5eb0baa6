"""A store that cannot take a write (a full disk, a SQLite file locked by another
process, a lost PostgreSQL connection) is reported as one clear error, never a traceback.

The three drivers below crmcore raise their own classes (eventsourcing's
``PersistenceError`` family for the events, SQLAlchemy's for the views, and the raw
``sqlite3`` / ``psycopg`` ones they wrap). They are recognised here by class and module
name, so a command that never opened a view does not import SQLAlchemy to report one.
Whatever failed did so inside a transaction the database rolled back: the message says
that nothing of the command was saved.
"""

from __future__ import annotations

from crmcore.errors import CrmError, StoreUnavailable

_DRIVERS = ("eventsourcing", "sqlalchemy", "sqlite3", "psycopg")
_KINDS = ("OperationalError", "DatabaseError", "InterfaceError", "InternalError", "DiskFull")
_HINTS = (
    (
        "locked",
        "another process holds the SQLite write lock longer than "
        "sqlite_lock_timeout allows: retry, or raise CRM_SQLITE_LOCK_TIMEOUT",
    ),
    (
        "busy",
        "another process holds the SQLite write lock longer than "
        "sqlite_lock_timeout allows: retry, or raise CRM_SQLITE_LOCK_TIMEOUT",
    ),
    ("full", "the disk is full: free space and run the command again"),
    (
        "disk i/o",
        "the disk refused the write (full, or failing): free space or check it, "
        "then run the command again",
    ),
    ("readonly", "the store is read-only for this user: check the file's permissions"),
    ("connection", "the database server is unreachable: check it is up and the URL"),
)


def store_problem(error: BaseException) -> StoreUnavailable | None:
    """The clear error for a failure of the store itself, or None for anything else."""
    for cls in type(error).__mro__:
        module = cls.__module__.split(".")[0]
        if module in _DRIVERS and any(kind in cls.__name__ for kind in _KINDS):
            break
    else:
        return None
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    lowered = detail.lower()
    hint = next((text for key, text in _HINTS if key in lowered), "check the store and retry")
    return StoreUnavailable(f"{detail} - {hint}; nothing of this command was saved")


def failure_reason(error: Exception) -> str:
    """What an import's ``error`` row says: crmcore's own message, the store's problem
    in plain words, else what went wrong (a bug: please report it)."""
    if isinstance(error, CrmError):
        return str(error)
    problem = store_problem(error)
    if problem is not None:
        return f"the store could not save this row: {problem}"
    return f"unexpected {type(error).__name__}: {error} (please report this row)"
