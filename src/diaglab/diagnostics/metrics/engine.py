"""The engine's part of ``dl.metrics_over_time``: scoping, grouped aggregates, calibrations.

Everything here returns small frames: per (series, window) sufficient statistics and quantiles,
per (series, window, version, score bin) histogram counts, and per version calibrations fitted on
those counts (or on the reference's), never rows.
"""

from __future__ import annotations

import functools
from typing import Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.slices.bins import binnings
from diaglab.diagnostics.slices.query import statistic_aggregates
from diaglab.errors import InputError, unknown
from diaglab.queries.filters import where as apply_where
from diaglab.queries.scope import decided
from diaglab.queries.timegrid import TimeGrid, epoch_micros
from diaglab.queries.window import Window
from diaglab.stats.bands import MIN_WINDOWS
from diaglab.stats.estimation import Calibration, fit_calibration
from diaglab.stats.log_histogram import LOG_BINS, log_quantiles
from diaglab.stats.scores import DEFAULT_SCORE_BINS, ScoreHistogram
from diaglab.stats.sufficient import LOG_LOSS_CLIP

LATENCY_Q = (0.5, 0.9, 0.95, 0.99)
DELAY_Q = (0.5, 0.9)
BASELINE = pd.Timedelta(days=14)
BASELINE_WINDOWS = 8
"""Default baseline: the first 14 days of each series (or version), or its first 8 windows when
those are longer, so that a band has enough windows (:data:`diaglab.stats.bands.MIN_WINDOWS`)."""
MIN_LATENCY_MS = 1e-3
MIN_DELAY_DAYS = 1 / 86400
CHUNKS = 50
"""At most this many reference chunks calibrate a band."""


def by_expr(
    store: Any, model: str, table: Any, by: str | None, cache: Any
) -> tuple[Any, Any, str | None]:
    """The series key as an engine expression, a code → label map, and the normalised name."""
    if by is None:
        return ibis.literal("all"), None, None
    if by in ("version", "model_version"):
        return table.model_version, None, "model_version"
    schema = store.schema(model)
    if by not in schema.features and by not in schema.columns.values():
        raise unknown("by (a feature, or 'model_version')", by, ["model_version", *schema.features])
    plan = binnings(store, model, table, [by], cache_key=cache)[by]
    return plan.code(table).cast("string"), plan, by


def scoped(
    store: Any,
    model: str,
    window: Window,
    where: Any,
    version: str | None,
    as_of: Any,
    threshold: float | None = None,
) -> Any:
    schema = store.schema(model)
    table = decided(store.table(model), schema, threshold)
    if as_of is not None:
        labels = store.labels(model)
        known = labels.filter(labels.label_timestamp <= as_of.to_pydatetime())
        latest = known.group_by("prediction_id").aggregate(
            _label=known.label.argmax(known.seq),
            _label_timestamp=known.label_timestamp.argmax(known.seq),
        )
        base = table.filter(table.timestamp <= as_of.to_pydatetime())
        joined = base.left_join(latest, base.prediction_id == latest.prediction_id)
        table = joined.select(
            *[c for c in base.columns if c not in ("label", "label_timestamp")],
            label=joined._label,
            label_timestamp=joined._label_timestamp,
        )
    if version is not None:
        if version not in schema.versions:
            raise unknown(f"version of model {model!r}:", version, list(schema.versions))
        table = table.filter(table.model_version == version)
    return apply_where(window.filter(table), where)


def _score_bin(s: Any, usable: Any) -> Any:
    bin_ = ibis.least((s * DEFAULT_SCORE_BINS).floor(), DEFAULT_SCORE_BINS - 1)
    return ibis.ifelse(usable, bin_, ibis.null("float64")).cast("int16")


def binary_cells(keyed: Any) -> pd.DataFrame:
    """A binary model's rows counted per cell: (series, window, version, score bin, predicted
    class, label), with the sums of the score, its square, the Brier term ``(s − y)²`` and the
    log loss ``ℓ`` and their squares.

    Every count the metrics need (confusion counts, failures, predicted positives, the score
    histogram) is a sum of cell counts, because the predicted class and the label are keys: the
    engine evaluates no condition per row, only simple arithmetic and one logarithm per labelled
    row. On 10M rows this is ~0.4 s where fifteen conditional sums per window took ~3 s.
    """
    s, y, pred = keyed.score, keyed.label, keyed.prediction
    usable = s.notnull() & pred.notnull()
    labelled = usable & y.notnull()
    clipped = s.clip(LOG_LOSS_CLIP, 1 - LOG_LOSS_CLIP)
    loss = ibis.ifelse(
        labelled, -(ibis.ifelse(y == 1, clipped, 1 - clipped).ln()), ibis.null("float64")
    )
    brier = ibis.ifelse(labelled, (s - y) * (s - y), ibis.null("float64"))
    cells = keyed.mutate(score_bin=_score_bin(s, usable), _loss=loss, _brier=brier)
    return (
        cells.group_by(["_s", "_w", "model_version", "score_bin", "prediction", "label"])
        .aggregate(
            n=cells.count(),
            s1=cells.score.sum(),
            s2=(cells.score * cells.score).sum(),
            b1=cells._brier.sum(),
            b2=(cells._brier * cells._brier).sum(),
            l1=cells._loss.sum(),
            l2=(cells._loss * cells._loss).sum(),
        )
        .to_pyarrow()
        .to_pandas()
    )


def _from_cells(cells: pd.DataFrame, bins: bool) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The sufficient statistics per (series, window), and the histogram rows, from cells."""
    n = cells["n"].to_numpy(float)
    pred, y = cells["prediction"], cells["label"]
    labelled = (pred.notna() & y.notna()).to_numpy()
    p1, y1 = (pred == 1).fillna(False).to_numpy(bool), (y == 1).fillna(False).to_numpy(bool)
    scored = cells["score_bin"].notna().to_numpy()

    def where(mask: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        return np.where(mask, n if values is None else values, 0.0)

    def summed(column: str, mask: np.ndarray) -> np.ndarray:
        v = cells[column].to_numpy(float, na_value=np.nan)
        return np.where(mask & ~np.isnan(v), v, 0.0)

    parts = pd.DataFrame(
        {
            "_s": cells["_s"],
            "_w": cells["_w"],
            "n": n,
            "n_failed": where(pred.isna().to_numpy()),
            "n_labelled": where(labelled),
            "tp": where(labelled & p1 & y1),
            "fp": where(labelled & p1 & ~y1),
            "tn": where(labelled & ~p1 & ~y1),
            "fn": where(labelled & ~p1 & y1),
            "n_positive_predicted": where(p1),
            "n_scored": where(scored),
            "sum_score": summed("s1", scored),
            "sum_score_sq": summed("s2", scored),
            "sum_log_loss": summed("l1", labelled),
            "sum_log_loss_sq": summed("l2", labelled),
            "sum_brier": summed("b1", labelled),
            "sum_brier_sq": summed("b2", labelled),
        }
    )
    stats = parts.groupby(["_s", "_w"], as_index=False, dropna=False).sum()
    if not bins:
        return stats, None
    hist = pd.DataFrame(
        {
            "_s": cells["_s"],
            "_w": cells["_w"],
            "model_version": cells["model_version"],
            "score_bin": cells["score_bin"],
            "n_scored": n,
            "n_pp": where(p1),
            "bin_positives": where(labelled & y1),
            "bin_negatives": where(labelled & ~y1),
            "bin_sum_score": summed("s1", labelled),
        }
    )[scored]
    keys = ["_s", "_w", "model_version", "score_bin"]
    hist = hist.groupby(keys, as_index=False, dropna=False).sum()
    hist["score_bin"] = hist["score_bin"].astype(int)
    return stats, hist


def grouped_statistics(
    keyed: Any, task: str, scores: bool, center: float, *, bins: bool
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One scan: the sufficient statistics per (series, window), and for a binary model with
    scores (when ``bins``) the histogram rows per (series, window, version, score bin): scored
    rows, predicted positives, and the positives, negatives and score sum of the labelled ones.

    A binary model with scores is counted in cells (:func:`binary_cells`); other models get the
    general conditional sums of :func:`diaglab.diagnostics.slices.query.statistic_aggregates`.
    """
    if task == "binary" and scores:
        return _from_cells(binary_cells(keyed), bins)
    aggs = statistic_aggregates(keyed, task, scores=scores, latency=False, center=center)
    return keyed.group_by(["_s", "_w"]).aggregate(**aggs).to_pyarrow().to_pandas(), None


def quantiles(keyed: Any, latency: bool, delay: bool, backend: str = "duckdb") -> pd.DataFrame:
    """Latency (ms) and label-delay (days) quantiles per (series, window), from histograms.

    The engine counts rows per (series, window, log-spaced bin) of ``LOG_BINS`` bins per factor
    e, so a bin spans 0.5% of its value; a quantile is read from the counts
    (:func:`diaglab.stats.log_histogram.log_quantiles`) within 0.5% of the exact one. This costs
    a quarter of DuckDB's ``approx_quantile`` (t-digest) per window on 10M rows. Delays below
    ``MIN_DELAY_DAYS`` (one second; labels logged before their prediction) count as that.
    """
    branches = []
    if latency:
        rows = keyed.filter(keyed.latency_ms.notnull())
        value = rows.latency_ms.clip(lower=MIN_LATENCY_MS)
        branches.append(_log_counts(rows, value, 0))
    if delay:
        rows = keyed.filter(
            keyed.label.notnull() & keyed.prediction.notnull() & keyed.label_timestamp.notnull()
        )
        micros = epoch_micros(rows.label_timestamp, backend) - epoch_micros(rows.timestamp, backend)
        value = (micros / 86_400_000_000).clip(lower=MIN_DELAY_DAYS)
        branches.append(_log_counts(rows, value, 1))
    union = ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]
    counts = union.to_pyarrow().to_pandas()
    out: dict[tuple[str, Any], dict[str, float]] = {}
    names = {0: ("latency", LATENCY_Q), 1: ("label_delay", DELAY_Q)}
    for (series, window, kind), part in counts.groupby(["_s", "_w", "kind"], dropna=False):
        name, qs = names[int(kind)]
        values = log_quantiles(part["b"].to_numpy(), part["n"].to_numpy(), qs)
        row = out.setdefault((series, window), {})
        for q, v in zip(qs, values, strict=True):
            row[f"{name}_p{round(q * 100)}"] = float(v)
    columns = ["_s", "_w"] + [
        f"{names[kind][0]}_p{round(q * 100)}"
        for kind, wanted in ((0, latency), (1, delay))
        if wanted
        for q in names[kind][1]
    ]
    records = [{"_s": k[0], "_w": k[1], **v} for k, v in out.items()]
    return pd.DataFrame(records, columns=columns)


def _log_counts(rows: Any, value: Any, kind: int) -> Any:
    b = (value.ln() * LOG_BINS).floor().cast("int32")
    narrow = rows.select("_s", "_w", kind=ibis.literal(kind, "int8"), b=b)
    return narrow.group_by(["_s", "_w", "kind", "b"]).aggregate(n=narrow.count())


def histogram_arrays(
    hist: pd.DataFrame, full: pd.MultiIndex
) -> tuple[pd.DataFrame, ScoreHistogram, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The engine's histogram rows aligned with the (series, window) grid ``full``: the rows
    (with their grid position ``_row``), the realized score histogram, and per version the
    scored and predicted-positive counts per bin that the label-free estimate needs."""
    hist = hist.copy()
    rows = full.get_indexer(pd.MultiIndex.from_frame(hist[["_s", "_w"]]))
    hist = hist[rows >= 0].assign(_row=rows[rows >= 0])

    def grid(part: pd.DataFrame, column: str) -> np.ndarray:
        a = np.zeros((len(full), DEFAULT_SCORE_BINS))
        values = part[column].to_numpy(float, na_value=np.nan)  # SUM over no labels is NULL
        np.add.at(
            a, (part["_row"].to_numpy(), part["score_bin"].to_numpy(int)), np.nan_to_num(values)
        )
        return a

    histogram = ScoreHistogram(
        grid(hist, "bin_positives"), grid(hist, "bin_negatives"), grid(hist, "bin_sum_score")
    )
    per_version = {
        str(v): (grid(part, "n_scored"), grid(part, "n_pp"))
        for v, part in hist.groupby("model_version")
    }
    return hist, histogram, per_version


def reference_rows(store: Any, model: str, scores: bool, threshold: float | None = None) -> Any:
    """The reference's labelled rows, decided at ``threshold`` (None: the registered ones)."""
    ref = decided(store.reference(model), store.schema(model), threshold)
    ref = ref.filter(ref.prediction.notnull() & ref.label.notnull())
    if scores:
        ref = ref.filter(ref.score.notnull())
    return ref


def reference_calibrations(store: Any, model: str) -> dict[str, Calibration]:
    """Per version with a labelled, scored reference: its isotonic calibration."""

    def compute() -> dict[str, Calibration]:
        ref = reference_rows(store, model, True)
        score_bin = ibis.least((ref.score * DEFAULT_SCORE_BINS).floor(), DEFAULT_SCORE_BINS - 1)
        hist = (
            ref.mutate(score_bin=score_bin.cast("int16"))
            .group_by(["model_version", "score_bin"])
            .aggregate(
                pos=(ibis._.label == 1).cast("int64").sum(),
                neg=(ibis._.label == 0).cast("int64").sum(),
            )
            .to_pyarrow()
            .to_pandas()
        )
        return _fit_per_version(hist, "pos", "neg")

    result: dict[str, Calibration] = store.memo(("mot-calibration", model), compute)
    return result


def _fit_per_version(hist: pd.DataFrame, pos: str, neg: str) -> dict[str, Calibration]:
    out: dict[str, Calibration] = {}
    for version, part in hist.groupby("model_version"):
        positives = np.zeros(DEFAULT_SCORE_BINS)
        negatives = np.zeros(DEFAULT_SCORE_BINS)
        b = part["score_bin"].to_numpy(int)
        np.add.at(positives, b, part[pos].fillna(0).to_numpy(float))
        np.add.at(negatives, b, part[neg].fillna(0).to_numpy(float))
        try:
            out[str(version)] = fit_calibration(positives, negatives)
        except InputError:
            continue  # this version's rows hold one class only: no calibration for it
    return out


@functools.lru_cache(maxsize=256)
def default_baseline(grid: TimeGrid, first: pd.Timestamp) -> Window:
    """The default baseline of a series whose first window with data starts at ``first``."""
    eighth = grid.starts(grid.index_of([first]) + BASELINE_WINDOWS)[0]
    return Window(first, max(first + BASELINE, eighth))


def baseline_calibrations(
    hist: pd.DataFrame, baseline: Window | None, grid: TimeGrid
) -> dict[str, Calibration]:
    """Per version, an isotonic calibration on the labelled rows of its baseline windows."""
    labelled = hist[(hist["bin_positives"].fillna(0) + hist["bin_negatives"].fillna(0)) > 0]
    picked = []
    for _, part in labelled.groupby("model_version"):
        starts = utc_index(part["_w"])
        span = baseline if baseline is not None else default_baseline(grid, starts.min())
        lo = span.start if span.start is not None else starts.min()
        hi = span.end if span.end is not None else starts.max() + pd.Timedelta(1, "us")
        picked.append(part[np.asarray((starts >= lo) & (starts < hi))])
    if not picked:
        return {}
    return _fit_per_version(pd.concat(picked), "bin_positives", "bin_negatives")


def reference_chunks(
    store: Any,
    model: str,
    task: str,
    scores: bool,
    version: str,
    size: int,
    center: float,
    threshold: float | None = None,
) -> tuple[pd.DataFrame, ScoreHistogram | None] | None:
    """The reference of ``version`` cut into chunks of about ``size`` labelled rows, decided at
    ``threshold`` (None: the version's registered one)."""

    def compute() -> tuple[pd.DataFrame, ScoreHistogram | None] | None:
        ref = reference_rows(store, model, scores, threshold)
        ref = ref.filter(ref.model_version == version)
        total = int(ref.count().to_pyarrow().as_py())
        chunks = min(CHUNKS, total // max(size, 1))
        if chunks < MIN_WINDOWS:
            return None
        # A fixed pseudo-random chunk per row: the reference may be stored sorted.
        rn = ibis.row_number().cast("int64")
        keyed = ref.mutate(
            _s=ibis.literal("ref"), _w=((rn * 2654435761) % 1000003) % chunks
        ).mutate(model_version=ibis.literal(version))
        stats, hist = grouped_statistics(keyed, task, scores, center, bins=scores)
        stats = stats.sort_values("_w").reset_index(drop=True)
        histogram = None
        if hist is not None:
            histogram = ScoreHistogram.from_frame(hist, index=pd.Index(stats["_w"]), by=["_w"])
        return stats.drop(columns=["_s", "_w"]), histogram

    cut = store.schema(model).threshold_of(version) if threshold is None else threshold
    key = ("mot-reference-chunks", model, version, size, task, scores, cut)
    result: tuple[pd.DataFrame, ScoreHistogram | None] | None = store.memo(key, compute)
    return result


def utc_index(values: Any) -> pd.DatetimeIndex:
    """``values`` as a DatetimeIndex in UTC (naive values are read as UTC)."""
    idx = pd.DatetimeIndex(values)
    return idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
