"""``dl.drift_over_time``: a drift statistic per feature per time window, with an alert band.

Each window's statistic compares that window's distribution with the reference, on reference
deciles (numeric) or categories; the engine returns counts per (window, bin). The alert band is
calibrated on the reference itself: chunks the size of a typical window are drawn from the
reference's own distribution (multinomial samples of its bin shares, so no rows are needed), the
statistic of each chunk against the reference shows how much a window moves by chance, and the band
is mean ± band_sigma·std of the logarithm of those values (these statistics are right-skewed, close
to a scaled chi-square; see :func:`diaglab.stats.drift.alert_band`). A window above it is flagged.
The band always has ``CHUNKS`` calibration values, well above the 8 windows a band needs; it is
drawn at the median size of the whole windows, and a partial window (cut by ``window``) is judged
against a band drawn at its own size.

Windows are the buckets of :mod:`diaglab.queries.timegrid` (calendar weeks, months, fixed
durations laid from the window's first day, in a time zone), clipped to ``window``.

A numeric feature's deciles are unions of its reference grid's cells (a row's decile follows
from its grid index, as ``dl.drift`` bins it), so when every window is made of whole UTC days
(days, weeks, months or quarters in UTC; no ``where=``, the registered reference, a writable
DuckDB store) the counts per window are sums of the counts kept per day
(:mod:`diaglab.queries.cube`), with the partial first and last day counted from the rows: the
same table as counting every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.drift.query import LABEL, prepare
from diaglab.errors import InputError, unknown
from diaglab.queries import cube
from diaglab.queries.binning import Grid, grid_shape
from diaglab.queries.result import Result
from diaglab.queries.timegrid import Freq, TimeGrid, epoch_micros, span_of
from diaglab.stats.distances import coarsen_bins, js_distance, psi
from diaglab.stats.drift import alert_band
from diaglab.store.compiled import fetch_over
from diaglab.store.cube_tables import DAY_US
from diaglab.store.engines import materialize

if TYPE_CHECKING:
    from diaglab.diagnostics.drift.spec import DriftOverTimeSpec

STATISTICS = {"psi": psi, "js_distance": js_distance}
BINS = 10
CHUNKS = 50


@dataclass(frozen=True, repr=False)
class DriftOverTime(Result):
    """A drift statistic per feature per window.

    ``table`` has columns feature, window_start, window_end, partial, value, n, missing_rate,
    alert (``partial``: the window is cut by the asked ``window``'s start or end);
    ``bands`` maps each feature to the (low, high) band calibrated on the reference.
    """

    model: str
    statistic: str
    freq: str
    table: pd.DataFrame = field(repr=False)
    bands: dict[str, tuple[float, float]] = field(repr=False)

    def feature(self, name: str) -> pd.DataFrame:
        if name not in self.bands:
            raise unknown("feature", name, list(self.bands))
        return self.table[self.table["feature"] == name].reset_index(drop=True)


def _bin(col: Any, grid: Grid | None, cuts: tuple[int, ...]) -> Any:
    """The bin label of each value: its category, or the index of its decile, whose grid
    indexes start at ``cuts``."""
    if grid is None:
        return col.cast("string")
    index = grid.index(col)
    cases = [(index < c, str(j)) for j, c in enumerate(cuts)]
    b = ibis.cases(*cases, else_=str(len(cuts))) if cases else ibis.literal("0")
    return ibis.ifelse(col.isnull(), ibis.null("string"), b)


def _index_cuts(grid: Grid, cuts: np.ndarray) -> tuple[int, ...]:
    """The grid index each decile cut (an edge of the grid) starts; of repeated edges (an
    integer grid's low tail is empty) the last."""
    return tuple(int(np.searchsorted(grid.edges, c, side="right")) - 2 for c in cuts)


def _band(values: np.ndarray, band_sigma: float) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size and not (v > 0).any():
        return (0.0, 0.0)
    try:
        low, high = alert_band(np.log(v[v > 0]), k=band_sigma)
    except InputError:
        return (float("nan"), float("nan"))
    return (float(np.exp(low)), float(np.exp(high)))


def _chance_band(
    rng: np.random.Generator, stat: Any, base: np.ndarray, size: int, band_sigma: float
) -> tuple[float, float]:
    """The band of windows of ``size`` rows drawn from the reference shares ``base``."""
    if size <= 0 or base.sum() <= 0:
        return _band(np.array([]), band_sigma)
    draws = rng.multinomial(size, base / base.sum(), size=CHUNKS)
    return _band(np.array([stat(base, d) for d in draws]), band_sigma)


def drift_over_time(store: Any, spec: DriftOverTimeSpec) -> DriftOverTime:
    """The drift statistic of each feature (and the prediction) per ``freq`` window.

    Parameters
    ----------
    freq : str
        Window length in the grammar of :mod:`diaglab.queries.timegrid`: '1h', '1D', '7D'
        (fixed), 'W' (calendar weeks), 'M' or '1mo' (months), 'Q' (quarters).
    statistic : {"psi", "js_distance"}
        Computed on reference deciles (numeric) or categories.
    band_sigma : float
        Width of the alert band, in standard deviations of the chance statistic.
    seed : int
        Seed of the reference chunks drawn for the band.
    tz : str
        Time zone whose calendar the windows follow (default UTC).
    week_start : str
        First day of a calendar week (``freq="W"``), default Monday.
    """
    model, window, reference = spec.model, spec.scope.window, spec.scope.reference
    where, version, freq = spec.scope.where, spec.scope.version, spec.freq
    statistic, features, band_sigma = spec.statistic, spec.features, spec.band_sigma
    seed, tz, week_start = spec.seed, spec.tz, spec.week_start
    if statistic not in STATISTICS:
        raise unknown("statistic", statistic, list(STATISTICS))
    stat = STATISTICS[statistic]
    period = Freq.parse(freq, tz=tz, week_start=week_start)
    p = prepare(store, model, window, reference, features, where, version)

    # Reference shares per bin, and each feature's bin cuts (None for a categorical one).
    specs: list[tuple[str, np.ndarray, list[Any], Grid | None, tuple[int, ...]]] = []
    for f in p.num_cols:
        g = p.grids[f]
        if f == LABEL or g is None:
            continue
        edges, (ref_deciles,) = coarsen_bins(g.edges, p.ref_counts[f].grid_counts, bins=BINS)
        cuts = np.unique(edges)[1:-1]
        labels = [str(j) for j in range(len(cuts) + 1)]
        ref_shares = np.bincount(
            np.searchsorted(cuts, edges[:-1], side="right"),
            weights=ref_deciles,
            minlength=len(labels),
        )
        specs.append((f, ref_shares, labels, g, _index_cuts(g, cuts)))
    for f in p.cat_cols:
        if f == LABEL:
            continue
        counts = p.ref_cats[f]
        counts = counts[counts.index.notna()]
        specs.append((f, counts.to_numpy(float), list(counts.index), None, ()))
    if not specs:
        raise InputError(f"model {model!r} has no feature with reference values to compare")

    grid = period.grid(p.window, span=lambda: span_of(p.cur))
    backend = str(getattr(store.ibis, "name", "duckdb"))

    def count(rows: ibis.Table) -> ibis.Table:
        key = grid.index(epoch_micros(rows.timestamp, backend))
        branches = [
            rows.select(
                key=key,
                i=ibis.literal(i, "int32"),
                b=_bin(rows[f], g, cuts),
            )
            .group_by(["key", "i", "b"])
            .aggregate(n=ibis._.count())
            for i, (f, _, _, g, cuts) in enumerate(specs)
        ]
        return ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]

    counts_df = _kept_counts(store, spec, p, grid, specs)
    if counts_df is None:
        shape = tuple((f, g and grid_shape({f: g}), cuts) for f, _, _, g, cuts in specs)
        columns = ["timestamp", *dict.fromkeys(f for f, *_ in specs)]
        # every feature's GROUP BY would scan the rows (a slice of them) again: their narrow
        # columns are read once (a slice's Drift tab at 10M rows: 5.6 -> 2.4 CPU-s)
        narrow, release = materialize(store, p.cur.select(*columns))
        try:
            key = ("drift_over_time", grid.key, shape)
            counts_df = fetch_over(narrow, key, count).to_pandas()
        finally:
            release()

    rng = np.random.default_rng(seed)
    rows, bands = [], {}
    for i, (f, ref_counts, labels, _, _) in enumerate(specs):
        part = counts_df[counts_df["i"] == i]
        nulls = part[part["b"].isna()].groupby("key")["n"].sum()
        present = part[part["b"].notna()]
        extra = sorted(set(present["b"]) - set(labels), key=str)
        keys = labels + extra
        base = np.concatenate([ref_counts, np.zeros(len(extra))])
        table = present.pivot_table(
            index="key", columns="b", values="n", aggfunc="sum", fill_value=0
        ).reindex(columns=keys, fill_value=0)
        windows = sorted(set(part["key"]))
        table = table.reindex(windows, fill_value=0)
        totals = table.sum(axis=1).to_numpy()
        bounds = grid.bounds(np.asarray(windows, dtype="int64")).to_dict("records")
        whole = totals[(totals > 0) & ~np.array([b["partial"] for b in bounds], dtype=bool)]
        sizes = whole if whole.size else totals[totals > 0]
        typical = int(np.median(sizes)) if sizes.size else 0
        bands[f] = _chance_band(rng, stat, base, typical, band_sigma)
        for w, b, row, n_present in zip(
            windows, bounds, table.to_numpy(float), totals, strict=True
        ):
            n_null = int(nulls.get(w, 0))
            value = stat(base, row) if n_present > 0 else float("nan")
            # A cut window is smaller, so it moves more by chance: judged at its own size.
            high = (
                _chance_band(rng, stat, base, int(n_present), band_sigma)[1]
                if b["partial"]
                else bands[f][1]
            )
            n = int(n_present) + n_null
            rows.append(
                {
                    "feature": f,
                    **b,
                    "value": value,
                    "n": n,
                    "missing_rate": n_null / n if n else float("nan"),
                    "alert": bool(np.isfinite(high) and value > high),
                }
            )
    columns = ["feature", "window_start", "window_end", "partial", "value", "n", "missing_rate"]
    out = pd.DataFrame(rows, columns=[*columns, "alert"])
    out = out.sort_values(["feature", "window_start"]).reset_index(drop=True)
    return DriftOverTime(model, statistic, freq, out, bands)


def _day_aligned(grid: TimeGrid) -> bool:
    """Whether every bucket of ``grid`` starts at a UTC midnight (a day's rows share one)."""
    f = grid.freq
    if grid.changes or grid.offsets != (0,):
        return False
    if f.kind == "fixed":
        return f.step % DAY_US == 0 and grid.anchor % DAY_US == 0
    return True  # calendar weeks, months and quarters start at local midnight


def _kept_counts(
    store: Any, spec: DriftOverTimeSpec, p: Any, grid: TimeGrid, specs: list[Any]
) -> pd.DataFrame | None:
    """The row path's ``(key, i, b, n)`` from the counts kept per day, when they can answer (see
    the module); None otherwise."""
    scope = spec.scope
    if scope.where is not None or scope.reference is not None or not cube.usable(store):
        return None
    if not _day_aligned(grid):
        return None
    full = prepare(store, spec.model, scope.window, None, None, None, scope.version, decision=True)
    every = {f: g for f, g in full.grids.items() if g is not None}
    for f, _, _, g, _ in specs:
        known = f in every if g is not None else f in full.cat_cols
        if not known or (g is not None and grid_shape({f: every[f]}) != grid_shape({f: g})):
            return None
    shape = cube.Shape(spec.model, every, tuple(full.cat_cols), full.cuts)
    names = [f for f, *_ in specs]
    num, cat = cube.window_cells(store, shape, full.columns, [p.window], scope.version, only=names)
    frames = []
    for i, (f, _, _, g, cuts) in enumerate(specs):
        part = num[num["feature"] == f] if g is not None else cat[cat["feature"] == f]
        if g is not None:
            b = part["b"]
            index = np.searchsorted(
                np.asarray(cuts, dtype=np.int64), b.fillna(0).to_numpy(np.int64), "right"
            )
            label = pd.Series(index.astype(str), index=part.index, dtype=object).where(
                b.notna(), None
            )
        else:
            label = part["v"].astype(object).where(part["v"].notna(), None)
        day_starts = pd.to_datetime(part["day"].to_numpy(np.int64) * DAY_US, unit="us", utc=True)
        frames.append(
            pd.DataFrame(
                {
                    "key": grid.index_of(day_starts),
                    "i": i,
                    "b": label.to_numpy(dtype=object),
                    "n": part["n"].to_numpy(np.int64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
