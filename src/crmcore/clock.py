"""Where crmcore gets the time from.

Every timestamp in an event comes from a :class:`Clock` handed to the application,
so tests and replays are deterministic. :class:`SystemClock` is the only place in the
code base that reads the wall clock (ruff's TID251 bans ``datetime.now`` elsewhere).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from crmcore.errors import ValidationFailed

# Business time may lag recording time (a call logged tomorrow) but not lead it by more
# than two machines' clocks disagree; an event recorded later than this after it
# occurred is back-dated, and audit answers say so.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@runtime_checkable
class Clock(Protocol):
    """A source of timezone-aware UTC instants."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock, for production use."""

    def now(self) -> datetime:
        return datetime.now(tz=UTC)  # noqa: TID251 - the one sanctioned wall-clock read


class ManualClock:
    """A clock that only moves when told to, for tests, demos and replays.

    >>> clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    >>> clock.advance(hours=2).isoformat()
    '2026-01-05T11:00:00+00:00'
    """

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Moves the clock forward by a ``timedelta(**delta)`` and returns the new now."""
        step = timedelta(**delta)
        if step < timedelta(0):
            raise ValueError("a ManualClock never goes backwards")
        self._now += step
        return self._now

    def set(self, instant: datetime) -> None:
        """Jumps to ``instant``; refuses to go backwards, as a real clock would not."""
        instant = as_utc(instant)
        if instant < self._now:
            raise ValueError("a ManualClock never goes backwards")
        self._now = instant


def iso(instant: datetime | None) -> str | None:
    """ISO-8601 text of an optional instant, as every JSON answer spells time."""
    return instant.isoformat() if instant is not None else None


def as_utc(instant: datetime) -> datetime:
    """Returns ``instant`` in UTC; a naive datetime is refused rather than guessed at."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()} has no timezone")
    return instant.astimezone(UTC)


def parse_instant(value: str, field: str, zone: ZoneInfo) -> datetime:
    """An ISO-8601 instant; without an offset it is read in the business's time zone."""
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(field, f"{value!r} is not an ISO-8601 date-time") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=zone)
