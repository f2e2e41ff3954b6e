"""Label coverage and the label-free view of :func:`diaglab.explain_change`.

Labels that arrive late make a metric move by themselves when the labelled rows are not like the
unlabelled ones. Per feature, the realized metric is compared with the metric post-stratified to
all rows' mix of the feature's bins (:func:`~diaglab.stats.decomposition.label_selection`); beside
the realized change stands the CBPE estimate (:mod:`diaglab.stats.estimation`), calibrated on the
reference period's labelled rows from one grouped query of score-bin counts. A period without
labels gets every row's CBPE expected value in place of its realized one.
"""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.change.result import LabelCoverage
from diaglab.diagnostics.slices.query import has_scores
from diaglab.errors import InputError
from diaglab.stats.decomposition import label_selection
from diaglab.stats.estimation import cbpe, fit_calibration
from diaglab.stats.scores import DEFAULT_SCORE_BINS


def estimated_values(
    served: Any, task: str, metric: str, model: str, totals: dict[int, dict[str, float]]
) -> Any:
    """``served`` with ``v`` the CBPE expected value of each scored row (no labels needed)."""
    if task != "binary" or metric not in ("error", "accuracy") or not has_scores(served):
        raise InputError(
            "a period has no labels, and a label-free (CBPE) estimate needs a binary model with "
            f"scores and metric 'error' or 'accuracy' (model {model!r}, metric {metric!r}); log "
            "labels with store.log_labels, or compare periods that have them"
        )
    if totals[0]["n_lab"] == 0:
        raise InputError(
            "neither period can be judged: the reference has no labels to calibrate CBPE on"
        )
    calibration = _calibration(served)
    b = _score_bin(served.score)
    p = ibis.cases(*[(b == i, float(q)) for i, q in enumerate(calibration.probability)])
    wrong = ibis.ifelse(served.prediction == 1, 1 - p, p)
    v = wrong if metric == "error" else 1 - wrong
    return served.mutate(v=ibis.ifelse(served.score.notnull(), v, ibis.null("float64")))


def _score_bin(score: Any) -> Any:
    top = DEFAULT_SCORE_BINS - 1
    return ibis.ifelse(score >= 1, top, (score * DEFAULT_SCORE_BINS).floor()).cast("int16")


def score_counts(served: Any, *, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per period ``w`` (and ``by``) and score bin ``b``: scored rows ``n``, those predicted
    positive ``pp``, and the labelled positives ``pos`` and negatives ``neg``."""
    rows = served.filter(served.score.notnull())
    rows = rows.mutate(b=_score_bin(rows.score))
    lab = rows.label.notnull()
    return (
        rows.group_by(["w", *by, "b"])
        .aggregate(
            n=rows.count(),
            pp=(rows.prediction == 1).cast("int64").sum(),
            pos=(lab & (rows.label == 1)).cast("int64").sum(),
            neg=(lab & (rows.label == 0)).cast("int64").sum(),
        )
        .to_pyarrow()
        .to_pandas()
    )


def _grid(counts: pd.DataFrame, w: int, column: str) -> np.ndarray:
    out = np.zeros(DEFAULT_SCORE_BINS)
    part = counts[counts["w"] == w]
    np.add.at(out, part["b"].to_numpy(int), part[column].fillna(0).to_numpy(float))
    return out


def _calibration(served: Any) -> Any:
    counts = score_counts(served)
    return fit_calibration(_grid(counts, 0, "pos"), _grid(counts, 0, "neg"))


def label_coverage(
    per: dict[str, dict[str, np.ndarray]],
    totals: dict[int, dict[str, float]],
    counts: pd.DataFrame | None,
    task: str,
    metric: str,
) -> LabelCoverage:
    """The label coverage of both periods, from each feature's cells and the periods' score-bin
    counts (:func:`score_counts`; None: no scores, no CBPE)."""
    rows = []
    for f, a in per.items():
        sel_a = float(
            np.nansum(label_selection(a["all_a"].sum(0), a["n_a"].sum(0), a["s_a"].sum(0)))
        )
        sel_b = float(
            np.nansum(label_selection(a["all_b"].sum(0), a["n_b"].sum(0), a["s_b"].sum(0)))
        )
        rows.append(
            {
                "feature": f,
                "selection_reference": sel_a,
                "selection_window": sel_b,
                "apparent": sel_b - sel_a,
            }
        )
    selection = pd.DataFrame(
        rows, columns=["feature", "selection_reference", "selection_window", "apparent"]
    )
    coverage = [totals[w]["n_lab"] / totals[w]["n"] for w in (0, 1)]
    estimates: list[float] = [float("nan")] * 4
    if (
        counts is not None
        and task == "binary"
        and metric in ("error", "accuracy")
        and totals[0]["n_lab"] > 0
    ):
        try:
            calibration = fit_calibration(_grid(counts, 0, "pos"), _grid(counts, 0, "neg"))
        except InputError:
            calibration = None
        if calibration is not None:
            scored = np.vstack([_grid(counts, w, "n") for w in (0, 1)])
            pp = np.vstack([_grid(counts, w, "pp") for w in (0, 1)])
            acc = cbpe([(calibration, scored, pp)])["accuracy"]
            value = acc.value if metric == "accuracy" else 1 - acc.value
            half = np.sqrt((acc.std_error**2).sum()) * 1.959963984540054
            change = float(value[1] - value[0])
            estimates = [float(value[0]), float(value[1]), change - half, change + half]
    return LabelCoverage(coverage[0], coverage[1], selection, *estimates)
