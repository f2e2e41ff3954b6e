"""Windows in explorer controls: text a person types, brushes, and traits holding a dl.Window."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import traitlets

from diaglab.errors import InputError
from diaglab.queries.window import Window

_SEP = re.compile(r"\s*(?:\.\.|→|–|—|\bto\b)\s*")


def parse_window(text: str | None) -> Window | None:
    """``"2026-02-10 .. 2026-03-02"`` (or ``→``, ``to``) as a Window; empty text is None.

    Either side may be left empty for an open end: ``"2026-02-10 .."``.
    """
    if text is None or not text.strip():
        return None
    parts = _SEP.split(text.strip(), maxsplit=1)
    if len(parts) == 1:
        raise InputError(
            f"a window is 'start .. end' (e.g. 2026-02-10 .. 2026-03-02), got {text!r}"
        )
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


def brushed_window(value: dict[str, Any], freq: str) -> Window | None:
    """The Window a brush selects, widened to whole ``freq`` windows; None for an empty brush.

    Vega sends the brushed interval of a temporal axis as epoch milliseconds (or ISO text).
    """
    if not value:
        return None
    interval = next(iter(value.values()))
    if not interval or len(interval) != 2:
        return None
    lo, hi = (_timestamp(v) for v in interval)
    lo, hi = min(lo, hi), max(lo, hi)
    start, end = lo.floor(freq), hi.ceil(freq)
    if end <= start:
        end = start + pd.Timedelta(freq)
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
