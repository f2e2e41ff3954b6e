"""The prediction ids a producer generates: its id prefix (a segment id) and a row counter.

An id is the prefix followed by the row number in 8 hex digits (see :mod:`diaglab.store._ids`).
A call's ids are kept as an :class:`IdRange` (the prefix and its rows): the strings are built
when someone asks for them (``Logger.log`` returns them, ``Instrumented.last_prediction_ids``),
and the writer builds a whole chunk's as one Arrow array, without a Python string per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import pyarrow as pa

from diaglab.store._ids import ROW_DIGITS, row_ids

_LOW_DIGITS = 3
# the last three hex digits of a row number, every value: an id is a shared head plus one
_LOW = [f"{i:0{_LOW_DIGITS}x}" for i in range(16**_LOW_DIGITS)]


class IdRange(NamedTuple):
    """The generated ids of one call: ``prefix`` + row numbers ``start`` .. ``start + n - 1``."""

    prefix: str
    start: int
    n: int

    def strings(self) -> list[str]:
        return row_id_strings(self.prefix, self.start, self.n)


def row_id_strings(prefix: str, start: int, n: int) -> list[str]:
    """The ids ``prefix`` + row numbers ``start`` .. ``start + n - 1`` (8 hex digits).

    Rows that share their high digits get one head, joined to each precomputed low part by
    ``str.__add__`` mapped in C: about a quarter of the cost of formatting each id.
    """
    if n == 1:
        return [f"{prefix}{start:0{ROW_DIGITS}x}"]
    out: list[str] = []
    end = start + n
    width, high_digits = len(_LOW), ROW_DIGITS - _LOW_DIGITS
    while start < end:
        high, low = divmod(start, width)
        stop = min(end, (high + 1) * width)
        out += map(f"{prefix}{high:0{high_digits}x}".__add__, _LOW[low : low + stop - start])
        start = stop
    return out


def id_array(calls: Sequence[IdRange | list[str]]) -> pa.Array:
    """The ids of consecutive calls as one Arrow string array: ranges that continue each other
    are built at once (:func:`diaglab.store._ids.row_ids`), consecutive given ids converted at
    once."""
    parts: list[pa.Array] = []
    run: IdRange | None = None
    given: list[str] = []
    for ids in calls:
        if isinstance(ids, IdRange):
            if given:
                parts.append(pa.array(given, pa.string()))
                given = []
            if run is not None and run.prefix == ids.prefix and run.start + run.n == ids.start:
                run = IdRange(run.prefix, run.start, run.n + ids.n)
                continue
            if run is not None:
                parts.append(row_ids(run.prefix, run.n, start=run.start))
            run = ids
        else:
            if run is not None:
                parts.append(row_ids(run.prefix, run.n, start=run.start))
                run = None
            given += ids
    if run is not None:
        parts.append(row_ids(run.prefix, run.n, start=run.start))
    if given or not parts:
        parts.append(pa.array(given, pa.string()))
    return parts[0] if len(parts) == 1 else pa.concat_arrays(parts)
