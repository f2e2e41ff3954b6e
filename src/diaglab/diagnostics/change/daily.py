"""Each period's domain-classifier sample and CBPE score counts, kept per UTC day.

A brush that moves a period by a day shares all but a day of it with the period before. Kept
per period, its sample and score counts were drawn and counted from all of its rows again (two
scans of 2M rows at 10M, about 0.2 CPU-s); kept per whole UTC day, only the days not seen
since the store last changed are read, in one query each, and the partial first and last days
from their rows (not kept).

- **Score counts** (:func:`~diaglab.diagnostics.change.labels.score_counts`) are sums: a
  period's are its days' added up.
- **The sample** is drawn by a hash of each row's timestamp and the seed, a number ``u``
  uniform in [0, 1) fixed per row (the same rows give the same sample in any store): the
  period's sample is its rows with ``u < rate``, ``rate = sample / rows`` (a Bernoulli sample of
  about ``sample`` rows, the same whichever days were read first). A day keeps its rows with
  ``u < min(1, sample / its rows)``: every period holding that day has at least its rows, so its
  rate is never higher. Rows of one timestamp share ``u``: they are in or out together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ibis
import pandas as pd

from diaglab.diagnostics.change.labels import score_counts
from diaglab.queries import cube
from diaglab.queries.timegrid import epoch_micros
from diaglab.queries.window import Window
from diaglab.store.cube_tables import DAY_US

HASH_SPAN = 1 << 30
"""Values of a row's hash ``u`` is drawn from (its resolution)."""

Sides = Callable[[Window, int], Any]
"""``side(period, w)``: the served rows of ``period`` as period ``w`` (explain_change's)."""


def day_split(window: Window) -> tuple[list[int], list[Window]] | None:
    """The whole UTC days of ``window`` (epoch day numbers) and its partial first and last
    days as windows; None for an open window or one without a whole day."""
    if window.start is None or window.end is None:
        return None
    first, last = cube.whole_days(window)
    if first is None or last is None or first >= last:
        return None
    edges = []
    if window.start < _day(first):
        edges.append(Window(window.start, _day(first)))
    if window.end > _day(last):
        edges.append(Window(_day(last), window.end))
    return list(range(first, last)), edges


def _day(day: int) -> pd.Timestamp:
    return pd.Timestamp(day * DAY_US, unit="us", tz="UTC")


def _missing(known: dict[int, Any], days: list[int]) -> Window | None:
    """The span of the days not in ``known`` (None: all known)."""
    todo = [d for d in days if d not in known]
    return None if not todo else Window(_day(min(todo)), _day(max(todo) + 1))


def _day_of(rows: Any) -> Any:
    return (epoch_micros(rows.timestamp, "duckdb") // DAY_US).cast("int64")


def daily_score_counts(
    store: Any, side: Sides, periods: Sequence[Window], key: tuple[Any, ...]
) -> pd.DataFrame | None:
    """Both periods' score-bin counts ``(w, b, n, pp, pos, neg)``, their whole days kept per
    day until the store changes; None when a period has no whole day (the caller counts it)."""
    splits = [day_split(p) for p in periods]
    if any(s is None for s in splits):
        return None
    known: dict[int, pd.DataFrame] = store.memo(("explain-change-score-days", *key), dict)
    frames = []
    for w, split in enumerate(splits):
        assert split is not None
        days, edges = split
        span = _missing(known, days)
        if span is not None:
            counted = _by_day(side(span, w))
            for day in range(*_bounds(span)):
                known[day] = counted[counted["day"] == day].drop(columns=["day", "w"])
        parts = [known[d] for d in days] + [
            score_counts(side(e, w)).drop(columns="w") for e in edges
        ]
        summed = pd.concat(parts, ignore_index=True).groupby("b", as_index=False).sum()
        frames.append(summed.assign(w=w))
    return pd.concat(frames, ignore_index=True)


def _bounds(span: Window) -> tuple[int, int]:
    assert span.start is not None and span.end is not None
    return span.start.value // 1000 // DAY_US, span.end.value // 1000 // DAY_US


def _by_day(rows: Any) -> pd.DataFrame:
    """:func:`score_counts` per UTC day (``day``)."""
    return score_counts(rows.mutate(day=_day_of(rows)), by=("day",))


def daily_sample(
    store: Any,
    side: Sides,
    periods: Sequence[Window],
    key: tuple[Any, ...],
    names: list[str],
    sample: int,
    seed: int,
    day_rows: Sequence[dict[int, float]],
    totals: dict[int, dict[str, float]],
) -> list[pd.DataFrame] | None:
    """Each period's rows ``names + [v]`` with ``u < sample / rows`` (see the module), their
    whole days kept per day until the store changes; None when a period has no whole day or a
    day's rows are not known (``day_rows[w]``: rows per epoch day)."""
    splits = [day_split(p) for p in periods]
    if any(s is None for s in splits):
        return None
    cols = [*names, "v"]
    out = []
    for w, split in enumerate(splits):
        assert split is not None
        days, edges = split
        if any(d not in day_rows[w] for d in days):
            return None
        rate = min(1.0, sample / max(totals[w]["n"], 1.0))
        known: dict[int, pd.DataFrame] = store.memo(
            ("explain-change-sample-days", *key, tuple(names), sample, seed), dict
        )
        span = _missing(known, days)
        if span is not None:
            lo, hi = _bounds(span)
            keep = {d: min(1.0, sample / max(day_rows[w].get(d, 1.0), 1.0)) for d in range(lo, hi)}
            drawn = _hashed(side(span, w), cols, seed, max(keep.values()))
            for day in range(lo, hi):
                mine = drawn[drawn["day"] == day]
                known[day] = mine[mine["u"] < keep[day]].drop(columns="day")
        parts = [known[d] for d in days]
        parts += [_hashed(side(e, w), cols, seed, rate).drop(columns="day") for e in edges]
        out.append(_in_order(pd.concat(parts, ignore_index=True), rate))
    return out


def _hashed(rows: Any, cols: list[str], seed: int, below: float, *, day: bool = True) -> Any:
    """``rows``' ``cols``, ``day`` (with ``day``) and ``u`` (the hash of the timestamp and
    ``seed``, in [0, 1)) where ``u < below``, drawn in the engine."""
    # of the timestamp, not the prediction id: ids are random, and the same rows must give the
    # same sample (and explanation) in every store that holds them
    micros = epoch_micros(rows.timestamp, ibis.get_backend(rows).name)
    h = (micros + ibis.literal(seed, "int64")).hash()
    u = ((h % HASH_SPAN + HASH_SPAN) % HASH_SPAN).cast("float64") / HASH_SPAN
    extra = {"day": _day_of(rows)} if day else {}
    picked = rows.select(*cols, **extra, u=u)
    return picked.filter(picked.u < below).to_pyarrow().to_pandas()


def _in_order(rows: pd.DataFrame, rate: float) -> pd.DataFrame:
    """The rows with ``u < rate``, in the order of ``u`` (whichever order the engine gave)."""
    rows = rows[rows["u"] < rate]
    # rows of one timestamp share ``u``: their values decide their order, not the engine's
    order = ["u", *(c for c in rows.columns if c != "u")]
    return rows.sort_values(order, kind="stable").drop(columns="u").reset_index(drop=True)


def hashed_sample(rows: Any, cols: list[str], seed: int, sample: int, total: float) -> pd.DataFrame:
    """About ``sample`` of ``rows`` (``total`` of them): those whose ``u`` (see the module) is
    below ``sample / total``, with their ``cols``; the rows :func:`daily_sample` gives."""
    rate = min(1.0, sample / max(total, 1.0))
    return _in_order(_hashed(rows, cols, seed, rate, day=False), rate)


def day_rows(frame: pd.DataFrame, column: str) -> list[dict[int, float]]:
    """Per period, the served rows of each day, from the cube's cells of one feature
    (every feature's cells hold every served row)."""
    mine = frame[frame["feature"] == column].groupby(["w", "tick"], as_index=False)["n"].sum()
    return [
        dict(zip(part["tick"].astype(int).tolist(), part["n"].astype(float).tolist(), strict=True))
        for part in (mine[mine["w"] == w] for w in (0, 1))
    ]
