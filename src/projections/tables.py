"""The read-model tables (SQLAlchemy 2 Core), all in one MetaData so one call creates them.

Read models are derived data: every row can be rebuilt from the event log, so a table
may be dropped and refilled at any time. ``read_model_positions`` records how far into
the log (notification id) each read model has read and under which rule-set version,
so a reader can tell how current an answer is.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Integer, MetaData, String, Table, create_engine
from sqlalchemy.engine import Engine

metadata = MetaData()

read_model_positions = Table(
    "read_model_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", Integer, nullable=True),
    Column("rule_set_version", String(32), nullable=True),
)

duplicate_candidates = Table(
    "duplicate_candidates",
    metadata,
    Column("customer_a", String(36), primary_key=True),
    Column("customer_b", String(36), primary_key=True),
    Column("name_a", String(200), nullable=True),
    Column("name_b", String(200), nullable=True),
    Column("score", Float, nullable=False),
    Column("features", JSON, nullable=False),
    Column("rule", String(64), nullable=True),
    Column("suggested_action", String(16), nullable=False, index=True),
    Column("shared_keys", JSON, nullable=False),
)


def open_read_models(url: str) -> Engine:
    """An engine on the read-model database, with every table created if missing."""
    engine = create_engine(url)
    metadata.create_all(engine)
    return engine
