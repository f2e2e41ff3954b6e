"""The tables of :func:`diaglab.explain_change`: per feature, per bin, the found slices, and the
waterfall that adds up to the change.

A feature's mix term is the change its bins' shares moving would explain on their own; features
are correlated, so the terms of several features do not add up. The waterfall shows the ``k``
largest and one remainder bar per part ("other inputs", "elsewhere"), so its bars add up to the
change exactly whatever the overlap; of the found slices it shows only disjoint ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diaglab.stats.decomposition import CovariateSplit, mix_rate, mix_rate_intervals

TABLE_COLUMNS = ["part", "name", "target", "value", "lower", "upper", "share"]


def slice_table(
    per: Mapping[str, Mapping[str, np.ndarray]],
    plan: Mapping[str, Any],
    *,
    confidence: float,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Per feature and per bin, the exact mix/rate terms with block-bootstrap intervals; and the
    bootstrap replicates of the change (the same blocks for every feature: one seed)."""
    feature_rows, slice_rows = [], []
    replicates = np.array([])
    for f, a in per.items():
        r = mix_rate(a["n_a"].sum(0), a["s_a"].sum(0), a["n_b"].sum(0), a["s_b"].sum(0))
        ci = mix_rate_intervals(
            a["n_a"], a["s_a"], a["n_b"], a["s_b"], confidence=confidence, seed=seed
        )
        replicates = ci.replicates
        mix, rate = float(r.mix.sum()), float(r.rate.sum())
        feature_rows.append(
            {
                "feature": f,
                "mix": mix,
                "mix_lower": ci.total_mix[0],
                "mix_upper": ci.total_mix[1],
                "rate": rate,
                "rate_lower": ci.total_rate[0],
                "rate_upper": ci.total_rate[1],
                "mix_share": mix / r.total if r.total else float("nan"),
                "total": r.total,
            }
        )
        for j, b in enumerate(plan[f].bins):
            predicate = " AND ".join(c.text(readable=True) for c in b.conditions)
            slice_rows.append(
                {
                    "feature": f,
                    "bin": b.label,
                    "predicate": predicate,
                    "n_reference": float(a["n_a"][:, j].sum()),
                    "n_window": float(a["n_b"][:, j].sum()),
                    "share_reference": r.share_a[j],
                    "share_window": r.share_b[j],
                    "metric_reference": r.metric_a[j],
                    "metric_window": r.metric_b[j],
                    "mix": r.mix[j],
                    "mix_lower": ci.mix_lower[j],
                    "mix_upper": ci.mix_upper[j],
                    "rate": r.rate[j],
                    "rate_lower": ci.rate_lower[j],
                    "rate_upper": ci.rate_upper[j],
                }
            )
    features = pd.DataFrame(feature_rows)
    if not features.empty:
        order = features["mix"].abs().sort_values(ascending=False, kind="stable").index
        features = features.loc[order].reset_index(drop=True)
    slices = pd.DataFrame(slice_rows)
    if not slices.empty:
        order = slices["rate"].abs().sort_values(ascending=False, kind="stable").index
        slices = slices.loc[order].reset_index(drop=True)
    return features, slices, replicates


def found_contributions(
    found: pd.DataFrame, metric: str, totals: tuple[float, float, float, float]
) -> pd.DataFrame:
    """The found slices with their mix and rate (``contribution``) in the {slice, rest} partition.

    ``totals`` are the labelled rows and ``Σℓ`` of both periods; a slice's ``Σℓ`` is its labelled
    rows times its value (find_slices reports RMSE, whose square is the MSE decomposed; and
    error where accuracy is asked, whose complement it is).
    """
    columns = [
        "slice",
        "predicate",
        "labelled_a",
        "labelled_b",
        "value_a",
        "value_b",
        "mix",
        "contribution",
    ]
    if found.empty or "value_a" not in found:
        return pd.DataFrame(columns=columns)
    na, sa, nb, sb = totals
    rows = []
    for _, f in found.iterrows():
        va, vb = float(f["value_a"]), float(f["value_b"])
        if metric == "mse":
            va, vb = va * va, vb * vb
        elif metric == "accuracy":
            va, vb = 1 - va, 1 - vb
        ia, ib = float(f["labelled_a"]), float(f["labelled_b"])
        r = mix_rate([ia, na - ia], [ia * va, sa - ia * va], [ib, nb - ib], [ib * vb, sb - ib * vb])
        rows.append(
            {
                "slice": f["slice"],
                "predicate": f["predicate"],
                "labelled_a": ia,
                "labelled_b": ib,
                "value_a": va,
                "value_b": vb,
                "mix": float(r.mix[0]),
                "contribution": float(r.rate[0]),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    order = out["contribution"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def contributions(
    *,
    total: float,
    total_interval: tuple[float, float],
    split: CovariateSplit,
    features: pd.DataFrame,
    slices: pd.DataFrame,
    found: pd.DataFrame,
    k: int,
) -> pd.DataFrame:
    """The waterfall: the covariate part by feature, the conditional part by slice, remainders,
    and the total; its bars (all but the total and the two parts' own rows) add up to the change.

    When the covariate split was refused, the exact decomposition of the feature with the largest
    mix stands in: its mix as the covariate part, its rate as the conditional one.
    """
    nan = float("nan")
    rows: list[dict[str, Any]] = []

    def add(part: str, name: str, target: Any, value: float, lo: float, hi: float) -> None:
        share = value / total if total else nan
        rows.append(
            dict(zip(TABLE_COLUMNS, (part, name, target, value, lo, hi, share), strict=True))
        )

    if split.refused:
        top = features.iloc[0] if not features.empty else None
        cov = float(top["mix"]) if top is not None else 0.0
        cov_ci = (
            (float(top["mix_lower"]), float(top["mix_upper"])) if top is not None else (nan, nan)
        )
        cond, cond_ci = total - cov, (nan, nan)
        if top is not None:
            cond_ci = (float(top["rate_lower"]), float(top["rate_upper"]))
        shown = features.head(1)
        cov_name, cond_name = "mix of one feature", "rates within its bins"
    else:
        cov, cov_ci = split.covariate, (split.covariate_lower, split.covariate_upper)
        cond, cond_ci = split.conditional, (split.conditional_lower, split.conditional_upper)
        shown = features.head(k)
        cov_name, cond_name = "inputs moved", "same inputs"
    add("covariate", cov_name, None, cov, *cov_ci)
    for _, f in shown.iterrows():
        add("covariate", str(f["feature"]), f["feature"], f["mix"], f["mix_lower"], f["mix_upper"])
    add(
        "covariate",
        "other inputs",
        None,
        cov - float(shown["mix"].sum()) if len(shown) else cov,
        nan,
        nan,
    )
    add("conditional", cond_name, None, cond, *cond_ci)
    picked = 0.0
    if not found.empty:
        chosen: list[Any] = []
        for _, s in found.iterrows():
            if len(chosen) == k or not all(disjoint(s["slice"], c) for c in chosen):
                continue
            chosen.append(s["slice"])
            add("conditional", str(s["predicate"]), s["predicate"], s["contribution"], nan, nan)
            picked += float(s["contribution"])
    elif not slices.empty:
        # one feature's bins are disjoint: that of the largest rate term (or, refused, the
        # feature standing in for the covariate part, whose rates add up to the rest)
        feature = shown.iloc[0]["feature"] if split.refused else slices.iloc[0]["feature"]
        pool = slices[slices["feature"] == feature]
        for _, s in pool.head(k).iterrows():
            add(
                "conditional",
                bin_name(str(s["feature"]), str(s["bin"])),
                s["predicate"],
                s["rate"],
                s["rate_lower"],
                s["rate_upper"],
            )
            picked += float(s["rate"])
    add("conditional", "elsewhere", None, cond - picked, nan, nan)
    add("total", "change", None, total, *total_interval)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def disjoint(a: Any, b: Any) -> bool:
    """Whether two slices share no row for certain: each pins one column to different values.
    Found slices often nest (``region = 'north'`` holds ``region = 'north' AND ...``), and the
    waterfall's bars must not count a row's change twice."""
    pinned_a = {c.column: c.value for c in getattr(a, "conditions", ()) if c.op == "="}
    return any(
        c.op == "=" and c.column in pinned_a and pinned_a[c.column] != c.value
        for c in getattr(b, "conditions", ())
    )


def waterfall_bars(table: pd.DataFrame) -> pd.DataFrame:
    """The bars of the waterfall (contributors and remainders, not the parts' own rows): they
    add up to the change."""
    own = table["name"].isin(
        ["inputs moved", "same inputs", "mix of one feature", "rates within its bins"]
    )
    return table[(table["part"] != "total") & ~own].reset_index(drop=True)


def bin_name(feature: str, label: str) -> str:
    """A bin's bar as a person reads it, with the bin's own label (as ``slice_metrics`` shows
    it) instead of its predicate's grid edges: ``age 47 – 56``, ``age < 33``,
    ``region: north``, ``age: (missing)``."""
    return f"{feature} {label}" if _RANGE.match(label) else f"{feature}: {label}"


_NUMBER = r"-?[\d.,]+(?:e[-+]?\d+)?"
_RANGE = re.compile(rf"^(?:(?:< |>= ){_NUMBER}|{_NUMBER} – {_NUMBER})$")
"""A numeric bin's label (:func:`~diaglab.diagnostics.slices.bins.grid_binning`'s)."""
