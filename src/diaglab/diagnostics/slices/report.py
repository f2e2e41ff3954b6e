"""The report of :func:`diaglab.find_slices`: p-values, FDR control, intervals and why.

Every slice the search counted with enough support is tested (slice vs the rest with
:func:`~diaglab.stats.metrics.compare_to_rest`; with ``compare``, a difference in differences
against the rest over four independent groups). The false-discovery budget is spread over the
whole lattice by weighted Benjamini–Hochberg with level weights
(:func:`~diaglab.stats.multiple_testing.level_weights`): the slices of one condition share half
or more of it, so a single-feature effect competes with its own level rather than with the
thousands of conjunctions below it. When nothing passes, the result still says which slices
came nearest and why they did not pass (``FoundSlices.nearest_misses``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import special

from diaglab.diagnostics.slices.bins import Binning
from diaglab.diagnostics.slices.query import metric_task
from diaglab.queries.filters import Slice
from diaglab.queries.filters import where as apply_where
from diaglab.stats.comparison import compare_to_rest
from diaglab.stats.intervals import z_value
from diaglab.stats.multiple_testing import (
    level_weights,
    weighted_benjamini_hochberg,
)

WEIGHTINGS = ("levels", "uniform")
"""How find_slices spreads the false-discovery budget over the lattice's levels: ``levels``
(weighted BH, :func:`~diaglab.stats.multiple_testing.level_weights`) or ``uniform`` (plain BH
over every conjunction, as before: each level gets a share in proportion to its size)."""
MISSES = 5
"""Nearest misses kept in a result."""


@dataclass(frozen=True)
class Setup:
    metric: str
    task: str
    features: list[str]
    plan: dict[str, Binning]
    min_support: int
    n_total: float
    compare: bool
    level_sizes: tuple[int, ...] = ()
    """Conjunctions of 1, 2, … conditions in the lattice (hypotheses per level)."""
    weighting: str = "levels"


def metric_columns(metric: str, task: str, n: Any, s1: Any, s2: Any) -> pd.DataFrame:
    """The sufficient statistics :mod:`diaglab.stats.metrics` reads for ``metric``, from the loss
    sums. For the error rate only ``fp + fn`` matters: wrong rows are booked as ``fp``."""
    n, s1, s2 = (np.asarray(a, dtype=float) for a in (n, s1, s2))
    cols: dict[str, Any] = {"n_labelled": n}
    if task != "regression" and metric == "error":
        cols.update(tp=n - s1, fp=s1, tn=np.zeros_like(n), fn=np.zeros_like(n))
    elif metric == "log_loss":
        cols.update(sum_log_loss=s1, sum_log_loss_sq=s2)
    elif metric == "brier_score":
        cols.update(sum_brier=s1, sum_brier_sq=s2)
    elif metric == "rmse":
        cols.update(sum_sq_err=s1, sum_err_pow4=s2)
    else:
        cols.update(sum_abs_err=s1, sum_sq_err=s2)
    return pd.DataFrame(cols)


def report_metric(metric: str, task: str) -> str:
    return "mae" if task == "regression" and metric == "error" else metric


def slice_of(key: tuple[tuple[int, int], ...], setup: Setup) -> Slice:
    conds = [c for f, code in key for c in setup.plan[setup.features[f]].bin(code).conditions]
    return Slice(*conds)


def report(
    store: Any,
    table: Any,
    evaluated: pd.DataFrame,
    setup: Setup,
    totals: dict[str, Any],
    k: int,
    alpha: float,
    attrs: dict[str, Any],
) -> pd.DataFrame:
    tested = evaluated[
        ~evaluated["redundant"].astype(bool) & (evaluated["n_min"] >= setup.min_support)
    ].reset_index(drop=True)
    attrs["tested"] = len(tested)
    if setup.compare:
        frame = _compare_stats(tested, setup, totals)
    else:
        frame = _rest_stats(tested, setup, totals)
    frame["p_adjusted"] = lattice_p_adjusted(
        frame["p_value"].to_numpy(dtype=float),
        frame["level"].to_numpy(dtype=int),
        setup.level_sizes,
        weighting=setup.weighting,
    )
    effect = frame["did"] if setup.compare else frame["difference"]
    # A sub-slice that scores no higher than one of its parents adds nothing: the parent says it.
    score_of = dict(zip(evaluated["key"], evaluated["score"], strict=True))
    parent_best = np.array(
        [
            max(score_of.get(key[:j] + key[j + 1 :], -np.inf) for j in range(len(key)))
            if len(key) > 1
            else -np.inf
            for key in frame["key"]
        ]
    )
    frame["dominated"] = frame["score"].to_numpy() <= parent_best
    worse = (effect > 0) & (frame["score"] > 0)
    passed = worse & (frame["p_adjusted"] < alpha) & ~frame["dominated"]
    chosen = frame[passed].sort_values("score", ascending=False, kind="stable").head(k)
    attrs["nearest_misses"] = nearest_misses(frame[worse & ~passed], setup, alpha, score_of)
    chosen = chosen.reset_index(drop=True)
    slices = [slice_of(key, setup) for key in chosen["key"]]
    counts = _support(table, slices, setup.compare)
    out = pd.DataFrame(
        {
            "slice": slices,
            "predicate": [str(s) for s in slices],
            "level": chosen["level"].astype(int).to_numpy(),
        }
    )
    total_rows = counts.pop("_total")
    out["support"] = counts["rows"]
    out["support_share"] = out["support"] / total_rows if total_rows else np.nan
    metric = report_metric(setup.metric, setup.task)
    if setup.compare:
        out["support_a"], out["support_b"] = counts["rows_a"], counts["rows_b"]
        out["labelled_a"] = chosen["n_a"].astype("int64").to_numpy()
        out["labelled_b"] = chosen["n_b"].astype("int64").to_numpy()
        out["labelled"] = out["labelled_a"] + out["labelled_b"]
        out["metric"] = metric
        for c in ("value_a", "value_b", "overall_a", "overall_b", "did", "did_lower", "did_upper"):
            out[c] = chosen[c].to_numpy(dtype=float)
    else:
        out["labelled"] = chosen["n"].astype("int64").to_numpy()
        out["metric"] = metric
        for c in ("value", "lower", "upper", "overall", "difference"):
            out[c] = chosen[c].to_numpy(dtype=float)
    for c in ("p_value", "p_adjusted", "score"):
        out[c] = chosen[c].to_numpy(dtype=float)
    out["why"] = [
        _why({str(k): v for k, v in r.items()}, metric, setup.compare, alpha)
        for r in out.to_dict(orient="records")
    ]
    return out


def _rest_stats(tested: pd.DataFrame, setup: Setup, totals: dict[str, Any]) -> pd.DataFrame:
    metric = report_metric(setup.metric, setup.task)
    base = tested[["key", "level", "n", "score"]].copy()
    if not len(tested):
        for c in ("value", "lower", "upper", "overall", "difference", "p_value"):
            base[c] = []
        return base
    stats = metric_columns(setup.metric, setup.task, tested["n"], tested["s1"], tested["s2"])
    overall = metric_columns(
        setup.metric, setup.task, [totals["n"]], [totals["s1"]], [totals["s2"]]
    )
    long = compare_to_rest(stats, overall, metric, task=metric_task(setup.task))  # type: ignore[arg-type]
    base["value"] = long["value"].to_numpy(dtype=float)
    base["lower"] = long["lower"].to_numpy(dtype=float)
    base["upper"] = long["upper"].to_numpy(dtype=float)
    base["overall"] = long["overall_value"].to_numpy(dtype=float)
    base["difference"] = long["difference"].to_numpy(dtype=float)
    base["p_value"] = long["p_value"].to_numpy(dtype=float)
    return base


def _mean_var(n: Any, s1: Any, s2: Any) -> tuple[np.ndarray, np.ndarray]:
    n, s1, s2 = (np.asarray(a, dtype=float) for a in (n, s1, s2))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        var = np.maximum(s2 - s1 * s1 / n, 0.0) / (n - 1)
    return mean, var / n


def _compare_stats(tested: pd.DataFrame, setup: Setup, totals: dict[str, Any]) -> pd.DataFrame:
    base = tested[["key", "level", "score"]].copy()
    n_b, s1_b, s2_b = (tested[c].to_numpy(dtype=float) for c in ("n_b", "s1_b", "s2_b"))
    n_a = tested["n"].to_numpy(dtype=float) - n_b
    s1_a = tested["s1"].to_numpy(dtype=float) - s1_b
    s2_a = tested["s2"].to_numpy(dtype=float) - s2_b
    t_nb, t_s1b, t_s2b = (float(totals[c] or 0) for c in ("n_b", "s1_b", "s2_b"))
    t_na, t_s1a, t_s2a = (
        float(totals["n"]) - t_nb,
        float(totals["s1"]) - t_s1b,
        float(totals["s2"]) - t_s2b,
    )
    sa, va = _mean_var(n_a, s1_a, s2_a)
    sb, vb = _mean_var(n_b, s1_b, s2_b)
    ra, vra = _mean_var(t_na - n_a, t_s1a - s1_a, t_s2a - s2_a)
    rb, vrb = _mean_var(t_nb - n_b, t_s1b - s1_b, t_s2b - s2_b)
    oa, ob = t_s1a / t_na, t_s1b / t_nb
    root = setup.metric == "rmse"
    did = (sb - sa) - (ob - oa)
    se = np.sqrt(va + vb + vra + vrb)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = ((sb - sa) - (rb - ra)) / se
    p = np.where(se > 0, special.erfc(np.abs(z) / math.sqrt(2)), np.nan)
    half = z_value(0.95) * se
    base["n_a"], base["n_b"] = n_a, n_b
    conv = np.sqrt if root else (lambda x: x)
    base["value_a"], base["value_b"] = conv(sa), conv(sb)
    base["overall_a"], base["overall_b"] = conv(oa), conv(ob)
    base["did"], base["did_lower"], base["did_upper"] = did, did - half, did + half
    base["p_value"] = p
    return base


def _support(table: Any, slices: list[Slice], compare: bool) -> dict[str, Any]:
    """Rows (labelled or not) in each reported slice, and in total: one query."""
    branches = []
    for i, s in enumerate(slices):
        rows = apply_where(table, s)
        aggs = {"rows": rows.count()}
        if compare:
            aggs["rows_b"] = rows.w.cast("int64").sum()
        branches.append(rows.aggregate(**aggs).mutate(i=ibis.literal(i, "int32")))
    total_aggs = {"rows": table.count()}
    if compare:
        total_aggs["rows_b"] = table.w.cast("int64").sum()
    branches.append(table.aggregate(**total_aggs).mutate(i=ibis.literal(-1, "int32")))
    query = ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]
    df = query.to_pyarrow().to_pandas().set_index("i").sort_index()
    order = list(range(len(slices)))
    out: dict[str, Any] = {
        "rows": df.loc[order, "rows"].fillna(0).astype("int64").to_numpy(),
        "_total": int(df.loc[-1, "rows"]),
    }
    if compare:
        rows_b = df.loc[order, "rows_b"].fillna(0).astype("int64").to_numpy()
        out["rows_b"] = rows_b
        out["rows_a"] = out["rows"] - rows_b
    return out


def _why(r: dict[str, Any], metric: str, compare: bool, alpha: float) -> str:
    def pct(x: float) -> str:
        return f"{x:.3g}"

    p_text = "< 1e-300" if r["p_adjusted"] == 0 else f"{r['p_adjusted']:.2g}"

    if compare:
        return (
            f"{metric} went {pct(r['value_a'])} → {pct(r['value_b'])} here while overall "
            f"{pct(r['overall_a'])} → {pct(r['overall_b'])}: {r['did']:+.3g} beyond the overall "
            f"change (95% CI {pct(r['did_lower'])}–{pct(r['did_upper'])}), adjusted p "
            f"{p_text} < {alpha}; {r['labelled_a']:,} + {r['labelled_b']:,} labelled"
        )
    return (
        f"{metric} {pct(r['value'])} (95% CI {pct(r['lower'])}–{pct(r['upper'])}) vs "
        f"{pct(r['overall'])} overall, {r['difference']:+.3g}; adjusted p {p_text} "
        f"< {alpha} on {r['labelled']:,} labelled rows ({r['support_share']:.1%} of rows)"
    )


def lattice_p_adjusted(
    p_values: np.ndarray,
    levels: np.ndarray,
    level_sizes: tuple[int, ...],
    *,
    weighting: str = "levels",
) -> np.ndarray:
    """Adjusted p-values of the tested slices of a lattice with ``level_sizes`` conjunctions per
    level; every conjunction the search pruned or never reached counts as a hypothesis that is
    never rejected (which slices get tested depends on the data, so counting only those would let
    pruning pass noise off as a finding). They are counted, never materialised: 500 features of 5
    bins make 2.6e9 conjunctions of up to three conditions (64f1db6 padded them into a 19.3 GiB
    array)."""
    if not len(p_values):
        return np.array([], dtype=float)
    return weighted_benjamini_hochberg(
        p_values, _weights(levels, level_sizes, weighting), hypotheses=sum(level_sizes)
    )


def _weights(levels: np.ndarray, level_sizes: tuple[int, ...], weighting: str) -> np.ndarray:
    per_level = level_weights(level_sizes) if weighting == "levels" else np.ones(len(level_sizes))
    return np.asarray(per_level[np.asarray(levels, dtype=int) - 1], dtype=float)


def _shares(level_sizes: tuple[int, ...], weighting: str) -> np.ndarray:
    sizes = np.asarray(level_sizes, dtype=float)
    if weighting == "levels":
        return np.asarray(level_weights(sizes) * sizes / sizes.sum())
    return sizes / sizes.sum()


def nearest_misses(
    frame: pd.DataFrame, setup: Setup, alpha: float, score_of: dict[Any, float]
) -> list[dict[str, Any]]:
    """The ``MISSES`` slices worse than the rest that came nearest to being reported (smallest
    adjusted, then raw p-value), each with why it was not: its adjusted p-value against
    ``alpha`` (and the raw p-value it would have needed on its own), or a parent slice that
    scores as high."""
    if not len(frame):
        return []
    near = frame.sort_values(["p_adjusted", "p_value"], kind="stable", na_position="last")
    near = near.head(MISSES)
    m = float(sum(setup.level_sizes))
    shares = _shares(setup.level_sizes, setup.weighting)
    weights = _weights(near["level"].to_numpy(dtype=int), setup.level_sizes, setup.weighting)
    out = []
    for (_, r), weight in zip(near.iterrows(), weights, strict=True):
        level = int(r["level"])
        key = r["key"]
        needed = weight * alpha / m
        p, pa = float(r["p_value"]), float(r["p_adjusted"])
        if math.isnan(p):
            why = "no test: the loss does not vary in one of the groups"
        elif pa >= alpha:
            plural = "condition" if level == 1 else "conditions"
            why = (
                f"adjusted p {pa:.2g} >= alpha {alpha}: one of "
                f"{setup.level_sizes[level - 1]:,} slices of {level} {plural}, which share "
                f"{shares[level - 1]:.0%} of the false-discovery budget; on its own it needed "
                f"p <= {needed:.2g}, it has p = {p:.2g}"
            )
        else:
            parents = [key[:j] + key[j + 1 :] for j in range(len(key))]
            parent = max(parents, key=lambda q: score_of.get(q, -np.inf))
            why = (
                f"significant, but its parent slice {slice_of(parent, setup)} scores as high: "
                "the extra condition adds nothing"
            )
        effect = float(r["did"] if setup.compare else r["difference"])
        labelled = float(r["n_a"] + r["n_b"]) if setup.compare else float(r["n"])
        out.append(
            {
                "predicate": str(slice_of(key, setup)),
                "level": level,
                "labelled": int(labelled),
                "effect": effect,
                "p_value": p,
                "p_adjusted": pa,
                "p_needed": needed,
                "why_not": why,
            }
        )
    return out
