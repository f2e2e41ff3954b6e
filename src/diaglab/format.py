"""Numbers as a person writes them: one module for widgets, charts and exports alike.

Rules (each function's docstring has an example):

- thousands separators on every number of 1,000 or more (``26,400``, not ``2.64e+04``);
- significant digits by magnitude: three by default (``0.157``, ``0.00312``, ``12.3``), whole
  numbers printed whole (``1``, not ``1.0``; ``189,700``, not ``189700.0``);
- percentages with as many digits as their size needs (``12.3%``, ``0.0012%``, ``0%``);
- units after the number with a space (``12.3 ms``, ``2.5 days``);
- a missing value as an en dash, a missing category as ``(missing)``;
- a table's column of numbers in one format (:func:`column`): every value with the decimals its
  largest needs, so they align and compare (``0.384`` over ``0.257``, not ``0.2569``).

The same rules for Vega-Lite: :data:`VEGA_NUMBER`, :data:`VEGA_PERCENT` and :data:`VEGA_COUNT` are
d3-format strings that read the same way in axes and tooltips. Pure Python, no dependencies: every
layer may import it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date, datetime
from numbers import Integral, Real
from typing import Any

MISSING = "–"
"""How a missing number reads."""
MISSING_LABEL = "(missing)"
"""How a missing category or bin reads."""
VEGA_NUMBER = ",.3~r"
"""d3-format for a number: three significant digits, thousands separators, no trailing zeros."""
VEGA_PERCENT = ".3~p"
"""d3-format for a share as a percentage: three significant digits, no trailing zeros."""
VEGA_COUNT = ",d"
"""d3-format for a count."""
DAY_MS = 86_400_000
"""A day in milliseconds: the smallest step of a date axis labelled by day (``Jan 05``), so no
two ticks carry the same label."""
SCIENTIFIC_BELOW = 1e-4
SCIENTIFIC_FROM = 1e15


def _real(v: Any) -> float | None:
    """``v`` as a finite float, or None when it is missing or not a number."""
    if v is None or isinstance(v, bool | str | bytes):
        return None
    if hasattr(v, "item") and not isinstance(v, Real):
        v = v.item()  # numpy scalars
    if not isinstance(v, Real):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _trim(text: str) -> str:
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def number(v: Any, *, digits: int = 3) -> str:
    """A number with ``digits`` significant digits and thousands separators.

    Whole numbers print whole; numbers of 1,000 or more print as whole numbers (an income is
    ``26,412``, not ``2.64e+04``); very small and very large ones in scientific notation.

    >>> [number(x) for x in (26412.0, 1.0, 0.00312, 0.1574, 12.345, -3.0, 1e-7, float("nan"))]
    ['26,412', '1', '0.00312', '0.157', '12.3', '-3', '1e-7', '–']
    """
    f = _real(v)
    if f is None:
        return MISSING
    a = abs(f)
    if a == 0:
        return "0"
    if a >= SCIENTIFIC_FROM or a < SCIENTIFIC_BELOW:
        mantissa, exponent = f"{f:.{max(digits - 1, 0)}e}".split("e")
        return f"{_trim(mantissa)}e{int(exponent)}"
    if a >= 10 ** (digits - 1) or float(f).is_integer():
        return f"{round(f):,}"
    decimals = digits - 1 - math.floor(math.log10(a))
    return _trim(f"{f:,.{decimals}f}")


def column(values: Iterable[Any], *, digits: int = 3) -> Callable[[Any], str]:
    """One format for a column of numbers: every value with as many decimals as the largest
    needs for ``digits`` significant digits (whole numbers from ``10 ** (digits - 1)``).

    >>> write = column([0.384, 0.2569, 0.1573, None])
    >>> [write(v) for v in (0.384, 0.2569, 0.1573, None, 0.02)]
    ['0.384', '0.257', '0.157', '–', '0.020']
    >>> column([1234.5, 0.7])(0.7)
    '1'
    """
    top = max((abs(f) for f in map(_real, values) if f), default=0.0)
    whole = top == 0 or top >= 10 ** (digits - 1)
    decimals = 0 if whole else digits - 1 - math.floor(math.log10(top))

    def write(v: Any) -> str:
        f = _real(v)
        return MISSING if f is None else f"{f:,.{decimals}f}"

    return write


def compact(v: Any) -> str:
    """A number for a crowded axis: ``17.8k``, ``2.5M``, ``0.0012``.

    >>> [compact(x) for x in (17761.5, 2.5e6, 0.0012, 950.0)]
    ['17.8k', '2.5M', '0.0012', '950']
    """
    f = _real(v)
    if f is None:
        return MISSING
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(f) >= scale:
            return number(f / scale) + suffix
    return number(f)


def count(v: Any) -> str:
    """A count: ``48,084``."""
    f = _real(v)
    return MISSING if f is None else f"{round(f):,}"


def counted(n: int, noun: str) -> str:
    """A count with its noun, singular for one: ``1 alert``, ``1,200 alerts``."""
    return f"{count(n)} {noun}{'' if n == 1 else 's'}"


def percent(v: Any, *, digits: int = 3) -> str:
    """A share (0..1) as a percentage with ``digits`` significant digits.

    >>> [percent(x) for x in (0.1234, 0.000012, 0.0, 1.0, 0.5)]
    ['12.3%', '0.0012%', '0%', '100%', '50%']
    """
    f = _real(v)
    if f is None:
        return MISSING
    return number(f * 100, digits=digits) + "%"


def quantity(v: Any, unit: str, *, digits: int = 3) -> str:
    """A number with its unit: ``12.3 ms``, ``2.5 days``."""
    text = number(v, digits=digits)
    return text if text == MISSING else f"{text} {unit}"


COLUMN_TITLES = {
    "prediction_id": "prediction id",
    "timestamp": "time",
    "model_version": "version",
    "latency_ms": "latency ms",
    "error_size": "error size",
    "trace_id": "trace id",
    "span_id": "span id",
    "duration_ms": "duration ms",
    "n_reference": "n reference",
    "n_current": "n current",
    "p_adjusted": "p (adj.)",
}
"""diaglab's own column names as a table's header reads them (a feature keeps its name); no
two read alike, nor like another stored column (``prediction_id`` beside ``prediction``)."""


def column_title(name: str) -> str:
    """A column's header: ``prediction_id`` reads ``prediction id``, ``model_version``
    ``version``; any other name (a feature's) as it is.

    >>> [column_title(c) for c in ("timestamp", "latency_ms", "income")]
    ['time', 'latency ms', 'income']
    """
    return COLUMN_TITLES.get(name, name)


def pvalue(p: Any) -> str:
    """A p-value: two significant digits, and ``<0.001`` below 0.001."""
    f = _real(p)
    if f is None:
        return MISSING
    return "<0.001" if f < 0.001 else number(f, digits=2)


def interval(lo: Any, hi: Any, *, closed: str = "left") -> str:
    """A bin's range: ``[16,830, 22,500)`` (``closed`` is ``left``, ``right`` or ``both``)."""
    left = "[" if closed in ("left", "both") else "("
    right = "]" if closed in ("right", "both") else ")"
    return f"{left}{number(lo, digits=4)}, {number(hi, digits=4)}{right}"


def label(v: Any) -> str:
    """A value used as a category label: ``1`` for 1.0, ``(missing)`` for None or NaN, the text
    of anything else."""
    if v is None or type(v).__name__ == "NAType":
        return MISSING_LABEL
    if isinstance(v, str):
        return v if v else MISSING_LABEL
    if isinstance(v, bool):
        return str(v).lower()
    f = _real(v)
    if f is None:
        if isinstance(v, Real) or (hasattr(v, "item") and _is_nan(v)):
            return MISSING_LABEL
        return str(v)
    if f.is_integer() and abs(f) < SCIENTIFIC_FROM:
        return str(int(f))
    return number(f, digits=4)


def _is_nan(v: Any) -> bool:
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False


def change(before: Any, after: Any, *, digits: int = 4) -> str:
    """A value's move: ``189,700 → 23,200``."""
    return f"{value(before, digits=digits)} → {value(after, digits=digits)}"


def value(v: Any, *, digits: int = 3) -> str:
    """Any table cell: numbers by :func:`number` (integers by :func:`count`), dates in ISO
    form to the minute, missing as an en dash, anything else as its text."""
    if v is None or type(v).__name__ == "NAType":
        return MISSING
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, datetime):
        if _is_nan(v):
            return MISSING  # NaT
        return v.isoformat(sep=" ", timespec="minutes").replace("+00:00", "")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str):
        return v
    if isinstance(v, Integral):
        return f"{int(v):,}"
    if isinstance(v, Real) or hasattr(v, "item"):
        return number(v, digits=digits)
    if _is_nan(v):
        return MISSING
    return str(v)
