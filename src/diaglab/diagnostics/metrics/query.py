"""``dl.metrics_over_time``: volume, latency, labels and model quality per time window.

Per window (and per series when split ``by`` a version or a feature) the engine returns, in one
``GROUP BY``, the sufficient statistics of :mod:`diaglab.stats.metrics` (confusion counts and sums,
see :func:`diaglab.diagnostics.slices.query.statistic_aggregates`), approximate latency and
label-delay quantiles, and, in a second ``GROUP BY`` with the score bin as an extra key, the score
histogram that ROC AUC, calibration error and the label-free estimate need. Everything else is
arithmetic on those few thousand numbers. Windows without rows, or without labels for the label
metrics, stay in the table as gaps (NaN with a reason and ``gap=True``), never as zeros.

``as_of`` rebuilds the past: only predictions logged by then and, for each, the latest label whose
``label_timestamp`` is not after it (from the label history ``store.labels``), so a dashboard of a
past date reads the same however many labels arrived since.

Alerts: see :func:`metrics_over_time`. Label-free estimates: :mod:`diaglab.stats.estimation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.metrics.bands import OPERATIONS, band_for, band_warnings, typical_n
from diaglab.diagnostics.metrics.engine import (
    baseline_calibrations,
    by_expr,
    grouped_statistics,
    histogram_arrays,
    quantiles,
    reference_calibrations,
    scoped,
)
from diaglab.diagnostics.metrics.resources import (
    RESOURCE_METRICS,
    has_resources,
    resource_metric,
    resource_sums,
)
from diaglab.diagnostics.metrics.table import estimate_parts, reasons, rows, tidy
from diaglab.diagnostics.slices.query import BINARY_QUALITY, label_center, metric_task
from diaglab.errors import InputError, unknown
from diaglab.queries.result import Result
from diaglab.queries.timegrid import Freq, epoch_micros, span_of
from diaglab.queries.window import Window, _utc
from diaglab.stats.estimation import ESTIMATED_METRICS, cbpe
from diaglab.stats.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS, metric_table
from diaglab.stats.scores import ScoreHistogram

if TYPE_CHECKING:
    from diaglab.diagnostics.metrics.spec import MetricsOverTimeSpec

OWN_METRICS = ("volume", "label_delay_p50", "label_delay_p90", *RESOURCE_METRICS)
"""Metrics computed here rather than in :mod:`diaglab.stats.metrics`."""
_OPERATIONS = tuple(m for m in OPERATIONS if m != "latency_p90")  # p90 on request
DEFAULT_METRICS = {
    "binary": (*_OPERATIONS, "mean_score", "positive_rate", "accuracy", *BINARY_QUALITY),
    "multiclass": (*_OPERATIONS, "accuracy", "error"),
    "regression": (*_OPERATIONS, "mae", "rmse", "r2"),
}
_MULTICLASS = frozenset(
    {*DEFAULT_METRICS["multiclass"], "latency_p90", "failure_rate", "label_coverage"}
)
TABLE_COLUMNS = (
    "series",
    "window_start",
    "window_end",
    "partial",
    "metric",
    "kind",
    "value",
    "low",
    "high",
    "n",
    "reason",
    "band_low",
    "band_high",
    "alert",
    "gap",
)


@dataclass(frozen=True, repr=False)
class MetricsOverTime(Result):
    """Metrics per time window, with intervals, alert bands and label-free estimates.

    Attributes
    ----------
    model, freq, by, as_of, window
        What was asked (``window`` the range of windows shown).
    metrics
        The metric names, in order.
    table
        Tidy, one row per series, window, metric and kind: ``series`` (the ``by`` value, or
        ``"all"``), ``window_start``, ``window_end`` (clipped to ``window``), ``partial`` (the
        window is cut by the asked window's start or end), ``metric``, ``kind`` (``"realized"`` from
        labels or logs, ``"estimated"`` from scores alone), ``value``, ``low``, ``high`` (the
        interval), ``n`` (the sample behind it), ``reason`` (why a value or bound is NaN),
        ``band_low``, ``band_high`` (the alert band at this window's size), ``alert`` (True
        outside the band), ``gap`` (no rows, or no labels for a label metric).
    windows
        Per series and window: ``n``, ``n_failed``, ``n_labelled``, ``label_coverage`` (always
        there, whatever ``metrics`` asks: the context a quality drop must be read in).
    bands
        Per series and metric: the band's ``source``, ``center``, ``spread``, ``size``, ``k``,
        ``windows``, ``low``, ``high`` (at the typical window size).
    calibration
        Per version, the reference rows the label-free estimate was calibrated on.
    warnings
        What makes the result less than it seems, e.g. bands left out for too few baseline
        windows (each is also issued as a :class:`diaglab.errors.DiaglabWarning`).
    """

    model: str
    freq: str
    by: str | None
    as_of: pd.Timestamp | None
    window: Window
    metrics: tuple[str, ...]
    table: pd.DataFrame = field(repr=False)
    windows: pd.DataFrame = field(repr=False)
    bands: pd.DataFrame = field(repr=False)
    calibration: dict[str, int] = field(repr=False)

    @property
    def series(self) -> list[str]:
        """The series (``by`` values), in order."""
        return list(dict.fromkeys(self.windows["series"]))

    def metric(self, name: str, kind: str = "realized") -> pd.DataFrame:
        """One metric's rows (all series) of one kind."""
        if name not in self.metrics:
            raise unknown("metric", name, self.metrics)
        if kind not in ("realized", "estimated"):
            raise unknown("kind", kind, ("realized", "estimated"))
        t = self.table
        return t[(t["metric"] == name) & (t["kind"] == kind)].reset_index(drop=True)

    def alerts(self) -> pd.DataFrame:
        """The rows outside their band."""
        return self.table[self.table["alert"].fillna(False).astype(bool)].reset_index(drop=True)

    def wide(self, kind: str = "realized") -> pd.DataFrame:
        """Values as a frame: one row per series and window, one column per metric."""
        t = self.table[self.table["kind"] == kind]
        return t.pivot_table(
            index=["series", "window_start"], columns="metric", values="value", dropna=False
        ).reindex(columns=[m for m in self.metrics if m in set(t["metric"])])

    def __str__(self) -> str:
        n_alerts = int(self.table["alert"].fillna(False).astype(bool).sum())
        return (
            f"{len(self.metrics)} metrics of {self.model!r} per {self.freq} over {self.window} "
            f"({len(self.series)} series, {len(self.windows)} windows, {n_alerts} alerts)"
        )


# -- arguments --------------------------------------------------------------------------------


def valid_metrics(task: str, scores: bool) -> list[str]:
    """Every metric name ``metrics_over_time`` accepts for a model with this task."""
    registry = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    names = [*OWN_METRICS, *registry]
    if task == "multiclass":
        names = [n for n in names if n in _MULTICLASS or n in OWN_METRICS]
    if task == "binary" and not scores:
        names = [n for n in names if n in OWN_METRICS or not registry[n].needs_scores]
    return list(dict.fromkeys(names))


def resolve_metric_names(metrics: str | Sequence[str] | None, task: str, scores: bool) -> list[str]:
    """The metric names to compute; an error listing the valid names for an unknown one."""
    valid = valid_metrics(task, scores)
    if metrics is None:
        return [m for m in DEFAULT_METRICS[task] if m in valid]
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise InputError(f"name at least one metric; valid: {', '.join(valid)}")
    for m in names:
        if not isinstance(m, str) or m not in valid:
            raise unknown(f"metric for this {task} model", m, valid)
    return list(dict.fromkeys(names))


# -- metrics_over_time ------------------------------------------------------------------------


def metrics_over_time(store: Any, spec: MetricsOverTimeSpec) -> MetricsOverTime:
    """Volume, failures, latency, labels and model quality per time window, with alert bands.

    Parameters
    ----------
    store : diaglab.Store
    model : str
    freq : str
        Window length in the grammar of :mod:`diaglab.queries.timegrid`: '1h', '6h', '1D'
        (default), '7D' (fixed durations), 'W' (calendar weeks), 'M' or '1mo' (months), 'Q'.
    metrics : str or list of str, optional
        Default for a binary model: volume, failure_rate, latency_p50/p95/p99, label_coverage,
        label_delay_p50/p90 (days), mean_score, positive_rate, accuracy, precision, recall, f1,
        roc_auc, log_loss, brier_score, expected_calibration_error (regression: mae, rmse, r2);
        and, when the rows carry resource figures, throughput, cpu_ms_per_prediction and
        memory_mb (:mod:`diaglab.diagnostics.metrics.resources`). An unknown name raises an error
        listing the valid ones.
    by : str, optional
        Split into series: ``"model_version"`` (or ``"version"``), or a feature (numeric ones
        cut into reference-quantile bins, categorical ones grouped, as ``dl.slice_metrics``).
    where : dl.Slice or str, optional
        Only these rows, e.g. ``"channel = 'web'"``.
    as_of : date or timestamp, optional
        The metrics as they could be known then: predictions logged by then, each with the
        latest label that had arrived by then.
    window : dl.Window or (start, end), optional
        Only these windows (default: from the first to the last prediction).
    version : str, optional
        Only this model version's predictions.
    threshold : float, optional
        Decide the binary class at this score threshold for every version (default: each
        version's registered one, ``store.set_threshold``).
    band_sigma : float
        Half-width of the alert bands in standard deviations (default 3).
    thresholds : mapping metric -> (low, high), optional
        Fixed bounds that replace a metric's calibrated band (None: no bound on that side).
    baseline : dl.Window or (start, end), optional
        The production windows bands (and the label-free estimate) are calibrated on; default:
        each series' (each version's) first 14 days with data, or its first 8 windows when
        those are longer (``freq`` of a week or more). Partial windows are left out.
    estimate : bool
        Add label-free estimates (CBPE, :mod:`diaglab.stats.estimation`) of accuracy and ROC AUC
        (binary models with scores).
    bands_from : {"baseline", "reference"}
        Where quality metrics' bands come from (see Notes). ``"reference"`` needs a labelled
        reference that scores like production, e.g. a held-out validation set.
    calibrate_on : {"baseline", "reference"}
        The labelled rows the estimate's score calibration is fitted on: each version's
        baseline windows, or its registered reference.
    confidence : float
        Level of the intervals.
    tz : str
        Time zone whose calendar the windows follow (default UTC).
    week_start : str
        First day of a calendar week (``freq="W"``), default Monday.

    Returns
    -------
    MetricsOverTime
        ``.table`` (tidy), ``.windows``, ``.bands``; see :class:`MetricsOverTime`.

    Notes
    -----
    The alert rule. Each series' metric is judged against a band ``center ± band_sigma·s``
    calibrated on *calibration windows* of the size of a monitoring window. By default these are the
    series' first production windows (``baseline``: its first 14 days, or its first 8 windows when
    longer), the reference period of a store whose reference rows carry no time.
    ``bands_from="reference"`` calibrates the quality metrics a labelled reference can give
    (accuracy, ROC AUC, log loss, ..., mean score, positive rate) on the reference of the series'
    version (else the newest version's) cut into up to 50 pseudo-random chunks as large as the
    series' median window; volume, failures, latency, label coverage and delay always use the
    baseline. The reference is not the default because it is often the training set, whose in-sample
    metrics are optimistic (the sample store's reference gives ROC AUC 0.85 where production starts
    at 0.79), so every production window would leave its band.

    For metrics estimated from a sample (proportions and means) the half-width is rescaled to each
    window's own sample size, ``band_sigma·s·sqrt(m / n)`` (:mod:`diaglab.stats.bands`), so a window
    thin in labels gets a wider band instead of a false alarm; quantiles, volume and binned
    calibration error keep a fixed width. A window outside its band is flagged (``alert``); both
    sides are flagged, since a jump in e.g. volume or positive rate is news either way. Estimated
    values are judged against the same band as the realized ones. ``thresholds`` replaces a band by
    fixed bounds. A band needs at least 8 calibration windows: with fewer, the metric gets no band
    and no alerts, and the result says so (``warnings``, and a ``DiaglabWarning``).

    Examples
    --------
    >>> m = dl.metrics_over_time(store, "credit", metrics=["accuracy", "roc_auc"])  # doctest: +SKIP
    >>> m.alerts()[["window_start", "metric", "value", "band_low"]]  # doctest: +SKIP
    """
    model, window, where = spec.model, spec.scope.window, spec.scope.where
    threshold = spec.scope.threshold
    version, as_of, freq, metrics = spec.scope.version, spec.scope.as_of, spec.freq, spec.metrics
    by, band_sigma, thresholds, baseline = spec.by, spec.band_sigma, spec.thresholds, spec.baseline
    estimate, bands_from, calibrate_on = spec.estimate, spec.bands_from, spec.calibrate_on
    confidence, tz, week_start = spec.confidence, spec.tz, spec.week_start
    period = Freq.parse(freq, tz=tz, week_start=week_start)
    schema = store.schema(model)
    task = schema.task or "binary"
    win = Window.of(window)
    when = _utc(as_of, "as_of") if as_of is not None else None
    table = scoped(store, model, win, where, version, when, threshold)
    scores = task == "binary" and bool(
        store.memo(
            ("mot-has-scores", model),
            lambda: store.table(model).score.notnull().any().to_pyarrow().as_py(),
        )
    )
    names = resolve_metric_names(metrics, task, scores)
    if metrics is None and has_resources(store, model):
        names += list(RESOURCE_METRICS)
    for option, choice in (("bands_from", bands_from), ("calibrate_on", calibrate_on)):
        if choice not in ("baseline", "reference"):
            raise unknown(option, choice, ("baseline", "reference"))
    overrides = dict(thresholds or {})
    for m in overrides:
        if m not in names:
            raise unknown("metric in thresholds (not among metrics)", m, names)
    baseline_win = Window.of(baseline) if baseline is not None else None
    cache = (str(win), str(where) if where is not None else None, version, str(when), threshold)
    key_expr, plan, by_name = by_expr(store, model, table, by, cache)
    grid = period.grid(win, span=lambda: span_of(table))
    backend = str(getattr(store.ibis, "name", "duckdb"))
    keyed = table.mutate(_s=key_expr, _w=grid.index(epoch_micros(table.timestamp, backend)))
    center = label_center(store, model, store.table(model)) if task == "regression" else 0.0

    need_hist = scores and (
        estimate or any(m in ("roc_auc", "expected_calibration_error") for m in names)
    )
    stats, hist = grouped_statistics(keyed, task, scores, center, bins=need_hist)
    latency = any(m.startswith("latency_") for m in names)
    delay = any(m.startswith("label_delay_") for m in names)
    if latency or delay:
        q = quantiles(keyed, latency, delay, backend)
        stats = stats.merge(q, on=["_s", "_w"], how="left")
    if any(m in RESOURCE_METRICS for m in names):
        stats = stats.merge(resource_sums(keyed), on=["_s", "_w"], how="left")
    for frame in (stats, hist):
        if frame is not None:
            frame["_w"] = grid.starts(frame["_w"])
            frame["_s"] = frame["_s"].astype("string").fillna("(missing)").astype(str)
    label_of = (lambda c: plan.bin(int(c)).label) if plan is not None else (lambda c: c)
    # Every window from the first to the last (or the asked window's), per series.
    seen = grid.index_of(stats["_w"]) if len(stats) else ()
    shown_idx = grid.indices(seen, until=when)
    starts = grid.starts(shown_idx)
    cut = starts[grid.bounds(shown_idx)["partial"].to_numpy(bool)]  # windows the window cuts
    series_keys = sorted(stats["_s"].unique(), key=lambda s: (len(s), s) if plan else s)
    if by_name is None:
        series_keys = ["all"]
    full = pd.MultiIndex.from_product([series_keys, starts], names=["_s", "_w"])
    stats = stats.set_index(["_s", "_w"]).reindex(full)
    counts = [c for c in stats.columns if c.startswith("n") or c in ("tp", "fp", "tn", "fn")]
    stats[counts] = stats[counts].fillna(0)

    histogram: ScoreHistogram | None = None
    per_version: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if hist is not None:
        hist, histogram, per_version = histogram_arrays(hist, full)

    registry_names = [m for m in names if m not in OWN_METRICS]
    long_parts: list[pd.DataFrame] = []
    flat = stats.reset_index()
    if registry_names:
        quality = metric_table(
            flat.drop(columns=["_s", "_w"]),
            registry_names,
            task=metric_task(task),  # type: ignore[arg-type]
            histogram=histogram if histogram is not None and len(flat) else None,
            confidence=confidence,
        )
        pos = np.tile(np.arange(len(flat)), len(registry_names))
        quality["_s"] = flat["_s"].to_numpy()[pos]
        quality["_w"] = flat["_w"].to_numpy()[pos]
        quality["kind"] = "realized"
        long_parts.append(quality.reset_index(drop=True))
    for m in [m for m in names if m in OWN_METRICS]:
        empty = flat["n"].to_numpy(float) == 0
        if m == "volume":
            value = flat["n"].to_numpy(float)
            n = value
            why = reasons(empty, "no rows")
        elif m in RESOURCE_METRICS:
            value, n, why = resource_metric(m, flat, grid)
        else:
            value = flat[m].to_numpy(float)
            n = flat["n_labelled"].to_numpy(float)
            always = np.ones(len(n), dtype=bool)
            why = reasons(
                empty,
                "no rows",
                n == 0,
                "no labelled rows",
                always,
                "no interval: approximate quantile",
            )
        long_parts.append(rows(m, "realized", flat, value, n, why))
    calibration_rows: dict[str, int] = {}
    if estimate and per_version and hist is not None:
        calibrations = (
            reference_calibrations(store, model)
            if calibrate_on == "reference"
            else baseline_calibrations(hist, baseline_win, grid)
        )
        parts, calibration_rows = estimate_parts(per_version, calibrations)
        if parts:
            estimates = cbpe(parts, confidence=confidence)
            for m in [m for m in ESTIMATED_METRICS if m in names]:
                e = estimates[m]
                value = np.asarray(e.value, dtype=float)
                no_rows = flat["n"].to_numpy() == 0
                why = reasons(no_rows, "no rows", np.isnan(value), "no scores")
                long_parts.append(
                    rows(m, "estimated", flat, value, e.n, why, e.lower, e.upper, e.std_error)
                )
    long = (
        pd.concat(long_parts, ignore_index=True)
        if long_parts
        else pd.DataFrame(
            columns=["metric", "value", "lower", "upper", "std_error", "n", "reason", "_s", "_w"]
        )
    )
    label_metrics = {
        m
        for m in names
        if m in ("label_delay_p50", "label_delay_p90")
        or (
            m != "label_coverage"
            and m not in OWN_METRICS
            and not m.startswith("latency_")
            and m not in ("failure_rate", "mean_score", "positive_rate")
        )
    }
    n_rows = flat.set_index(["_s", "_w"])["n"]
    n_lab = flat.set_index(["_s", "_w"])["n_labelled"]
    idx = pd.MultiIndex.from_arrays([long["_s"], long["_w"]])
    rows_here = n_rows.reindex(idx).to_numpy(float)
    labs_here = n_lab.reindex(idx).to_numpy(float)
    needs_labels = (long["metric"].isin(label_metrics) & (long["kind"] == "realized")).to_numpy()
    long["gap"] = (rows_here == 0) | (needs_labels & (labs_here == 0))

    # Alert bands, per series and metric.
    band_rows = []
    band_low = np.full(len(long), np.nan)
    band_high = np.full(len(long), np.nan)
    alerts = np.full(len(long), np.nan)
    values, sizes = long["value"].to_numpy(float), long["n"].to_numpy(float)
    realized_rows = long["kind"].to_numpy() == "realized"
    groups: dict[Any, Any] = dict(long.groupby(["_s", "metric"], sort=False).indices)
    flat_groups: dict[Any, Any] = dict(flat.groupby("_s", sort=False).indices)
    empty = np.array([], dtype=int)
    short: list[tuple[str, int]] = []
    for s in series_keys:
        s_flat = flat.iloc[flat_groups.get(s, empty)]
        for m in names:
            at = np.asarray(groups.get((s, m), empty))
            realized = long.iloc[at[realized_rows[at]]]
            band = band_for(
                store,
                model,
                task,
                scores,
                m,
                s,
                by_name,
                version,
                s_flat,
                realized,
                baseline_win,
                grid,
                cut,
                band_sigma,
                overrides.get(m),
                center,
                confidence,
                bands_from,
                threshold,
            )
            low, high = band.bounds(np.array([typical_n(realized)]))
            band_rows.append(
                {
                    "series": label_of(s) if plan is not None else s,
                    "metric": m,
                    "source": band.source,
                    "center": band.center,
                    "spread": band.spread,
                    "size": band.size,
                    "k": band.k,
                    "windows": band.windows,
                    "low": float(low[0]),
                    "high": float(high[0]),
                }
            )
            band_low[at], band_high[at], alerts[at] = band.judge(values[at], sizes[at])
            if band.source == "none" and m not in overrides and np.isfinite(values[at]).any():
                short.append((m, band.windows))
    long["band_low"], long["band_high"], long["alert"] = band_low, band_high, alerts

    def bounds(w: Any) -> pd.DataFrame:
        return grid.bounds(grid.index_of(w))

    out, windows = tidy(long, flat, names, bounds, label_of if plan is not None else None)
    if len(shown_idx):
        edges = grid.bounds(shown_idx[[0, -1]])
        shown = Window(edges["window_start"].iloc[0], edges["window_end"].iloc[-1])
    else:
        shown = win
    notes = band_warnings(short, freq)
    return MetricsOverTime(
        model=model,
        freq=freq,
        by=by_name,
        as_of=when,
        window=shown,
        metrics=tuple(names),
        table=out,
        windows=windows,
        bands=pd.DataFrame(band_rows),
        calibration=calibration_rows,
        warnings=notes,
    )
