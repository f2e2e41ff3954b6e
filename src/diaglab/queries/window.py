"""``Window``: a half-open time range [start, end) in UTC, and the one grammar for its text.

A window is written as two bounds around a separator, either side empty for an open end::

    2026-02-10 .. 2026-03-02      2026-02-10 to 2026-03-02      2026-02-10 → 2026-03-02
    2026-02-10 ..                 .. 2026-03-02                 2026-02-10T06:00 .. 2026-02-11

(``..``, ``to``, ``→``, or an en or em dash). Every function's ``window=``, the explorers' text
boxes, findings checks and the CLI read it with :func:`parse_window`.
"""

from __future__ import annotations

import re
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


_SEP = re.compile(r"\s*(?:\.\.|→|–|—|\bto\b)\s*")
GRAMMAR = "'start .. end' (or 'start to end', 'start → end'), e.g. 2026-02-10 .. 2026-03-02"


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
        """A Window from a Window, a (start, end) pair, text (see the module), or None
        (everything)."""
        if value is None:
            return cls()
        if isinstance(value, Window):
            return value
        if isinstance(value, tuple | list) and len(value) == 2:
            return cls(*value)
        if isinstance(value, str):
            return parse_window(value) or cls()
        raise InputError(
            f"a window is dl.Window(start, end), a (start, end) pair or {GRAMMAR}; not {value!r}"
        )

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


def parse_window(text: str | None) -> Window | None:
    """Text in the grammar of this module as a Window; None for empty text.

    Examples
    --------
    >>> parse_window("2026-02-10 to 2026-03-02")
    Window('2026-02-10 00:00:00+00:00', '2026-03-02 00:00:00+00:00')
    >>> parse_window("2026-02-10 ..")
    Window('2026-02-10 00:00:00+00:00', None)
    """
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip()
    parts = _SEP.split(raw, maxsplit=1)
    if len(parts) == 1:
        raise InputError(f"a window is {GRAMMAR}; got {raw!r}")
    start, end = (p.strip() or None for p in parts)
    return Window(start, end)


def format_window(window: Window | None) -> str:
    """The text :func:`parse_window` reads back; ``""`` for None or an unbounded window."""
    if window is None or (window.start is None and window.end is None):
        return ""

    def side(ts: pd.Timestamp | None) -> str:
        if ts is None:
            return ""
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")

    return f"{side(window.start)} .. {side(window.end)}".strip()
