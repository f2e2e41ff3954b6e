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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.drift.query import LABEL, prepare
from diaglab.errors import InputError, unknown
from diaglab.queries.result import Result
from diaglab.queries.timegrid import Freq, epoch_micros, span_of
from diaglab.stats.distances import coarsen_bins, js_distance, psi
from diaglab.stats.drift import alert_band
from diaglab.store.compiled import fetch_over

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


def _bin(col: Any, cuts: tuple[float, ...] | None) -> Any:
    """The bin label of each value: its category, or the index of its decile between ``cuts``."""
    if cuts is None:
        return col.cast("string")
    cases = [(col < c, str(j)) for j, c in enumerate(cuts)]
    b = ibis.cases(*cases, else_=str(len(cuts))) if cases else ibis.literal("0")
    return ibis.ifelse(col.isnull(), ibis.null("string"), b)


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
    specs: list[tuple[str, np.ndarray, list[Any], tuple[float, ...] | None]] = []
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
        specs.append((f, ref_shares, labels, tuple(float(c) for c in cuts)))
    for f in p.cat_cols:
        if f == LABEL:
            continue
        counts = p.ref_cats[f]
        counts = counts[counts.index.notna()]
        specs.append((f, counts.to_numpy(float), list(counts.index), None))
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
                b=_bin(rows[f], cuts),
            )
            .group_by(["key", "i", "b"])
            .aggregate(n=ibis._.count())
            for i, (f, _, _, cuts) in enumerate(specs)
        ]
        return ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]

    shape = tuple((f, cuts) for f, _, _, cuts in specs)
    counts_df = fetch_over(p.cur, ("drift_over_time", grid.key, shape), count).to_pandas()

    rng = np.random.default_rng(seed)
    rows, bands = [], {}
    for i, (f, ref_counts, labels, _) in enumerate(specs):
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
