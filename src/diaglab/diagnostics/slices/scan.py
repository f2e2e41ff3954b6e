"""The engine's part of :func:`diaglab.slice_metrics`: the counts and sums of every slice.

Two ``GROUP BY`` queries over the scoped rows, each returning a few thousand rows at most:

- **cells.** A binary model is counted per (slice keys, predicted class, label[, score bin]):
  the row count and, as the requested metrics need them, the sums of the score and its square,
  of the log loss ℓ and the Brier term and their squares. Every confusion count, failure,
  predicted positive and score-histogram bin is then a sum of cell counts, because the class and
  the label are keys: the engine evaluates no condition per row, only arithmetic and one
  logarithm. Multiclass and regression models get the conditional sums of
  :func:`diaglab.diagnostics.slices.query.statistic_aggregates` per slice.
- **latency.** Rows per (slice keys, log-spaced latency bin); the quantiles of each slice, and
  overall from the summed counts, are read off the counts
  (:mod:`diaglab.stats.log_histogram`: within 0.5% of the exact ones). The engine sorts nothing.

A categorical feature with at most ``RAW_VALUES`` distinct values is grouped by its value rather
than its bin code (comparing strings in a ``CASE`` per row costs ~4x the grouping); the values
are mapped to bins, rare ones folded into "other", on the small result. Each query is compiled
once per shape (:func:`diaglab.store.compiled.fetch_over`), whatever the window or slice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.slices.bins import Binning
from diaglab.stats.log_histogram import LOG_BINS, log_quantiles
from diaglab.stats.scores import DEFAULT_SCORE_BINS, ScoreHistogram
from diaglab.stats.sufficient import LATENCY_COLUMNS, LOG_LOSS_CLIP
from diaglab.store.compiled import fetch_over

RAW_VALUES = 64
"""Categorical features with at most this many values are grouped by value in the engine."""
MIN_LATENCY_MS = 1e-3
"""Latencies below one microsecond count as one (the log scale needs a floor)."""
LATENCY_QUANTILES = (0.5, 0.9, 0.95, 0.99)


@dataclass(frozen=True)
class Needs:
    """What the requested metrics need from a binary model's scores, and latency."""

    histogram: bool = False
    score_sums: bool = False
    log_loss: bool = False
    brier: bool = False
    latency: bool = False

    @classmethod
    def of(cls, names: Sequence[str], task: str, scores: bool) -> Needs:
        binary = task == "binary" and scores
        wanted = set(names)
        return cls(
            histogram=binary and bool(wanted & {"roc_auc", "expected_calibration_error"}),
            score_sums=binary and "mean_score" in wanted,
            log_loss=binary and "log_loss" in wanted,
            brier=binary and "brier_score" in wanted,
            latency=any(m.startswith("latency_") for m in names),
        )

    @property
    def scores(self) -> bool:
        return self.histogram or self.score_sums or self.log_loss or self.brier


@dataclass(frozen=True)
class SliceCounts:
    """Per slice (key columns ``_k0``/``_k1`` holding bin codes, sorted by them): the sufficient
    statistics of :mod:`diaglab.stats.sufficient` with latency quantiles; the score histogram in
    long format (or None); the overall latency quantiles."""

    stats: pd.DataFrame
    histogram: pd.DataFrame | None
    overall_latency: dict[str, float]


def grouped_by_value(binning: Binning) -> bool:
    return binning.kind == "categorical" and binning.n_values <= RAW_VALUES


def slice_counts(
    table: Any,
    task: str,
    plan: Mapping[str, Binning],
    by: Sequence[str],
    needs: Needs,
    aggregates: Callable[[Any], dict[str, Any]],
    aggregates_key: Any = None,
) -> SliceCounts:
    """The counts and sums of every slice of ``by`` over ``table``'s rows.

    ``aggregates(keyed_rows)`` gives the conditional sums for a model that is not binary (see
    :func:`diaglab.diagnostics.slices.query.statistic_aggregates`); ``aggregates_key`` names all
    they depend on (the task, the label centre).
    """
    names = [f"_k{i}" for i in range(len(by))]
    spec = tuple(
        (f, "value")
        if grouped_by_value(plan[f])
        else (f, plan[f].kind, plan[f].edges, plan[f].kept)
        for f in by
    )

    def keys(rows: Any) -> dict[str, Any]:
        return {
            k: rows[f].cast("string") if grouped_by_value(plan[f]) else plan[f].code(rows)
            for k, f in zip(names, by, strict=True)
        }

    histogram = None
    if task == "binary":
        cells = fetch_over(
            table, ("slice-cells", spec, needs), lambda rows: _cells(rows, keys, needs)
        ).to_pandas()
        _to_codes(cells, plan, by, names)
        stats, histogram = _from_cells(cells, names, needs)
    else:

        def build(rows: Any) -> Any:
            keyed = rows.mutate(**keys(rows))
            return keyed.group_by(names).aggregate(**aggregates(keyed))

        key = ("slice-sums", spec, task, aggregates_key)
        sums = fetch_over(table, key, build).to_pandas()
        _to_codes(sums, plan, by, names)
        stats = sums.groupby(names, as_index=False, dropna=False).sum(min_count=1)
    stats = stats.sort_values(names, kind="stable").reset_index(drop=True)
    overall: dict[str, float] = {}
    if needs.latency:
        counts = fetch_over(
            table, ("slice-latency", spec), lambda rows: _latency_counts(rows, keys, names)
        ).to_pandas()
        _to_codes(counts, plan, by, names)
        stats, overall = _with_latency(stats, counts, names)
    return SliceCounts(stats, histogram, overall)


def _to_codes(
    frame: pd.DataFrame, plan: Mapping[str, Binning], by: Sequence[str], names: list[str]
) -> None:
    for k, f in zip(names, by, strict=True):
        if grouped_by_value(plan[f]):
            values = frame[k].astype(object).where(frame[k].notna(), None)
            frame[k] = plan[f].codes_of(values)
        frame[k] = frame[k].astype("int64")


def _cells(rows: Any, keys: Callable[[Any], dict[str, Any]], needs: Needs) -> Any:
    s, y = rows.score, rows.label
    columns = keys(rows)
    group = [*columns, "prediction", "label"]
    if needs.histogram:
        # NULL without a score (SQL's LEAST would skip the NULL and answer the last bin)
        top = DEFAULT_SCORE_BINS - 1
        columns["score_bin"] = ibis.ifelse(s >= 1, top, (s * DEFAULT_SCORE_BINS).floor()).cast(
            "int16"
        )
        group.append("score_bin")
    if needs.log_loss:
        # ℓ = −ln(clip(s if y = 1 else 1 − s, ε, 1 − ε)), equal to clipping s first. The clip
        # is GREATEST/LEAST, which evaluate v once (a CASE per bound evaluates it three times:
        # ~1/3 of this query at 10M rows); they skip NULLs, hence the guard: NULL without a
        # score. Rows without a label are left out of the sums by their cell.
        v = ibis.ifelse(y == 1, s, 1 - s)
        lo, hi = LOG_LOSS_CLIP, 1 - LOG_LOSS_CLIP
        columns["_loss"] = ibis.cases((s.notnull(), -(ibis.greatest(ibis.least(v, hi), lo).ln())))
    if needs.brier:
        columns["_brier"] = (s - y) * (s - y)
    cells = rows.mutate(**columns)
    aggs: dict[str, Any] = {"n": cells.count()}
    if needs.scores and not needs.histogram:
        aggs["n_scored"] = cells.score.count()
    if needs.histogram or needs.score_sums:
        aggs["s1"] = cells.score.sum()
    if needs.score_sums:
        aggs["s2"] = (cells.score * cells.score).sum()
    if needs.log_loss:
        aggs.update(l1=cells._loss.sum(), l2=(cells._loss * cells._loss).sum())
    if needs.brier:
        aggs.update(b1=cells._brier.sum(), b2=(cells._brier * cells._brier).sum())
    return cells.group_by(group).aggregate(**aggs)


def _from_cells(
    cells: pd.DataFrame, names: list[str], needs: Needs
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Per slice, the sufficient statistics, and the histogram rows; a sum over no rows stays
    NULL (NaN), as in SQL."""
    n = cells["n"].to_numpy(float)
    pred, y = cells["prediction"], cells["label"]
    labelled = (pred.notna() & y.notna()).to_numpy()
    p1 = (pred == 1).fillna(False).to_numpy(bool)
    y1 = (y == 1).fillna(False).to_numpy(bool)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.where(mask, n, 0.0)

    def summed(column: str, mask: np.ndarray) -> np.ndarray:
        return np.where(mask, cells[column].to_numpy(float, na_value=np.nan), np.nan)

    parts: dict[str, Any] = {k: cells[k] for k in names}
    parts.update(
        n=n,
        n_failed=count(pred.isna().to_numpy()),
        n_labelled=count(labelled),
        tp=count(labelled & p1 & y1),
        fp=count(labelled & p1 & ~y1),
        tn=count(labelled & ~p1 & ~y1),
        fn=count(labelled & ~p1 & y1),
        n_positive_predicted=count(p1),
    )
    everything = np.ones(len(cells), dtype=bool)
    if needs.histogram:
        scored = cells["score_bin"].notna().to_numpy()
        parts["n_scored"] = count(scored)
    elif needs.scores:
        parts["n_scored"] = cells["n_scored"].to_numpy(float)
    if needs.score_sums:
        parts.update(sum_score=summed("s1", everything), sum_score_sq=summed("s2", everything))
    if needs.log_loss:
        parts.update(sum_log_loss=summed("l1", labelled), sum_log_loss_sq=summed("l2", labelled))
    if needs.brier:
        parts.update(sum_brier=summed("b1", labelled), sum_brier_sq=summed("b2", labelled))
    stats = pd.DataFrame(parts).groupby(names, as_index=False).sum(min_count=1)
    counts = [c for c in stats.columns if c.startswith("n") or c in ("tp", "fp", "tn", "fn")]
    stats[counts] = stats[counts].fillna(0.0)
    if not needs.histogram:
        return stats, None
    usable = labelled & cells["score_bin"].notna().to_numpy()
    hist = pd.DataFrame(
        {
            **{k: cells[k] for k in names},
            "score_bin": cells["score_bin"],
            "bin_positives": count(usable & y1),
            "bin_negatives": count(usable & ~y1),
            "bin_sum_score": np.where(usable, cells["s1"].to_numpy(float, na_value=0.0), 0.0),
        }
    )[usable]
    hist = hist.groupby([*names, "score_bin"], as_index=False).sum()
    hist["score_bin"] = hist["score_bin"].astype(int)
    return stats, hist


def _latency_counts(rows: Any, keys: Callable[[Any], dict[str, Any]], names: list[str]) -> Any:
    timed = rows.filter(rows.latency_ms.notnull())
    value = ibis.greatest(timed.latency_ms, MIN_LATENCY_MS)
    narrow = timed.select(**keys(timed), _b=(value.ln() * LOG_BINS).floor().cast("int32"))
    return narrow.group_by([*names, "_b"]).aggregate(_n=narrow.count())


def _with_latency(
    stats: pd.DataFrame, counts: pd.DataFrame, names: list[str]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Latency quantiles per slice (NaN for a slice without timed rows), and overall."""
    per: dict[tuple[int, ...], np.ndarray] = {}
    for key, part in counts.groupby(names, sort=False):  # grouped by a list: key is a tuple
        per[tuple(int(k) for k in cast(tuple[Any, ...], key))] = log_quantiles(
            part["_b"].to_numpy(), part["_n"].to_numpy(float), LATENCY_QUANTILES
        )
    missing = np.full(len(LATENCY_QUANTILES), np.nan)
    rows = [
        per.get(tuple(int(v) for v in r), missing) for r in stats[names].itertuples(index=False)
    ]
    values = np.vstack(rows) if rows else np.empty((0, len(LATENCY_QUANTILES)))
    stats = stats.copy()
    for j, col in enumerate(LATENCY_COLUMNS):
        stats[col] = values[:, j]
    overall = log_quantiles(
        counts["_b"].to_numpy(), counts["_n"].to_numpy(float), LATENCY_QUANTILES
    )
    return stats, dict(zip(LATENCY_COLUMNS, overall.tolist(), strict=True))


EXACT_ROWS = 50_000
"""At most this many labelled, scored rows in a selection: ROC AUC is computed exactly from the
rows' scores (one narrow fetch of bin codes, score and label) instead of the score histogram."""


def exact_score_histogram(
    table: Any, plan: Mapping[str, Binning], by: Sequence[str], stats: pd.DataFrame
) -> ScoreHistogram | None:
    """A histogram with one bin per distinct score, rows aligned with ``stats`` (key columns
    ``_k0``/``_k1``), over the labelled, scored rows of ``table``; None above ``EXACT_ROWS``.

    With every bin holding one score value, the binned ROC AUC (pairs in one bin count half) *is*
    the exact AUC, ties counted half as scikit-learn counts them."""
    rows = table.filter(table.label.notnull() & table.score.notnull())
    keys = {f"_k{i}": plan[f].code(rows) for i, f in enumerate(by)}
    narrow = rows.select(**keys, _s=rows.score, _y=rows.label).limit(EXACT_ROWS + 1)
    frame = narrow.to_pyarrow().to_pandas()
    if len(frame) > EXACT_ROWS:
        return None
    names = list(keys)
    index = pd.MultiIndex.from_frame(stats[names]) if len(names) > 1 else pd.Index(stats[names[0]])
    at = pd.MultiIndex.from_frame(frame[names]) if len(names) > 1 else pd.Index(frame[names[0]])
    group = np.asarray(index.get_indexer(at))
    values, bins = np.unique(frame["_s"].to_numpy(float), return_inverse=True)
    y = frame["_y"].to_numpy(float)
    keep = group >= 0
    arrays = []
    for weights in (y, 1 - y, frame["_s"].to_numpy(float)):
        array = np.zeros((len(stats), max(len(values), 1)))
        np.add.at(array, (group[keep], bins[keep]), weights[keep])
        arrays.append(array)
    return ScoreHistogram(*arrays)
