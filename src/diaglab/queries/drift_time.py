"""``dl.drift_over_time``: a drift statistic per feature per time window, with an alert band.

Each window's statistic compares that window's distribution with the reference, on reference
deciles (numeric) or categories; the engine returns counts per (window, bin). The alert band is
calibrated on the reference itself: chunks the size of a typical window are drawn from the
reference's own distribution (multinomial samples of its bin shares, so no rows are needed), the
statistic of each chunk against the reference shows how much a window moves by chance, and the
band is mean ± band_sigma·std of the logarithm of those values (these statistics are right-skewed,
close to a scaled chi-square; see :func:`diaglab.stats.drift.alert_band`). A window above it is
flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from diaglab.errors import InputError, unknown
from diaglab.queries.drift import LABEL, prepare
from diaglab.queries.filters import Slice
from diaglab.queries.window import epoch_bucket
from diaglab.stats.distances import coarsen_bins, js_distance, psi
from diaglab.stats.drift import alert_band
from diaglab.store.compiled import fetch_over

STATISTICS = {"psi": psi, "js_distance": js_distance}
BINS = 10
CHUNKS = 50


@dataclass(frozen=True)
class DriftOverTime:
    """A drift statistic per feature per window.

    ``table`` has columns feature, window_start, window_end, value, n, missing_rate, alert;
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


def _interval(freq: str) -> tuple[Any, pd.Timedelta]:
    try:
        delta = pd.Timedelta(freq)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"freq {freq!r} is not a fixed frequency such as '1h', '6h', '1D', '7D'"
        ) from exc
    if delta < pd.Timedelta(minutes=1):
        raise InputError(f"freq {freq!r} is shorter than a minute")
    return ibis.interval(seconds=int(delta.total_seconds())), delta


def _bin(col: Any, cuts: tuple[float, ...] | None) -> Any:
    """The bin label of each value: its category, or the index of its decile between ``cuts``."""
    if cuts is None:
        return col.cast("string")
    cases = [(col < c, str(j)) for j, c in enumerate(cuts)]
    b = ibis.cases(*cases, else_=str(len(cuts))) if cases else ibis.literal("0")
    return ibis.ifelse(col.isnull(), ibis.null("string"), b)


def _band(values: np.ndarray, k: float) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size and not (v > 0).any():
        return (0.0, 0.0)
    try:
        low, high = alert_band(np.log(v[v > 0]), k=k)
    except InputError:
        return (float("nan"), float("nan"))
    return (float(np.exp(low)), float(np.exp(high)))


def drift_over_time(
    store: Any,
    model: str,
    *,
    window: Any = None,
    reference: Any = None,
    where: Slice | str | None = None,
    version: str | None = None,
    freq: str = "1D",
    statistic: str = "psi",
    features: Sequence[str] | None = None,
    band_sigma: float = 3.0,
    seed: int = 0,
) -> DriftOverTime:
    """The drift statistic of each feature (and the prediction) per ``freq`` window.

    Parameters
    ----------
    freq : str
        A fixed window length: '1h', '6h', '1D', '7D', ...
    statistic : {"psi", "js_distance"}
        Computed on reference deciles (numeric) or categories.
    band_sigma : float
        Width of the alert band, in standard deviations of the chance statistic.
    seed : int
        Seed of the reference chunks drawn for the band.
    """
    if statistic not in STATISTICS:
        raise unknown("statistic", statistic, list(STATISTICS))
    stat = STATISTICS[statistic]
    _, delta = _interval(freq)
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

    seconds = int(delta.total_seconds())

    def count(rows: ibis.Table) -> ibis.Table:
        branches = [
            rows.select(
                key=epoch_bucket(rows.timestamp, seconds),
                i=ibis.literal(i, "int32"),
                b=_bin(rows[f], cuts),
            )
            .group_by(["key", "i", "b"])
            .aggregate(n=ibis._.count())
            for i, (f, _, _, cuts) in enumerate(specs)
        ]
        return ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]

    shape = tuple((f, cuts) for f, _, _, cuts in specs)
    counts_df = fetch_over(p.cur, ("drift_over_time", seconds, shape), count).to_pandas()

    rng = np.random.default_rng(seed)
    rows, bands = [], {}
    for i, (f, ref_counts, labels, _) in enumerate(specs):
        part = counts_df[counts_df["i"] == i]
        nulls = part[part["b"].isna()].groupby("key")["n"].sum()
        present = part[part["b"].notna()]
        extra = sorted(set(present["b"]) - set(labels), key=str)
        keys = labels + extra
        base = np.concatenate([ref_counts, np.zeros(len(extra))])
        grid = present.pivot_table(
            index="key", columns="b", values="n", aggfunc="sum", fill_value=0
        ).reindex(columns=keys, fill_value=0)
        windows = sorted(set(part["key"]))
        grid = grid.reindex(windows, fill_value=0)
        totals = grid.sum(axis=1).to_numpy()
        typical = int(np.median(totals[totals > 0])) if (totals > 0).any() else 0
        if typical > 0 and base.sum() > 0:
            draws = rng.multinomial(typical, base / base.sum(), size=CHUNKS)
            chance = np.array([stat(base, d) for d in draws])
        else:
            chance = np.array([])
        bands[f] = _band(chance, band_sigma)
        high = bands[f][1]
        for w, row, n_present in zip(windows, grid.to_numpy(float), totals, strict=True):
            n_null = int(nulls.get(w, 0))
            value = stat(base, row) if n_present > 0 else float("nan")
            start = pd.Timestamp(w)
            start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
            n = int(n_present) + n_null
            rows.append(
                {
                    "feature": f,
                    "window_start": start,
                    "window_end": start + delta,
                    "value": value,
                    "n": n,
                    "missing_rate": n_null / n if n else float("nan"),
                    "alert": bool(np.isfinite(high) and value > high),
                }
            )
    table = pd.DataFrame(
        rows,
        columns=["feature", "window_start", "window_end", "value", "n", "missing_rate", "alert"],
    )
    table = table.sort_values(["feature", "window_start"]).reset_index(drop=True)
    return DriftOverTime(model, statistic, freq, table, bands)
