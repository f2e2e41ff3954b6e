"""``dl.explain_change``: why a metric changed between two periods, and how much is due to what.

The engine does the counting; the split is :mod:`diaglab.stats.decomposition`'s. Three queries
over the two periods' rows, and one sample:

1. **totals** per period: rows, labelled rows, first and last timestamp (the blocks' span);
2. **cells**: the bin codes (categorical features with few values as the values themselves,
   mapped to bins on the small result) and the per-row value ``ℓ`` of the metric go into one narrow
   temporary table; one ``GROUP BY (period, time block, bin)`` per feature (``UNION ALL``) gives
   rows, labelled rows and ``Σℓ`` per cell. Every feature's exact mix/rate terms, their
   block-bootstrap intervals and the label-coverage view follow from these cells;
3. **scores** (binary models with scores): per period and score bin, the scored rows, those
   predicted positive, and the reference period's labelled positives and negatives, for CBPE
   (:mod:`diaglab.diagnostics.change.labels`);
4. the domain classifier's **sample**: at most ``sample`` rows of each period, drawn by the engine
   (Bernoulli sampling), with their features and ``ℓ``; the classifier's out-of-fold probabilities
   weight the rows (:func:`~diaglab.stats.decomposition.covariate_split`).

The slices ``find_slices(compare=(reference, window))`` reports are added with their contribution,
computed from their labelled counts and values in both periods (no further scan).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.change.labels import estimated_values, label_coverage
from diaglab.diagnostics.change.result import ChangeExplanation
from diaglab.diagnostics.change.tables import contributions, found_contributions, slice_table
from diaglab.diagnostics.drift.impact import _sample, out_of_fold
from diaglab.diagnostics.slices.bins import NULL_CODE, binnings
from diaglab.diagnostics.slices.counts import loss
from diaglab.diagnostics.slices.query import has_scores
from diaglab.errors import InputError, unknown
from diaglab.queries.scope import scoped_table
from diaglab.queries.window import Window
from diaglab.stats.decomposition import (
    MIN_EFFECTIVE_SAMPLE,
    CovariateSplit,
    covariate_split,
    density_ratio,
    mix_rate,
)

if TYPE_CHECKING:
    from diaglab.diagnostics.change.spec import ExplainChangeSpec

SUPPORTED = {
    "binary": ("error", "accuracy", "log_loss", "brier_score"),
    "multiclass": ("error", "accuracy"),
    "regression": ("mae", "mse", "rmse"),
}
"""Additive metrics (a mean of a per-row value) per task; RMSE is decomposed through MSE."""
BLOCKS = 20
"""Time blocks per period for the bootstrap: enough replicates' variety, few cells per feature."""
FOLDS = 3
KEY_SPAN = 1024
"""Largest product of code ranges packed into one key: keys per row against distinct keys."""


def _metric(metrics: str | Sequence[str], task: str) -> str:
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if len(names) != 1:
        raise InputError(f"explain_change explains one metric at a time, got {names}")
    name = names[0]
    if name not in SUPPORTED[task]:
        supported = ", ".join(SUPPORTED[task])
        if name in ("roc_auc", "precision", "recall", "f1", "r2", "mape"):
            raise InputError(
                f"metric {name!r} is not a mean of a per-row value, so its change cannot be split "
                f"into parts that add up; explain_change supports, for a {task} model: {supported}"
            )
        raise unknown(f"metric for explain_change on a {task} model", name, list(SUPPORTED[task]))
    return name


def _value(table: Any, task: str, metric: str) -> Any:
    """The per-row value whose mean is the (decomposed) metric; NULL where unlabelled."""
    if metric == "accuracy":
        return 1.0 - loss(table, task, "error")
    return loss(table, task, "rmse" if metric == "mse" else metric)


def _windows(reference: Any, window: Any) -> tuple[Window, Window]:
    if reference is None or window is None:
        raise InputError(
            "explain_change compares two periods: pass reference=(start, end), the earlier, and "
            "window=(start, end), the later"
        )
    ref, win = Window.of(reference), Window.of(window)
    lo = max((t for t in (ref.start, win.start) if t is not None), default=None)
    hi = min((t for t in (ref.end, win.end) if t is not None), default=None)
    if lo is None or hi is None or lo < hi:
        raise InputError(
            f"the periods overlap: reference {ref} and window {win} share rows; pick two "
            "periods that do not overlap (the reference before the window)"
        )
    return ref, win


def explain_change(store: Any, spec: ExplainChangeSpec) -> ChangeExplanation:
    """Why ``metrics`` changed from ``reference`` (earlier) to ``window`` (later), by cause.

    The change of an additive metric is split two ways, with intervals:

    - **covariate vs conditional shift**: the part explained by the inputs' distribution moving
      (the reference's rows importance-weighted to the window's inputs by a domain classifier,
      and the window's back to the reference's, averaged) and the rest, the model doing worse on
      the same kind of inputs. Unreliable when the periods' inputs overlap little: the effective
      sample size is reported and below ``MIN_EFFECTIVE_SAMPLE`` (200) the split is refused and
      the exact slice decomposition stands. The method: Cai, Namkoong and Yadlowsky, "Diagnosing
      model performance under distribution shift" (2023).
    - **mix vs rate per feature**, exact: over each feature's bins (as ``slice_metrics`` bins
      them), a mix term (shares moved) and a rate term (each bin's metric moved) that add up to
      the change within rounding; features ranked by their mix, bins by their rate. The slices
      ``find_slices(compare=(reference, window))`` reports appear with their contribution.

    Label coverage is a cause of its own: the share of each period labelled, how much of the
    change could come from which rows are labelled (labelled vs all rows' mix of each feature),
    and the label-free CBPE estimate beside the realized change. A window without labels gets
    the CBPE-based view (binary models with scores, ``error`` or ``accuracy``).

    Parameters
    ----------
    store : diaglab.Store
    model : str
    window, reference : dl.Window or (start, end)
        The later and the earlier period; they must not overlap.
    where : dl.Slice or str, optional
        Only these rows in both periods.
    version : str, optional
        Only this model version's predictions.
    threshold : float, optional
        A binary model's decision threshold: a row's class is ``score >= threshold`` (so its
        error, accuracy and CBPE are decided there) for every version; None: each version's
        registered threshold.
    metrics : str
        One of ``error``, ``accuracy``, ``log_loss``, ``brier_score`` (classification) or
        ``mae``, ``mse``, ``rmse`` (regression; RMSE is decomposed through MSE).
    by : str or list of str, optional
        The features to partition by (default: every feature).
    k : int
        Contributors shown per part of the waterfall.
    sample : int
        Rows per period for the domain classifier, drawn in the engine.
    search : bool
        Whether to run ``find_slices(compare=(reference, window))`` for the slices that got
        worse (up to two conditions) and add them with their contribution.
    confidence : float
        Level of the intervals (bootstrap over time blocks for the mix/rate terms and the
        change, over the sample's rows for the covariate part).
    seed : int

    Returns
    -------
    ChangeExplanation
        ``.table`` (the waterfall), ``.features``, ``.slices``, ``.found``, ``.covariate``,
        ``.labels``, ``.sample`` and ``.summary``.

    Examples
    --------
    >>> r = dl.explain_change(store, "credit", reference=("2026-01-01", "2026-01-29"),
    ...                       window=("2026-02-05", "2026-03-02"))  # doctest: +SKIP
    >>> print(r.summary)  # doctest: +SKIP
    """
    model, window, reference = spec.model, spec.scope.window, spec.scope.reference
    where, version, metrics, by = spec.scope.where, spec.scope.version, spec.metrics, spec.by
    threshold = spec.scope.threshold
    k, sample, search, confidence, seed = (
        spec.k,
        spec.sample,
        spec.search,
        spec.confidence,
        spec.seed,
    )
    schema = store.schema(model)
    task = schema.task or "binary"
    metric = _metric(metrics, task)
    decomposed = "mse" if metric == "rmse" else metric
    if not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    if not isinstance(sample, int) or sample < 100:
        raise InputError(f"sample must be an integer of at least 100 rows, got {sample!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must lie in (0, 1), got {confidence!r}")
    ref_win, win = _windows(reference, window)
    names = list(schema.features) if by is None else ([by] if isinstance(by, str) else list(by))
    for f in names:
        if f not in schema.features:
            raise unknown("feature", f, list(schema.features))
    base, _ = scoped_table(store, model, None, where, version, threshold)
    both = ibis.union(
        ref_win.filter(base).mutate(w=ibis.literal(0, "int8")),
        win.filter(base).mutate(w=ibis.literal(1, "int8")),
        distinct=False,
    )
    served = both.filter(both.prediction.notnull())
    if decomposed in ("log_loss", "brier_score") and not has_scores(served):
        raise InputError(
            f"metric {metric!r} needs prediction scores, but model {model!r} logged only classes "
            f"here; explain_change can use: error, accuracy"
        )
    served = served.mutate(
        v=_value(served, task, decomposed), t=served.timestamp.epoch_seconds().cast("float64")
    )
    totals = _totals(served)
    for w, label, period in ((0, "reference", ref_win), (1, "window", win)):
        if totals[w]["n"] == 0:
            raise InputError(
                f"the {label} {period} has no predictions of model {model!r}"
                + (f" where {where}" if where is not None else "")
                + "; pick a period with rows"
            )
    notes: list[str] = []
    basis = "realized"
    if totals[1]["n_lab"] == 0 or totals[0]["n_lab"] == 0:
        served, basis = (
            estimated_values(served, task, decomposed, model, totals),
            "estimated (CBPE)",
        )
        notes.append(
            f"the {'window' if totals[1]['n_lab'] == 0 else 'reference'} has no labels: every "
            "number is of the CBPE estimate (calibrated on the reference's labelled rows)"
        )
    plan = binnings(
        store,
        model,
        both,
        names,
        version=version,
        cache_key=("explain-change", str(ref_win), str(win), str(where)),
    )
    drawn = _domain_sample(served, names, schema, sample, seed, totals)
    with ThreadPoolExecutor(1) as pool:
        # the classifier (numpy, LightGBM) fits while the engine counts the cells
        fitting = pool.submit(_domain_fit, *drawn, names, seed)
        cells = _cells(served, plan, names, totals)
        per = {f: _arrays(cells[cells["feature"] == i], plan[f].bins) for i, f in enumerate(names)}
        first = per[names[0]]
        n_a, s_a, n_b, s_b = (first[key].sum(axis=0) for key in ("n_a", "s_a", "n_b", "s_b"))
        whole = mix_rate(
            n_a.sum(keepdims=True),
            s_a.sum(keepdims=True),
            n_b.sum(keepdims=True),
            s_b.sum(keepdims=True),
        )
        features, slices, replicates = slice_table(per, plan, confidence=confidence, seed=seed)
        labels = label_coverage(per, totals, served, task, decomposed)
        fitted = fitting.result()
    split, sample_info = _covariate(*drawn, fitted, whole.total, replicates, confidence, seed)
    if split.refused:
        notes.append(split.refused)
    found = (
        _found(store, spec, ref_win, win, decomposed, n_a, s_a, n_b, s_b)
        if search
        else found_contributions(pd.DataFrame(), decomposed, (0.0, 0.0, 0.0, 0.0))
    )
    ci = np.quantile(replicates, [(1 - confidence) / 2, (1 + confidence) / 2])
    table = contributions(
        total=whole.total,
        total_interval=(float(ci[0]), float(ci[1])),
        split=split,
        features=features,
        slices=slices,
        found=found,
        k=k,
    )
    ma, mb = float(s_a.sum() / n_a.sum()), float(s_b.sum() / n_b.sum())
    return ChangeExplanation(
        metric=metric,
        decomposed=decomposed,
        basis=basis,
        reference=str(ref_win),
        window=str(win),
        value_reference=ma,
        value_window=mb,
        change_lower=float(ci[0]),
        change_upper=float(ci[1]),
        n_reference=int(n_a.sum()),
        n_window=int(n_b.sum()),
        blocks=BLOCKS,
        confidence=confidence,
        table=table,
        features=features,
        slices=slices,
        found=found,
        covariate=split,
        labels=labels,
        sample=sample_info,
        notes=tuple(notes),
    )


def _totals(served: Any) -> dict[int, dict[str, float]]:
    rows = (
        served.group_by("w")
        .aggregate(n=served.count(), n_lab=served.v.count(), t0=served.t.min(), t1=served.t.max())
        .to_pyarrow()
        .to_pylist()
    )
    out = {w: {"n": 0.0, "n_lab": 0.0, "t0": 0.0, "t1": 0.0} for w in (0, 1)}
    for r in rows:
        out[int(r["w"])] = {k: float(r[k] or 0) for k in ("n", "n_lab", "t0", "t1")}
    return out


def _cells(
    served: Any,
    plan: dict[str, Any],
    names: list[str],
    totals: dict[int, dict[str, float]],
) -> pd.DataFrame:
    """Per feature, period, time block and bin: rows, labelled rows and ``Σℓ``, in one scan.

    Each row's bin codes are packed into a few integer keys (features whose code ranges multiply
    to at most ``KEY_SPAN`` share one), the keys unnested, and one ``GROUP BY (period, block,
    key)`` counts them all; each feature's cells are its keys' marginals, summed here.
    """
    t = served
    t0 = ibis.ifelse(t.w == 1, totals[1]["t0"], totals[0]["t0"])
    span = ibis.ifelse(
        t.w == 1, totals[1]["t1"] - totals[1]["t0"], totals[0]["t1"] - totals[0]["t0"]
    )
    block = ibis.least(((t.t - t0) * BLOCKS / (span + 1)).floor(), BLOCKS - 1).cast("int16")
    packs = _packs([plan[f] for f in names])
    keys = [
        sum(
            ((_code(t, plan[names[i]]) - NULL_CODE).cast("int32") * mult for i, mult, _ in pack),
            ibis.literal(offset, "int32"),
        )
        for offset, pack in packs
    ]
    rows = t.select(w=t.w, blk=block, v=t.v, key=ibis.array(keys).unnest())
    counted = (
        rows.group_by(["w", "blk", "key"])
        .aggregate(n=rows.count(), n_lab=rows.v.count(), s=rows.v.sum())
        .to_pyarrow()
        .to_pandas()
    )
    counted["s"] = counted["s"].fillna(0.0)
    key = counted["key"].to_numpy(np.int64)
    frames = []
    for offset, pack in packs:
        size = int(np.prod([width for *_, width in pack]))
        mine = (key >= offset) & (key < offset + size)
        part, local = counted[mine], key[mine] - offset
        for i, mult, width in pack:
            code = (local // mult) % width + NULL_CODE
            cells = (
                part.assign(code=code)
                .groupby(["w", "blk", "code"], as_index=False)[["n", "n_lab", "s"]]
                .sum()
            )
            frames.append(cells.assign(feature=i))
    return pd.concat(frames, ignore_index=True)


def _packs(plan: Sequence[Any]) -> list[tuple[int, list[tuple[int, int, int]]]]:
    """Features packed into keys: per key its offset and, per feature, its index, multiplier and
    number of codes (``NULL_CODE`` up to the last bin's)."""
    widths = [(len(b.edges) if b.kind == "numeric" else len(b.kept)) + 1 - NULL_CODE for b in plan]
    packs: list[tuple[int, list[tuple[int, int, int]]]] = []
    pack: list[tuple[int, int, int]] = []
    offset, mult = 0, 1
    for i, width in enumerate(widths):
        if pack and mult * width > KEY_SPAN:
            packs.append((offset, pack))
            offset, pack, mult = offset + mult, [], 1
        pack.append((i, mult, width))
        mult *= width
    packs.append((offset, pack))
    return packs


def _code(t: Any, binning: Any) -> Any:
    """A numeric feature's bin code as :meth:`Binning.code` gives it, by arithmetic: the number
    of edges at or below the value (a CASE of comparisons per row costs more), -1 when missing."""
    if binning.kind != "numeric" or not binning.edges:
        return binning.code(t)
    col = t[binning.feature]
    count = sum((col >= e).cast("int16") for e in binning.edges)
    return ibis.ifelse(col.isnull(), NULL_CODE, count).cast("int16")


def _arrays(cells: pd.DataFrame, bins: Sequence[Any]) -> dict[str, np.ndarray]:
    """Per period, ``(blocks, bins)`` arrays of all rows, labelled rows and ``Σℓ``."""
    index = {b.code: j for j, b in enumerate(bins)}
    out: dict[str, np.ndarray] = {}
    for w, side in ((0, "a"), (1, "b")):
        part = cells[cells["w"] == w]
        j = part["code"].map(index).to_numpy()
        keep = ~pd.isna(j)
        blk, j = part["blk"].to_numpy(int)[keep], j[keep].astype(int)
        for column, key in (("n", "all"), ("n_lab", "n"), ("s", "s")):
            grid = np.zeros((BLOCKS, len(bins)))
            np.add.at(grid, (blk, j), part[column].to_numpy(float)[keep])
            out[f"{key}_{side}"] = grid
    return out


def _domain_sample(
    served: Any,
    names: list[str],
    schema: Any,
    sample: int,
    seed: int,
    totals: dict[int, dict[str, float]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The domain classifier's rows, drawn in the engine: each period's sample and the inputs
    of both (categorical features as categories)."""
    cols = [*names, "v"]
    ref, cur = (
        _sample(served.filter(served.w == w).select(*cols), sample, seed + w, total=int(n))
        for w, n in ((0, totals[0]["n"]), (1, totals[1]["n"]))
    )
    X = pd.concat([ref[names], cur[names]], ignore_index=True)
    for f in names:
        if schema.features[f].kind != "numeric":
            X[f] = X[f].astype("category")
    return ref, cur, X


def _domain_fit(
    ref: pd.DataFrame, cur: pd.DataFrame, X: pd.DataFrame, names: list[str], seed: int
) -> np.ndarray | None:
    """Out-of-fold probabilities that a sample row is the window's (None: too few rows)."""
    if min(len(ref), len(cur)) < max(FOLDS, MIN_EFFECTIVE_SAMPLE):
        return None
    y = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
    return out_of_fold(X[names], y, folds=FOLDS, seed=seed)[0]


def _covariate(
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    X: pd.DataFrame,
    oof: np.ndarray | None,
    total: float,
    replicates: np.ndarray,
    confidence: float,
    seed: int,
) -> tuple[CovariateSplit, dict[str, Any]]:
    info: dict[str, Any] = {
        "reference": len(ref),
        "window": len(cur),
        "folds": FOLDS,
        "drawn_in": "engine (Bernoulli sampling)",
    }
    if oof is None:
        info["auc"] = float("nan")
        reason = (
            f"too few rows for the domain classifier ({len(ref)} reference, {len(cur)} window; "
            f"it needs {MIN_EFFECTIVE_SAMPLE} in each)"
        )
        return CovariateSplit.refusal(reason, 0.0, 0.0), info
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
    info["auc"] = float(roc_auc_score(y, oof))
    ratio = density_ratio(oof, len(ref), len(cur))
    va = ref["v"].to_numpy(float)
    vb = cur["v"].to_numpy(float)
    la, lb = ~np.isnan(va), ~np.isnan(vb)
    ra, rb = ratio[: len(ref)], ratio[len(ref) :]
    split = covariate_split(
        va[la],
        ra[la],
        vb[lb],
        rb[lb],
        total=total,
        total_replicates=replicates,
        confidence=confidence,
        seed=seed,
    )
    return split, info


def _found(
    store: Any,
    spec: ExplainChangeSpec,
    ref_win: Window,
    win: Window,
    metric: str,
    n_a: np.ndarray,
    s_a: np.ndarray,
    n_b: np.ndarray,
    s_b: np.ndarray,
) -> pd.DataFrame:
    """The slices find_slices reports as got worse, with their contribution to the change."""
    from diaglab.diagnostics.slices.spec import FindSlicesSpec

    search = {"error": "error", "accuracy": "error", "mse": "rmse"}.get(metric, metric)
    try:
        found = (
            FindSlicesSpec.build(
                spec.model,
                metrics=search,
                compare=(ref_win, win),
                where=spec.scope.where,
                version=spec.scope.version,
                threshold=spec.scope.threshold,
                k=spec.k,
                max_conditions=2,
            )
            .run(store)
            .table
        )
    except InputError:
        found = pd.DataFrame()
    return found_contributions(found, metric, (n_a.sum(), s_a.sum(), n_b.sum(), s_b.sum()))
