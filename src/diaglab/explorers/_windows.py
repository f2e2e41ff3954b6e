"""Windows in explorer controls: brushes and traits holding a dl.Window.

The text a person types is read by :func:`diaglab.queries.window.parse_window` (the one window
grammar) and written back by :func:`~diaglab.queries.window.format_window`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import traitlets

from diaglab.queries.timegrid import US_PER_DAY, Freq
from diaglab.queries.window import Window, format_window, parse_window


def brushed_window(value: dict[str, Any], freq: str) -> Window | None:
    """The Window a brush selects, widened to whole ``freq`` buckets; None for an empty brush.

    Vega sends the brushed interval of a temporal axis as epoch milliseconds (or ISO text).
    Buckets are those of :mod:`diaglab.queries.timegrid` in UTC; a fixed duration longer than a
    day, whose buckets depend on the window shown, widens to whole days.
    """
    if not value:
        return None
    interval = next(iter(value.values()))
    if not interval or len(interval) != 2:
        return None
    lo, hi = (_timestamp(v) for v in interval)
    lo, hi = min(lo, hi), max(lo, hi)
    f = Freq.parse(freq)
    if f.kind == "fixed" and US_PER_DAY % f.step:
        f = Freq.parse("1D")
    grid = f.grid(Window())
    start, end = grid.floor(lo), grid.ceil(hi)
    if end <= start:
        end = grid.ends(grid.index_of([start]))[0]
    return Window(start, end)


def _timestamp(v: Any) -> pd.Timestamp:
    ts = pd.Timestamp(v, unit="ms") if isinstance(v, int | float) else pd.Timestamp(v)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


class WindowTrait(traitlets.TraitType[Window, Any]):
    """A trait holding a dl.Window; a (start, end) pair or None (everything) is converted."""

    info_text = "a dl.Window or a (start, end) pair"

    def validate(self, obj: Any, value: Any) -> Window:
        return Window.of(value)


class OptionalWindowTrait(traitlets.TraitType[Window | None, Any]):
    """A trait holding a dl.Window or None; a (start, end) pair is converted."""

    info_text = "None, a dl.Window or a (start, end) pair"

    def validate(self, obj: Any, value: Any) -> Window | None:
        return None if value is None else Window.of(value)


__all__ = ["OptionalWindowTrait", "WindowTrait", "brushed_window", "format_window", "parse_window"]


def describe_window(window: Window) -> str:
    """A window as a status line reads it: ``[2026-02-10, 2026-03-02)``, or ``everything
    logged`` for one without bounds (not ``[…, …)``)."""
    return "everything logged" if window.bounds == (None, None) else str(window)
