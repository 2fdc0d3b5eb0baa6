"""How far into the log the relay has published, kept in ``read_model_positions``.

The position is written only after the broker acknowledged every message up to it, in
its own transaction; a crash before that write means the batch is sent again (the
consumers' de-duplication by ``id`` absorbs it), never that it is skipped.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from projections.tables import read_model_positions


def relay_name(topic: str) -> str:
    """Each topic has a position of its own: a new topic starts from the log's start."""
    return f"kafka-relay:{topic}"


class RelayPositions:
    """Reads and advances one relay's position."""

    def __init__(self, engine: Engine, name: str) -> None:
        self._engine = engine
        self.name = name

    def load(self) -> int | None:
        """The last notification id acknowledged by the broker (None: nothing yet)."""
        query = select(read_model_positions.c.position).where(
            read_model_positions.c.name == self.name
        )
        with self._engine.connect() as connection:
            position: int | None = connection.execute(query).scalar()
        return position

    def save(self, position: int) -> None:
        table = read_model_positions
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(table).where(table.c.name == self.name).values(position=position)
            ).rowcount
            if not changed:
                connection.execute(table.insert().values(name=self.name, position=position))
