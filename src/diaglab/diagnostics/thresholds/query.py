"""``dl.threshold_analysis``: what each decision threshold would give, from one aggregate query.

The engine counts labelled, scored rows per (version, score bin, label) — ``bins`` equal bins of
[0, 1], a row in bin ``k`` when ``k / bins <= score < (k + 1) / bins`` — plus whether each row is
at or above the threshold in use. A threshold on the grid ``t = k / bins`` predicts positive every
row of bins ``k`` and above, so its confusion counts are cumulative sums of the bin counts: no row
leaves the engine, and the numbers are exact (the bin is corrected where ``floor(score · bins)``
rounds across an edge, so ``bin >= k`` is exactly ``score >= k / bins``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.errors import InputError
from diaglab.queries.result import Result
from diaglab.queries.scope import resolved_thresholds, scoped_table, threshold_text
from diaglab.stats.intervals import proportion_estimate

if TYPE_CHECKING:
    from diaglab.diagnostics.thresholds.spec import ThresholdAnalysisSpec


@dataclass(frozen=True, kw_only=True, repr=False)
class ThresholdAnalysis(Result):
    """Precision, recall and cost per threshold, per model version.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (``model_version``, ``threshold``): ``n_labelled``, ``tp fp tn fn``,
        ``selection_rate``, ``precision`` (with ``precision_lower/upper``), ``recall`` (with
        ``recall_lower/upper``), ``false_positive_rate``, ``accuracy``, ``f1``, ``cost`` (per
        labelled prediction: ``(cost_fp·FP + cost_fn·FN) / n``) and ``current`` (the threshold
        in use, which is added to the grid when it is not on it).
    best : pandas.DataFrame
        Per version, the grid threshold of least cost (ties: the lowest threshold).
    threshold : str
        Which threshold is in use ("threshold 0.3", or per version).
    """

    model: str
    table: pd.DataFrame = field(repr=False)
    best: pd.DataFrame = field(repr=False)
    threshold: str = ""

    def at(self, threshold: float, version: str | None = None) -> pd.Series:
        """The row of the grid threshold nearest ``threshold`` (of ``version``, or the first)."""
        rows = self.table
        if version is not None:
            rows = rows[rows["model_version"] == version]
        if rows.empty:
            raise InputError(f"no threshold rows for version {version!r}")
        return rows.iloc[int(np.argmin(np.abs(rows["threshold"].to_numpy() - threshold)))]


def threshold_analysis(store: Any, spec: ThresholdAnalysisSpec) -> ThresholdAnalysis:
    """Precision, recall, selection rate and cost at every threshold ``k / bins``, per version.

    Parameters
    ----------
    store : diaglab.Store
    model : str
        A binary model that logs scores.
    window, where, version
        The rows (labelled and scored ones count).
    threshold : float, optional
        The threshold to mark as in use (default: each version's registered one).
    bins : int
        Grid size: thresholds 0, 1/bins, ..., 1 (default 100).
    cost_fp, cost_fn : float
        The cost of a false positive and of a false negative.
    confidence : float
        Level of the precision and recall intervals (Wilson).

    Examples
    --------
    >>> ta = dl.threshold_analysis(store, "credit", cost_fn=5)  # doctest: +SKIP
    >>> ta.best                                                  # doctest: +SKIP
    """
    model, window, where = spec.model, spec.scope.window, spec.scope.where
    version, threshold, bins = spec.scope.version, spec.scope.threshold, spec.bins
    cost_fp, cost_fn, confidence = spec.cost_fp, spec.cost_fn, spec.confidence
    schema = store.schema(model)
    if schema.task not in (None, "binary"):
        raise InputError(f"threshold_analysis needs a binary model; {model!r} is {schema.task}")
    if not isinstance(bins, int) or not 2 <= bins <= 10_000:
        raise InputError(f"bins is a whole number from 2 to 10000, not {bins!r}")
    for name, cost in (("cost_fp", cost_fp), ("cost_fn", cost_fn)):
        if not np.isfinite(cost) or cost < 0:
            raise InputError(f"{name} is a finite cost >= 0, not {cost!r}")
    table, _ = scoped_table(store, model, window, where, version, threshold)
    current = resolved_thresholds(schema, threshold, version)
    counts = store.memo(
        ("threshold-cells", model, str(window), str(where), version, tuple(current.items()), bins),
        lambda: _cells(table, bins),
    )
    if counts.empty:
        raise InputError(
            f"no labelled, scored predictions of {model!r} in this scope (window {window}, "
            f"where {where}, version {version}): a threshold analysis needs labels"
        )
    parts = []
    for v, part in counts.groupby("model_version", sort=True):
        rows = _curve(part, bins, current.get(str(v), schema.threshold_of(str(v))))
        rows.insert(0, "model_version", str(v))
        parts.append(rows)
    out = _rates(pd.concat(parts, ignore_index=True), cost_fp, cost_fn, confidence)
    grid = out[~out["off_grid"]]
    best = pd.DataFrame(
        [
            g.iloc[int(np.argmin(g["cost"].to_numpy()))]
            for _, g in grid.groupby("model_version", sort=True)
        ]
    )
    return ThresholdAnalysis(
        model=model,
        table=out.drop(columns=["off_grid"]),
        best=best.drop(columns=["off_grid"]).reset_index(drop=True),
        threshold=threshold_text(schema, threshold, version),
    )


def _cells(table: Any, bins: int) -> pd.DataFrame:
    rows = table.filter(table.score.notnull() & table.label.notnull())
    s = rows.score
    raw = ibis.least((s * bins).floor(), bins - 1).cast("int32")
    # floor(s·bins) can round across an edge; the comparisons put s in the bin whose edges hold it
    b = raw + (s >= (raw + 1) / bins).cast("int32") - (s < raw / bins).cast("int32")
    keyed = rows.mutate(
        _b=ibis.least(b, bins - 1),
        _y=(rows.label == 1).cast("int8"),
        _above=rows.prediction == 1,  # decided at the threshold in use (queries.scope.decided)
    )
    return (
        keyed.group_by(["model_version", "_b", "_y", "_above"])
        .aggregate(n=keyed.count())
        .to_pyarrow()
        .to_pandas()
    )


def _curve(part: pd.DataFrame, bins: int, current: float) -> pd.DataFrame:
    pos = np.zeros(bins)
    neg = np.zeros(bins)
    y = part["_y"].to_numpy(int) == 1
    np.add.at(pos, part["_b"].to_numpy(int)[y], part["n"].to_numpy(float)[y])
    np.add.at(neg, part["_b"].to_numpy(int)[~y], part["n"].to_numpy(float)[~y])
    # predicted positive at t = k / bins: bins k and above (k = bins: none)
    tp = np.append(np.cumsum(pos[::-1])[::-1], 0.0)
    fp = np.append(np.cumsum(neg[::-1])[::-1], 0.0)
    thresholds = np.arange(bins + 1) / bins
    frame = pd.DataFrame({"threshold": thresholds, "tp": tp, "fp": fp})
    frame["fn"] = pos.sum() - frame["tp"]
    frame["tn"] = neg.sum() - frame["fp"]
    frame["off_grid"] = False
    frame["current"] = np.isclose(thresholds, current, rtol=0, atol=1e-12)
    if not frame["current"].any():
        above = part["_above"].fillna(False).to_numpy(bool)
        n = part["n"].to_numpy(float)
        extra = {
            "threshold": current,
            "tp": n[above & y].sum(),
            "fp": n[above & ~y].sum(),
            "fn": n[~above & y].sum(),
            "tn": n[~above & ~y].sum(),
            "off_grid": True,
            "current": True,
        }
        frame = pd.concat([frame, pd.DataFrame([extra])], ignore_index=True)
        frame = frame.sort_values("threshold", kind="stable", ignore_index=True)
    return frame


def _rates(out: pd.DataFrame, cost_fp: float, cost_fn: float, confidence: float) -> pd.DataFrame:
    tp, fp, tn, fn = (out[c].to_numpy(float) for c in ("tp", "fp", "tn", "fn"))
    n = tp + fp + tn + fn
    precision = proportion_estimate(tp, tp + fp, confidence=confidence)
    recall = proportion_estimate(tp, tp + fn, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = out.assign(
            n_labelled=n,
            selection_rate=(tp + fp) / n,
            precision=precision.value,
            precision_lower=precision.lower,
            precision_upper=precision.upper,
            recall=recall.value,
            recall_lower=recall.lower,
            recall_upper=recall.upper,
            false_positive_rate=fp / (fp + tn),
            accuracy=(tp + tn) / n,
            f1=2 * tp / (2 * tp + fp + fn),
            cost=(cost_fp * fp + cost_fn * fn) / n,
        )
    for c in ("tp", "fp", "tn", "fn", "n_labelled"):
        out[c] = out[c].astype("int64")
    return out
