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
4. the domain classifier's **sample**: about ``sample`` rows of each period, drawn by the engine
   (a hash of the timestamp below a rate: :mod:`~diaglab.diagnostics.change.daily`), with their
   features and ``ℓ``; the classifier's out-of-fold probabilities
   weight the rows (:func:`~diaglab.stats.decomposition.covariate_split`).

The slices ``find_slices(compare=(reference, window))`` reports are added with their contribution,
computed from their labelled counts and values in both periods (no further scan).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.change import covariate
from diaglab.diagnostics.change.cells import (
    GridPlan,
    binned_cells,
    coded,
    cube_counts,
    grid_plan,
    row_counts,
    tick_of,
)
from diaglab.diagnostics.change.daily import daily_sample, daily_score_counts, day_rows
from diaglab.diagnostics.change.found import found_slices
from diaglab.diagnostics.change.labels import estimated_values, label_coverage, score_counts
from diaglab.diagnostics.change.result import ChangeExplanation
from diaglab.diagnostics.change.tables import contributions, found_contributions, slice_table
from diaglab.diagnostics.slices.bins import binnings
from diaglab.diagnostics.slices.counts import loss
from diaglab.diagnostics.slices.query import has_scores
from diaglab.errors import InputError, unknown
from diaglab.queries import cube
from diaglab.queries.scope import scoped_table
from diaglab.queries.window import Window
from diaglab.stats.decomposition import (
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
CUBE_METRICS = {"error": ("error", "accuracy"), "mse": ("mse",)}
"""The decomposed metrics the cube's loss sums give (per :data:`~diaglab.queries.cube.LOSS`)."""
PATHS = {
    "cube": "cube: whole days from the counts kept per day, partial edge days from the rows",
    "rows": "rows",
}


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
    inputs = _inputs(store, spec)
    counted = _cube_path(inputs) or _row_path(inputs)
    return _explained(inputs, counted)


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """What both paths start from: the checked options and the two periods' queries."""

    store: Any
    spec: ExplainChangeSpec
    task: str
    metric: str
    decomposed: str
    names: list[str]
    schema: Any
    ref_win: Window
    win: Window
    base: Any
    both: Any
    sides: list[Any]
    served: Any
    gp: GridPlan | None
    side: Callable[[Window, int], Any]
    """``side(period, w)``: ``period``'s served rows as period ``w`` (``sides`` are the two)."""


@dataclasses.dataclass(frozen=True)
class _Counted:
    """One path's counts: the periods' totals, the (possibly CBPE-estimated) served rows, and
    ``cells()``, the plan and cells (called while the domain classifier fits)."""

    totals: dict[int, dict[str, float]]
    sides: list[Any]
    served: Any
    basis: str
    notes: list[str]
    path: str
    cells: Callable[[], tuple[dict[str, Any], pd.DataFrame]]
    day_rows: list[dict[int, float]] | None = None
    """Per period, its served rows per UTC day (the cube path): the sample is then kept per day."""


def _inputs(store: Any, spec: ExplainChangeSpec) -> _Inputs:
    """The options checked and the periods' rows as queries (nothing counted yet)."""
    model, where, version, by = spec.model, spec.scope.where, spec.scope.version, spec.by
    k, sample, confidence = spec.k, spec.sample, spec.confidence
    schema = store.schema(model)
    task = schema.task or "binary"
    metric = _metric(spec.metrics, task)
    decomposed = "mse" if metric == "rmse" else metric
    if not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    if not isinstance(sample, int) or sample < 100:
        raise InputError(f"sample must be an integer of at least 100 rows, got {sample!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must lie in (0, 1), got {confidence!r}")
    ref_win, win = _windows(spec.scope.reference, spec.scope.window)
    names = list(schema.features) if by is None else ([by] if isinstance(by, str) else list(by))
    for f in names:
        if f not in schema.features:
            raise unknown("feature", f, list(schema.features))
    base, _ = scoped_table(store, model, None, where, version, spec.scope.threshold)
    both = ibis.union(
        ref_win.filter(base).mutate(w=ibis.literal(0, "int8")),
        win.filter(base).mutate(w=ibis.literal(1, "int8")),
        distinct=False,
    )
    if decomposed in ("log_loss", "brier_score") and not has_scores(
        both.filter(both.prediction.notnull())
    ):
        raise InputError(
            f"metric {metric!r} needs prediction scores, but model {model!r} logged only classes "
            f"here; explain_change can use: error, accuracy"
        )

    def side(period: Window, w: int) -> Any:
        rows = period.filter(base)
        rows = rows.filter(rows.prediction.notnull())
        return rows.mutate(
            w=ibis.literal(w, "int8"),
            v=_value(rows, task, decomposed),
            t=rows.timestamp.epoch_seconds().cast("float64"),
        )

    sides = [side(ref_win, 0), side(win, 1)]
    return _Inputs(
        store=store,
        spec=spec,
        task=task,
        metric=metric,
        decomposed=decomposed,
        names=names,
        schema=schema,
        ref_win=ref_win,
        win=win,
        base=base,
        both=both,
        sides=sides,
        served=ibis.union(*sides, distinct=False),
        gp=grid_plan(store, model, names, version),
        side=side,
    )


def _cube_path(inp: _Inputs) -> _Counted | None:
    """The counts from the cube (whole days kept per day, the partial edge days from the rows),
    or None when the cube cannot give them (see :mod:`~diaglab.diagnostics.change.cells`)."""
    gp, scope = inp.gp, inp.spec.scope
    if (
        gp is None
        or scope.where is not None
        or scope.threshold is not None
        or not cube.usable(inp.store)
        or inp.decomposed not in CUBE_METRICS[cube.LOSS[inp.task]]
    ):
        return None
    frame = cube_counts(inp.store, gp, (inp.ref_win, inp.win), scope.version, inp.decomposed)
    if frame is None:
        return None
    totals = _frame_totals(frame, gp.stored[inp.names[0]])
    if min(totals[0]["n_lab"], totals[1]["n_lab"]) == 0:
        return None  # the CBPE view needs every row's score
    return _Counted(
        totals=totals,
        sides=inp.sides,
        served=inp.served,
        basis="realized",
        notes=[],
        path="cube",
        cells=lambda: coded(gp, frame, inp.names, BLOCKS),
        day_rows=day_rows(frame, gp.stored[inp.names[0]]),
    )


def _row_path(inp: _Inputs) -> _Counted:
    """The counts from the rows: on the reference's grid when it has one, else on bins of
    both periods' rows; of the CBPE estimate when a period has no labels."""
    served, sides = inp.served, inp.sides
    totals = _totals(served)
    _check_rows(inp, totals)
    notes: list[str] = []
    basis = "realized"
    if totals[1]["n_lab"] == 0 or totals[0]["n_lab"] == 0:
        served, basis = (
            estimated_values(served, inp.task, inp.decomposed, inp.spec.model, totals),
            "estimated (CBPE)",
        )
        sides = [served.filter(served.w == w) for w in (0, 1)]
        notes.append(
            f"the {'window' if totals[1]['n_lab'] == 0 else 'reference'} has no labels: every "
            "number is of the CBPE estimate (calibrated on the reference's labelled rows)"
        )

    def cells() -> tuple[dict[str, Any], pd.DataFrame]:
        if inp.gp is not None:
            return coded(inp.gp, row_counts(served, inp.gp, tick_of(totals)), inp.names, BLOCKS)
        scope = inp.spec.scope
        plan = binnings(
            inp.store,
            inp.spec.model,
            inp.both,
            inp.names,
            version=scope.version,
            cache_key=("explain-change", str(inp.ref_win), str(inp.win), str(scope.where)),
        )
        return plan, binned_cells(served, plan, inp.names, totals, BLOCKS)

    return _Counted(
        totals=totals,
        sides=sides,
        served=served,
        basis=basis,
        notes=notes,
        path="rows",
        cells=cells,
    )


def _check_rows(inp: _Inputs, totals: dict[int, dict[str, float]]) -> None:
    where = inp.spec.scope.where
    for w, label, period in ((0, "reference", inp.ref_win), (1, "window", inp.win)):
        if totals[w]["n"] == 0:
            raise InputError(
                f"the {label} {period} has no predictions of model {inp.spec.model!r}"
                + (f" where {where}" if where is not None else "")
                + "; pick a period with rows"
            )


def _explained(inp: _Inputs, counted: _Counted) -> ChangeExplanation:
    """The decomposition of one path's counts: the waterfall, features, slices, covariate split,
    label coverage and the found slices."""
    spec, store, names, decomposed = inp.spec, inp.store, inp.names, inp.decomposed
    scope, sample, confidence, seed = spec.scope, spec.sample, spec.confidence, spec.seed
    totals, sides = counted.totals, counted.sides
    notes = list(counted.notes)
    # each period's sample and score counts are kept until the store changes: a brush that moves
    # one period draws and counts that period's rows only
    memo_key = (
        spec.model,
        scope.version,
        str(scope.where),
        scope.threshold,
        decomposed,
        counted.basis,
    )
    periods = (str(inp.ref_win), str(inp.win))
    windows = (inp.ref_win, inp.win)
    picked = (
        None
        if counted.day_rows is None
        else daily_sample(
            store, inp.side, windows, memo_key, names, sample, seed, counted.day_rows, totals
        )
    )
    drawn = (
        covariate.domain_sample(
            store, sides, periods, memo_key, names, inp.schema, sample, seed, totals
        )
        if picked is None
        else covariate.inputs(picked[0], picked[1], names, inp.schema)
    )
    with ThreadPoolExecutor(1) as pool:
        # the classifier (numpy, LightGBM) fits while the engine counts
        fitting = pool.submit(covariate.domain_fit, *drawn, names, seed)
        plan, cells = counted.cells()
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
        scores = (
            daily_score_counts(store, inp.side, windows, memo_key)
            if counted.day_rows is not None and "score" in sides[0].columns
            else None
        )
        if scores is None:
            scores = _score_counts(store, sides, periods, memo_key)
        labels = label_coverage(per, totals, scores, inp.task, decomposed)
        sums = (float(n_a.sum()), float(s_a.sum()), float(n_b.sum()), float(s_b.sum()))
        found = (
            found_slices(store, spec, inp.ref_win, inp.win, decomposed, sums)
            if spec.search
            else found_contributions(pd.DataFrame(), decomposed, (0.0, 0.0, 0.0, 0.0))
        )
        fitted = fitting.result()
    split, sample_info = covariate.covariate_part(
        *drawn, fitted, whole.total, replicates, confidence, seed
    )
    sample_info.update(
        bound=sample,
        kept="per UTC day, until the store changes"
        if counted.day_rows is not None
        else "per period, until the store changes",
    )
    if split.refused:
        notes.append(split.refused)
    ci = np.quantile(replicates, [(1 - confidence) / 2, (1 + confidence) / 2])
    table = contributions(
        total=whole.total,
        total_interval=(float(ci[0]), float(ci[1])),
        split=split,
        features=features,
        slices=slices,
        found=found,
        k=spec.k,
    )
    ma, mb = float(s_a.sum() / n_a.sum()), float(s_b.sum() / n_b.sum())
    return ChangeExplanation(
        metric=inp.metric,
        decomposed=decomposed,
        basis=counted.basis,
        reference=str(inp.ref_win),
        window=str(inp.win),
        value_reference=ma,
        value_window=mb,
        change_lower=float(ci[0]),
        change_upper=float(ci[1]),
        n_reference=int(n_a.sum()),
        n_window=int(n_b.sum()),
        sum_reference=sums[1],
        sum_window=sums[3],
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
        path=PATHS[counted.path],
    )


def _frame_totals(frame: pd.DataFrame, column: str) -> dict[int, dict[str, float]]:
    """``_totals`` from grouped cells (every feature's cells hold every served row): the rows
    and labelled rows of each period; no timestamps (the blocks come from the cells' days)."""
    mine = frame[frame["feature"] == column].groupby("w")[["n", "n_lab"]].sum()
    nan = float("nan")
    return {
        w: {
            "n": float(mine["n"].get(w, 0)),
            "n_lab": float(mine["n_lab"].get(w, 0)),
            "t0": nan,
            "t1": nan,
        }
        for w in (0, 1)
    }


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


def _score_counts(
    store: Any, sides: Sequence[Any], periods: tuple[str, str], memo_key: tuple[Any, ...]
) -> pd.DataFrame | None:
    """Each period's score-bin counts for CBPE (:func:`~diaglab.diagnostics.change.labels.
    score_counts`), kept per period until the store changes; None without scores."""
    if "score" not in sides[0].columns:
        return None
    return pd.concat(
        [
            store.memo(
                ("explain-change-scores", *memo_key, periods[w], w),
                lambda w=w: score_counts(sides[w]),
            )
            for w in (0, 1)
        ],
        ignore_index=True,
    )
