"""``Window``: a half-open time range [start, end) in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from diaglab.errors import InputError


def _utc(value: Any, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"window {name} {value!r} is not a date or timestamp") from exc
    if ts is pd.NaT:
        raise InputError(f"window {name} is missing (NaT)")
    # A bare date such as "2026-02-10" means midnight UTC: windows are always UTC.
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def epoch_bucket(column: Any, seconds: int) -> Any:
    """The start of the ``seconds``-long window (counted from the Unix epoch) of each timestamp.

    The windows of Ibis's ``bucket`` on DuckDB (``time_bucket`` from the epoch), written with
    operations every Ibis backend compiles: Spark has no ``TimestampBucket``. Whole seconds.
    """
    return ((column.epoch_seconds() // seconds) * seconds).as_timestamp("s")


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)``; either side may be open (None).

    Naive dates and timestamps are read as UTC.

    Examples
    --------
    >>> Window("2026-02-10", "2026-03-01")
    Window('2026-02-10 00:00:00+00:00', '2026-03-01 00:00:00+00:00')
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def __init__(self, start: Any = None, end: Any = None) -> None:
        s, e = _utc(start, "start"), _utc(end, "end")
        if s is not None and e is not None and e <= s:
            raise InputError(f"window end {e} is not after its start {s}")
        object.__setattr__(self, "start", s)
        object.__setattr__(self, "end", e)

    @classmethod
    def of(cls, value: Any) -> Window:
        """A Window from a Window, a (start, end) pair, or None (everything)."""
        if value is None:
            return cls()
        if isinstance(value, Window):
            return value
        if isinstance(value, tuple | list) and len(value) == 2:
            return cls(*value)
        raise InputError(f"a window is dl.Window(start, end) or a (start, end) pair, not {value!r}")

    def filter(self, table: Any, column: str = "timestamp") -> Any:
        """``table`` restricted to this window on ``column``."""
        col = table[column]
        if self.start is not None:
            table = table.filter(col >= self.start.to_pydatetime())
        if self.end is not None:
            table = table.filter(col < self.end.to_pydatetime())
        return table

    def __repr__(self) -> str:
        def fmt(ts: pd.Timestamp | None) -> str:
            return "None" if ts is None else repr(str(ts))

        return f"Window({fmt(self.start)}, {fmt(self.end)})"

    def __str__(self) -> str:
        def day(ts: pd.Timestamp | None) -> str:
            if ts is None:
                return "…"
            return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()

        return f"[{day(self.start)}, {day(self.end)})"

    def to_json(self) -> dict[str, str | None]:
        return {
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
        }

    @property
    def bounds(self) -> tuple[datetime | None, datetime | None]:
        return (
            None if self.start is None else self.start.to_pydatetime(),
            None if self.end is None else self.end.to_pydatetime(),
        )
