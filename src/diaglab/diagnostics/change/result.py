"""``ChangeExplanation``: the result of :func:`diaglab.explain_change`, and its written summary.

Every number of :attr:`ChangeExplanation.summary` is read from the result's tables, so the text a
person pastes into a ticket and the tables a finding keeps cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diaglab.queries.result import Result
from diaglab.stats.decomposition import CovariateSplit

LOWER_IS_BETTER = frozenset({"error", "log_loss", "brier_score", "mae", "mse", "rmse"})


@dataclass(frozen=True)
class LabelCoverage:
    """Which rows are labelled, and what the change looks like without labels.

    Attributes
    ----------
    coverage_reference, coverage_window
        Share of each period's served rows with a label.
    selection
        Per feature: ``selection_reference`` / ``selection_window``, realized minus the metric
        post-stratified to all rows' mix of that feature's bins, and ``apparent`` (their
        difference: the part of the change that could come from which rows are labelled).
    cbpe_reference, cbpe_window
        The label-free CBPE estimate of the metric (binary models with scores, ``error`` and
        ``accuracy``; NaN otherwise), calibrated on the reference period's labelled rows.
    cbpe_lower, cbpe_upper
        Interval of the CBPE estimated change (the two periods' intervals combined).
    """

    coverage_reference: float
    coverage_window: float
    selection: pd.DataFrame = field(repr=False)
    cbpe_reference: float = float("nan")
    cbpe_window: float = float("nan")
    cbpe_lower: float = float("nan")
    cbpe_upper: float = float("nan")

    @property
    def cbpe_change(self) -> float:
        return self.cbpe_window - self.cbpe_reference

    @property
    def apparent(self) -> tuple[str | None, float]:
        """The feature whose labelled mix could explain the most of the change, and how much."""
        if self.selection.empty or self.selection["apparent"].isna().all():
            return None, float("nan")
        row = self.selection.iloc[int(np.nanargmax(self.selection["apparent"].abs().to_numpy()))]
        return str(row["feature"]), float(row["apparent"])


@dataclass(frozen=True, kw_only=True, repr=False)
class ChangeExplanation(Result):
    """Why ``metric`` changed from ``reference`` to ``window``, and how much of it is due to what.

    Attributes
    ----------
    table
        The waterfall, adding up to the change exactly: ``part`` ("covariate", "conditional",
        "total"), ``name`` (a feature, a slice's predicate, or a remainder), ``target`` (the
        feature or predicate a click opens, else None), ``value`` in metric points, ``lower``,
        ``upper``, ``share`` of the change.
    features
        Per feature, the exact mix/rate decomposition over its bins (``mix``, ``rate`` with
        block-bootstrap intervals, ``mix_share``), largest ``|mix|`` first.
    slices
        Per feature and bin: shares, metric in both periods, ``mix`` and ``rate`` terms (with
        intervals), largest ``|rate|`` first.
    found
        The slices ``find_slices(compare=(reference, window))`` reports, with ``contribution``
        (their rate term: metric points of the change inside them) and ``mix``.
    covariate
        The importance-weighted split (:class:`~diaglab.stats.decomposition.CovariateSplit`).
    labels
        :class:`LabelCoverage`.
    sample
        The domain classifier's sample: ``reference`` and ``window`` rows drawn in the engine
        (about ``bound`` each, ``spec.sample``), ``auc`` (out of fold), ``folds``, and how the
        sample is ``kept`` (each period's, until the store changes).
    n_reference, n_window, sum_reference, sum_window
        Each period's labelled rows and the sum of the decomposed metric's per-row value over
        them (the metric is their ratio).
    path
        Where the cells came from: the counts kept per day (whole days) and the rows (partial
        edge days), or the rows (``where=``, ``threshold=``, a read-only store, Spark, a metric
        the cube does not sum, a period without labels or shorter than a week, or no
        registered reference grid).
    """

    metric: str
    decomposed: str
    basis: str
    reference: str
    window: str
    value_reference: float
    value_window: float
    change_lower: float
    change_upper: float
    n_reference: int
    n_window: int
    sum_reference: float
    sum_window: float
    blocks: int
    confidence: float
    table: pd.DataFrame = field(repr=False)
    features: pd.DataFrame = field(repr=False)
    slices: pd.DataFrame = field(repr=False)
    found: pd.DataFrame = field(repr=False)
    covariate: CovariateSplit
    labels: LabelCoverage
    sample: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    path: str = "rows"

    @property
    def change(self) -> float:
        return self.value_window - self.value_reference

    @property
    def covariate_share(self) -> float:
        """The covariate part's share of the change (NaN when the split was refused)."""
        return _share(self.covariate.covariate, self.change)

    @property
    def summary(self) -> str:
        """A paragraph a person can paste into a ticket; every number comes from the tables."""
        return summary(self)

    def __str__(self) -> str:
        return self.summary

    def _repr_markdown_(self) -> str:
        return self.summary


def _share(part: float, total: float) -> float:
    return part / total if total != 0 and np.isfinite(part) else float("nan")


def _n(v: float) -> str:
    return "n/a" if not np.isfinite(v) else f"{v:.3g}" if abs(v) >= 1 else f"{v:.3f}"


def _signed(v: float) -> str:
    """``+0.012``; a value that rounds to zero prints ``0.000`` (no ``-0.000``, no ``+0.000``)."""
    if not np.isfinite(v):
        return "n/a"
    return "0.000" if _negligible(v) else f"{v:+.3f}"


def _negligible(v: float) -> bool:
    """Whether ``v`` prints as zero at three decimals."""
    return bool(np.isfinite(v)) and round(abs(v), 3) == 0


def _amount(value: float, share: float) -> str:
    """A part of the change as a person writes it: ``+0.031 (70%)``, or ``next to none`` when it
    rounds to zero (an explicit ``+0.000 (0%)`` reads as a measured part)."""
    if _negligible(value):
        return "next to none"
    return _signed(value) + (f" ({share:.0%})" if np.isfinite(share) else "")


def _ci(lo: float, hi: float, confidence: float) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return f"{confidence:.0%} CI {_signed(lo)} to {_signed(hi)}"


def _top(table: pd.DataFrame, part: str) -> pd.Series | None:
    rows = table[(table["part"] == part) & table["target"].notna()]
    if rows.empty:
        return None
    return rows.iloc[int(np.argmax(rows["value"].abs().to_numpy()))]


def summary(r: ChangeExplanation) -> str:
    """The written summary of a :class:`ChangeExplanation` (see its ``summary``)."""
    t = r.table
    total = t[t["part"] == "total"].iloc[0]
    verb = "rose" if total["value"] > 0 else "fell" if total["value"] < 0 else "did not move"
    label = r.metric if r.basis == "realized" else f"estimated {r.metric} (CBPE, no labels)"
    ci = _ci(total["lower"], total["upper"], r.confidence)
    out = [
        f"{label} {verb} from {_n(r.value_reference)} to {_n(r.value_window)} "
        f"({_signed(total['value'])}{', ' + ci if ci else ''})."
    ]
    if r.decomposed != r.metric:
        out.append(f"The decomposition is of {r.decomposed}, whose square root {r.metric} is.")
    cov = t[(t["part"] == "covariate") & (t["name"] == "inputs moved")]
    if not cov.empty:
        c = cov.iloc[0]
        text = (
            "Next to none"
            if _negligible(c["value"])
            else f"About {_amount(c['value'], c['share'])}"
        ) + " is explained by the inputs moving"
        top = _top(t, "covariate")
        # a covariate part of a tenth of the change or less has no "most" worth naming
        if top is not None and abs(c["value"]) > 0.1 * abs(total["value"]):
            text += f", most by {top['name']}'s shift ({_signed(top['value'])} on its own)"
        cond = t[(t["part"] == "conditional") & (t["name"] == "same inputs")].iloc[0]
        if _negligible(cond["value"]):
            text += "; next to none by the model doing differently on the same kind of inputs"
        else:
            text += (
                f"; {_amount(cond['value'], cond['share'])} by the model doing "
                f"{'worse' if (cond['value'] > 0) == (r.metric in LOWER_IS_BETTER) else 'better'}"
                " on the same kind of inputs"
            )
        found = _top(t, "conditional")
        if found is not None:
            text += (
                f"; the slice whose own {r.metric} moved the change most is {found['name']} "
                f"({_signed(found['value'])})"
            )
        out.append(text + ".")
    else:
        out.append(f"The covariate split was refused: {r.covariate.refused}.")
        top = _top(t, "covariate")
        if top is not None:
            out.append(
                f"Exactly, {top['name']}'s mix moved it by {_amount(top['value'], top['share'])} "
                "and the rates within its bins by the rest."
            )
    lab = r.labels
    text = (
        f"Labels: {lab.coverage_window:.0%} of the window labelled "
        f"({lab.coverage_reference:.0%} of the reference)"
    )
    feature, apparent = lab.apparent
    complete = lab.coverage_window == 1 and lab.coverage_reference == 1
    if feature is not None and np.isfinite(apparent) and not complete:
        text += (
            "; which rows are labelled could account for next to none of it"
            if _negligible(apparent)
            else f"; which rows are labelled could account for {_signed(apparent)} "
            f"(through {feature})"
        )
    if np.isfinite(lab.cbpe_change):
        text += (
            f"; CBPE estimates {r.metric} {_n(lab.cbpe_reference)} → {_n(lab.cbpe_window)} "
            f"({_signed(lab.cbpe_change)})"
        )
    out.append(text + ".")
    return " ".join(out)
