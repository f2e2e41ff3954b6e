"""``dl.find_slices``: the worst slices of the inputs, and the slices that got worse, found by a
lattice search whose counting runs in the engine.

The search (SliceLine-class, level-wise): every feature is binned as in
:func:`diaglab.diagnostics.slices.query.slice_metrics`; level 1 holds every bin of every feature,
level ``L + 1`` the conjunctions of ``L + 1`` conditions on distinct features all of whose
``L``-condition parents were *promising*: supported by at least ``min_support`` labelled rows and
with an upper bound of the score of any sub-slice at least the ``k``-th best score found so far. Per
slice the engine returns only ``n`` (labelled rows), ``Σℓ``, ``Σℓ²`` and ``max ℓ`` of the per-row
loss ``ℓ`` (misclassification, log loss, Brier, absolute or squared error).

Counting runs in the engine (:mod:`diaglab.diagnostics.slices.counts`); rows never leave it.

Memory is bounded whatever the width: the engine returns small cell counts per block of features
(``BLOCK_CELLS``, ``BRANCHES_PER_QUERY`` blocks per query), the level join pairs at most
``MAX_PARENTS`` slices into at most ``MAX_CANDIDATES`` (then ``MAX_DEEP_CANDIDATES``) children,
and the lattice's untested hypotheses are counted, not stored. Measured peak RSS: bench/RESULTS.md
("Bounded memory").

Score: ``(mean ℓ in the slice − mean ℓ overall) · √n`` — the effect in the metric's units times the
square root of the slice's labelled rows, i.e. proportional to the z-statistic of the gap: it
prefers a large slice with a clear gap to a tiny slice with a larger one. Its upper bound over the
sub-slices of a slice with ``n`` rows, loss sum ``E`` and largest loss ``m`` is attained at
``n* = clip(E / m, min_support, n)``: ``(min(E / n*, m) − mean) · √n*`` (children of several parents
take the smallest ``n`` and ``E``).

With ``compare=(a, b)`` the statistic is a difference in differences: ``(slice_b − slice_a) −
(all_b − all_a)``, scored ``× √min(n_a, n_b)`` and tested against the rest of the rows (four
independent groups, normal test).

False discoveries: every slice the search counted with enough support gets a two-sided p-value
(slice vs the rest: :func:`~diaglab.stats.metrics.compare_to_rest`; with ``compare`` the
difference-in-differences test), and weighted Benjamini–Hochberg
(:func:`~diaglab.stats.multiple_testing.weighted_benjamini_hochberg`, Genovese, Roeder &
Wasserman 2006) runs over the *whole lattice*: every conjunction of up to ``max_conditions`` bins
counts as a hypothesis, the ones the search pruned or never reached as never rejected (which
slices get counted depends on the data, so counting only those would let the pruning pass noise
off as a finding). The weights spend the budget where a person looks first: level ``L`` of the
lattice (``m_L`` conjunctions of ``L`` conditions) gets the share ``2^−L`` (normalised; 4/7, 2/7,
1/7 for three levels), spread evenly over its ``m_L`` hypotheses
(:func:`~diaglab.stats.multiple_testing.level_weights`). The weights depend only on the bin counts
and the depth, never on the losses, so the procedure keeps the false discovery rate at ``alpha``
under the conditions its docstring proves it (valid p-values, independent or positively
dependent); slices overlap and the pruning looks at parents, so ``tests/test_search_power.py``
also checks the rate by simulation on the lattice's real shape. A single-condition slice then
needs ``p ≤ π_1 α R / m_1`` instead of ``p ≤ α R / m`` over the whole lattice: with 8 features of
6 bins and 3 levels, ~150 times less strict at one condition and ~4 times at two, ~6 times
stricter at three. ``weighting="uniform"`` restores plain BH over the lattice. Only slices worse
than the rest, scoring higher than each of their parents, with an adjusted p below ``alpha`` are
reported; the nearest misses are kept with why they missed (``result.nearest_misses``).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.slices import cube as slice_cube
from diaglab.diagnostics.slices import found as found_slices
from diaglab.diagnostics.slices.bins import binnings
from diaglab.diagnostics.slices.counts import (
    STAT_COLUMNS,
    aggregates,
    count_cells,
    loss,
    pack,
)
from diaglab.diagnostics.slices.query import has_scores
from diaglab.diagnostics.slices.report import WEIGHTINGS, Setup, report, report_metric
from diaglab.errors import InputError, unknown
from diaglab.queries.scope import scoped_table
from diaglab.queries.window import Window
from diaglab.store.engines import materialize

if TYPE_CHECKING:
    from diaglab.diagnostics.slices.found import FoundSlices
    from diaglab.diagnostics.slices.spec import FindSlicesSpec

Counter = Callable[[list[tuple[int, ...]], int, dict[tuple[int, ...], set[int]] | None], Any]
"""``count(combos, level, wanted)``: a level's slices counted (the rows' or a cube's cells)."""

MAX_CANDIDATES = 20_000
MAX_DEEP_CANDIDATES = 1_500
"""Candidates counted at level 2 (and at levels 3+) at most, those whose weakest parent scores
highest first; beyond it the search is no longer exhaustive and says so (``result.truncated``)."""
MAX_PARENTS = 2 * math.isqrt(2 * MAX_CANDIDATES)
"""Promising slices joined into the next level at most, the highest scoring first (400). The
``MAX_CANDIDATES`` children with the best weakest parent are pairs of the top ~200 parents, so
joining only the top 400 keeps them while bounding the join's work and memory whatever the width:
500 features give ~1,250 promising one-condition slices and ~780,000 pairs to rank otherwise."""

SEARCH_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("error", "log_loss", "brier_score"),
    "multiclass": ("error",),
    "regression": ("error", "mae", "rmse"),
}


def level_sizes(cards: Sequence[int], levels: int) -> tuple[int, ...]:
    """Conjunctions of exactly 1, 2, …, ``levels`` conditions on distinct features with these bin
    counts (the elementary symmetric polynomials of ``cards``)."""
    e = [1] + [0] * levels
    for c in cards:
        for j in range(levels, 0, -1):
            e[j] += e[j - 1] * c
    return tuple(e[1:])


# -- the search --------------------------------------------------------------------------------


def find_slices(
    store: Any, spec: FindSlicesSpec, *, progress: Callable[[str], None] | None = None
) -> FoundSlices:
    """The slices where the model is worst (or, with ``compare``, got worse), most severe first.

    Parameters
    ----------
    store : diaglab.Store
    model : str
    metrics : str (or a list of one)
        What to rank by: ``"error"`` (misclassification rate; MAE for regression),
        ``"log_loss"``, ``"brier_score"`` (binary models with scores), ``"mae"``, ``"rmse"``.
    window : dl.Window or (start, end), optional
        The rows searched (ignored with ``compare``).
    k : int
        Report at most this many slices.
    max_conditions : int
        Most conditions in a slice (the lattice's depth), 1–4.
    min_support : int, optional
        Fewest labelled rows a slice needs (with ``compare``: in each window). Default:
        ``max(30, 1% of the labelled rows)``.
    compare : pair of windows, optional
        ``(before, after)``, each a ``dl.Window`` or a ``(start, end)`` pair: rank the slices
        whose metric degraded most from ``before`` to ``after`` beyond the overall change.
    alpha : float
        False discovery rate: only slices with a weighted Benjamini–Hochberg adjusted p below it
        (module docstring: one-condition slices get 4/7 of the budget at three levels).
    where : dl.Slice or str, optional
        Search only these rows.
    features : list of str, optional
        Features to slice on (default: all the model's features).
    version : str, optional
        Only this model version's predictions.
    threshold : float, optional
        Decide the binary class at this score threshold (default: each version's registered one).
    bins, other_threshold
        Binning, as in :func:`diaglab.slice_metrics`.
    progress : callable, optional
        Called with a short text after each level.
    weighting : {"levels", "uniform"}
        How the false-discovery budget is spread over the lattice: ``levels`` (default) gives
        level ``L`` the share ``2^−L``; ``uniform`` is plain Benjamini–Hochberg over every
        conjunction, which loses single-feature effects among the thousands of conjunctions.

    Returns
    -------
    FoundSlices
        ``table``: one row per reported slice: ``slice`` (dl.Slice), ``predicate``, ``level``,
        ``support`` (rows), ``support_share``, ``labelled``, ``metric``, ``value``, ``lower``,
        ``upper``,
        ``overall``, ``difference``, ``p_value``, ``p_adjusted``, ``score``, ``why``; with
        ``compare``: ``value_a``, ``value_b``, ``overall_a``, ``overall_b``, ``did`` (difference
        in differences) with ``did_lower``/``did_upper`` instead of value/interval. The result says
        how many slices were counted and tested, the hypotheses per level, the minimum support,
        whether the search was truncated, and ``nearest_misses``: the slices worse than the rest
        that came nearest to passing (``predicate``, ``level``, ``labelled``, ``effect``,
        ``p_value``, ``p_adjusted``, ``p_needed``, ``why_not``), so an empty result still says
        what was closest and why it was not reported.

    Examples
    --------
    >>> found = dl.find_slices(store, "credit", k=5)                      # doctest: +SKIP
    >>> found.table[["predicate", "value", "overall"]]                   # doctest: +SKIP
    >>> dl.find_slices(store, "credit", compare=(("2026-01-01", "2026-01-20"),
    ...                                           ("2026-01-20", "2026-03-02")))  # doctest: +SKIP
    """
    model, window, where = spec.model, spec.scope.window, spec.scope.where
    threshold = spec.scope.threshold
    version, metrics, k = spec.scope.version, spec.metrics, spec.k
    max_conditions, min_support, compare = spec.max_conditions, spec.min_support, spec.compare
    alpha, features, bins = spec.alpha, spec.features, spec.bins
    other_threshold, weighting = spec.other_threshold, spec.weighting
    metric = one_metric(metrics)
    if not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    if not isinstance(max_conditions, int) or not 1 <= max_conditions <= 4:
        raise InputError(f"max_conditions must be 1..4, got {max_conditions!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha!r}")
    if weighting not in WEIGHTINGS:
        raise unknown("weighting", weighting, WEIGHTINGS)
    schema = store.schema(model)
    task = schema.task or "binary"
    allowed = SEARCH_METRICS[task]
    if metric not in allowed:
        raise unknown(f"metric for find_slices on a {task} model", metric, allowed)
    names = [schema.resolve(f) for f in (schema.features if features is None else features)]
    table, win = scoped_table(store, model, None if compare else window, where, version, threshold)
    if compare is not None:
        if not isinstance(compare, tuple | list) or len(compare) != 2:
            raise InputError("compare= takes a pair of windows: (before, after)")
        win_a, win_b = Window.of(compare[0]), Window.of(compare[1])
        a_rows, b_rows = win_a.filter(table), win_b.filter(table)
        table = ibis.union(
            a_rows.mutate(w=ibis.literal(0, "int8")),
            b_rows.mutate(w=ibis.literal(1, "int8")),
            distinct=False,
        )
    if metric in ("log_loss", "brier_score") and not has_scores(table):
        raise InputError(
            f"metric {metric!r} needs prediction scores, but model {model!r} logged only classes: "
            "log the probability of the positive class as the prediction, or use metric='error'"
        )
    row_loss = loss(table, task, metric)
    labelled = table.filter(table.prediction.notnull() & table.label.notnull() & row_loss.notnull())
    labelled = labelled.mutate(l=loss(labelled, task, metric))
    is_compare = compare is not None
    totals = labelled.aggregate(**aggregates(labelled, is_compare)).to_pyarrow().to_pylist()[0]
    n_total = float(totals["n"] or 0)
    n_small = (
        min(n_total - float(totals["n_b"] or 0), float(totals["n_b"] or 0))
        if is_compare
        else n_total
    )
    support = int(min_support) if min_support is not None else max(30, math.ceil(0.01 * n_small))
    if support < 1:
        raise InputError(f"min_support must be at least 1, got {min_support!r}")
    plan = binnings(
        store,
        model,
        table,
        names,
        bins=bins,
        other_threshold=other_threshold,
        version=version,
        cache_key=None,
    )
    usable = [f for f in names if plan[f].cardinality > 1]
    sizes = level_sizes([plan[f].cardinality for f in usable], max_conditions)
    setup = Setup(metric, task, usable, plan, support, n_total, is_compare, sizes, weighting)
    attrs: dict[str, Any] = {
        "model": model,
        "metric": report_metric(metric, task),
        "min_support": support,
        "labelled": int(n_total),
        "alpha": alpha,
        "window": str(win) if not is_compare else None,
        "compare": [str(Window.of(c)) for c in compare] if compare is not None else None,
        "where": None if where is None else str(where),
        "features": usable,
        "skipped_features": [f for f in names if f not in usable],
    }
    if n_total == 0 or (is_compare and n_small == 0):
        raise InputError(
            f"no labelled rows to search in model {model!r}"
            + (" in one of the compared windows" if is_compare else "")
            + ": slices are judged on labelled predictions (store.log_labels)"
        )
    attrs["hypotheses"] = sum(sizes)
    attrs["level_hypotheses"] = list(sizes)
    attrs["weighting"] = weighting
    cells = None
    if compare is None and where is None and threshold is None:
        cells = slice_cube.window_cells(
            store,
            model=model,
            metric=metric,
            window=win,
            version=version,
            plan=plan,
            features=names,
            usable=usable,
            max_conditions=max_conditions,
        )
    if cells is not None:
        evaluated, truncated = _search(cells.count, setup, totals, k, max_conditions, progress)
    else:
        with _row_counter(store, labelled, setup) as count:
            evaluated, truncated = _search(count, setup, totals, k, max_conditions, progress)
    attrs["evaluated"] = len(evaluated)
    attrs["truncated"] = truncated
    table = report(store, table, evaluated, setup, totals, k, alpha, attrs)
    result = found_slices.FoundSlices(table=table, **attrs)
    found_slices.remember(store, model, result)
    return result


@contextlib.contextmanager
def _row_counter(store: Any, labelled: Any, setup: Setup) -> Iterator[Counter]:
    """A level's counts from the rows: the narrow binned rows kept in a temporary table."""
    feats = setup.features
    cols = {f"c{i}": setup.plan[f].code(labelled) for i, f in enumerate(feats)}
    narrow = labelled.select(**cols, l=labelled.l, **({"w": labelled.w} if setup.compare else {}))
    temp, release = materialize(store, narrow)
    cards = [setup.plan[f].cardinality for f in feats]

    def count(
        combos: list[tuple[int, ...]], level: int, wanted: dict[tuple[int, ...], set[int]] | None
    ) -> pd.DataFrame:
        return count_cells(temp, combos, cards, level, setup.compare, wanted)

    try:
        yield count
    finally:
        release()


def _search(
    count: Counter,
    setup: Setup,
    totals: dict[str, Any],
    k: int,
    max_conditions: int,
    progress: Callable[[str], None] | None,
) -> tuple[pd.DataFrame, bool]:
    """The level-wise search; ``count(combos, level, wanted)`` counts a level's slices."""
    feats = setup.features
    if not feats:
        return _empty_evaluated(setup.compare), False
    frames: list[pd.DataFrame] = []
    truncated = False
    candidates: list[tuple[tuple[int, int], ...]] | None = None
    known: dict[tuple[tuple[int, int], ...], float] = {}
    counts: dict[tuple[tuple[int, int], ...], float] = {}
    score_of: dict[tuple[tuple[int, int], ...], float] = {}
    threshold = 0.0
    for level in range(1, max_conditions + 1):
        combos: list[tuple[int, ...]]
        if level == 1:
            combos = [(i,) for i in range(len(feats))]
        else:
            assert candidates is not None
            combos = sorted({tuple(f for f, _ in c) for c in candidates})
        if not combos:
            break
        wanted: dict[tuple[int, ...], set[int]] | None = None
        if candidates is not None:
            grouped: dict[tuple[int, ...], list[list[int]]] = {}
            for c in candidates:
                grouped.setdefault(tuple(f for f, _ in c), []).append([v for _, v in c])
            wanted = {
                combo: set(pack(np.asarray(codes, dtype=np.int64)).tolist())
                for combo, codes in grouped.items()
            }
        counted = count(combos, level, wanted)
        counted = _scored(counted, setup, totals, level, counts)
        frames.append(counted)
        ok = counted[~counted["redundant"] & (counted["n_min"] >= setup.min_support)]
        everything = pd.concat(frames, ignore_index=True)
        scores = everything.loc[
            ~everything["redundant"] & (everything["n_min"] >= setup.min_support), "score"
        ]
        positive = np.sort(scores[scores > 0].to_numpy())[::-1]
        threshold = float(positive[k - 1]) if len(positive) >= k else 0.0
        # Refine only slices that are themselves worse than average (score > 0) and whose
        # bound can still beat the k-th best score.
        promising = ok[(ok["score"] > 0) & (ok["ub"] > 0) & (ok["ub"] >= threshold)]
        for key, ub in zip(promising["key"], promising["ub"], strict=True):
            known[key] = float(ub)
        score_of.update(zip(counted["key"], counted["score"].astype(float), strict=True))
        if progress is not None:
            progress(
                f"level {level}: {len(counted):,} slices counted, {len(promising):,} promising"
            )
        if level == max_conditions:
            break
        cap = MAX_CANDIDATES if level == 1 else MAX_DEEP_CANDIDATES
        candidates, cut = _children(promising, known, score_of, threshold, cap)
        truncated = truncated or cut
    return pd.concat(frames, ignore_index=True), truncated


def _empty_evaluated(compare: bool) -> pd.DataFrame:
    cols = ["key", "level", *STAT_COLUMNS, "score", "ub", "n_min", "redundant"]
    if compare:
        cols += ["n_b", "s1_b", "s2_b", "emax_b"]
    return pd.DataFrame({c: [] for c in cols})


def _bound(
    n_max: Any, e_sum: Any, e_max: Any, base: Any, support: int, cap: Any = None
) -> np.ndarray:
    """Upper bound of ``(mean − base)·√n`` over sub-slices (see the module docstring)."""
    n_max, e_sum, e_max = (np.asarray(a, dtype=float) for a in (n_max, e_sum, e_max))
    upper = n_max if cap is None else np.minimum(n_max, np.asarray(cap, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        peak = np.where(e_max > 0, e_sum / e_max, support)
        best = np.full(n_max.shape, -np.inf)
        for n in (np.clip(peak, support, np.maximum(upper, support)), np.maximum(upper, support)):
            mean = np.minimum(e_sum / n, np.nan_to_num(e_max))
            best = np.maximum(best, (mean - base) * np.sqrt(n))
    return np.where(upper >= support, best, -np.inf)


def _scored(
    frame: pd.DataFrame,
    setup: Setup,
    totals: dict[str, Any],
    level: int,
    counts: dict[tuple[tuple[int, int], ...], float],
) -> pd.DataFrame:
    frame = frame.copy()
    for c in STAT_COLUMNS[1:]:
        frame[c] = frame[c].astype(float).fillna(0.0)
    frame["n"] = frame["n"].astype(float)
    if setup.compare:
        for c in ("n_b", "s1_b", "s2_b", "emax_b"):
            frame[c] = frame[c].astype(float).fillna(0.0)
        n_b, s1_b = frame["n_b"], frame["s1_b"]
        n_a, s1_a = frame["n"] - n_b, frame["s1"] - s1_b
        tot_b = float(totals["n_b"] or 0)
        tot_a = float(totals["n"]) - tot_b
        delta = (
            float(totals["s1_b"] or 0) / tot_b
            - (float(totals["s1"]) - float(totals["s1_b"] or 0)) / tot_a
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            did = s1_b / n_b - s1_a / n_a - delta
        frame["n_min"] = np.minimum(n_a, n_b)
        frame["score"] = did * np.sqrt(frame["n_min"])
        frame["ub"] = _bound(n_b, s1_b, frame["emax_b"], delta, setup.min_support, cap=n_a)
    else:
        mean = float(totals["s1"]) / float(totals["n"])
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["score"] = (frame["s1"] / frame["n"] - mean) * np.sqrt(frame["n"])
        frame["n_min"] = frame["n"]
        frame["ub"] = _bound(frame["n"], frame["s1"], frame["emax"], mean, setup.min_support)
    frame["score"] = frame["score"].fillna(-np.inf)
    frame["redundant"] = False
    if level > 1 and len(frame):
        # A slice with the rows of one of its parents adds a condition that selects nothing.
        frame["redundant"] = frame["n"].to_numpy() >= _parent_counts(frame["key"], counts)
    counts.update(zip(frame["key"], frame["n"].astype(float), strict=True))
    return frame


def _parent_counts(
    keys: pd.Series, known_n: dict[tuple[tuple[int, int], ...], float]
) -> np.ndarray:
    out = np.empty(len(keys))
    for i, key in enumerate(keys):
        out[i] = min(known_n.get(key[:j] + key[j + 1 :], np.inf) for j in range(len(key)))
    return out


def _children(
    promising: pd.DataFrame,
    known: dict[tuple[tuple[int, int], ...], float],
    score_of: dict[tuple[tuple[int, int], ...], float],
    threshold: float,
    cap: int,
) -> tuple[list[tuple[tuple[int, int], ...]], bool]:
    """Apriori join: L+1-condition slices all of whose L-condition parents are promising, whose
    bound beats the k-th best score and every parent's score (else it could never be reported),
    at most ``cap`` of them, those whose weakest parent scores highest first. Only the
    ``MAX_PARENTS`` best-scoring promising slices are joined (the search then says it was
    truncated)."""
    parents_cut = len(promising) > MAX_PARENTS
    if parents_cut:
        promising = promising.sort_values("score", ascending=False, kind="stable")
        promising = promising.head(MAX_PARENTS)
    keys = sorted(promising["key"])
    by_prefix: dict[tuple[tuple[int, int], ...], list[tuple[int, int]]] = {}
    for key in keys:
        by_prefix.setdefault(key[:-1], []).append(key[-1])
    out: list[tuple[float, tuple[tuple[int, int], ...]]] = []
    for prefix, lasts in by_prefix.items():
        for a, b in itertools.combinations(lasts, 2):
            if a[0] == b[0]:
                continue
            child = (*prefix, a, b) if a[0] < b[0] else (*prefix, b, a)
            bounds = [known.get(child[:j] + child[j + 1 :]) for j in range(len(child))]
            if any(v is None for v in bounds):
                continue
            ub = min(v for v in bounds if v is not None)
            parents = [score_of.get(child[:j] + child[j + 1 :], np.inf) for j in range(len(child))]
            if ub >= threshold and ub > max(parents):
                out.append((min(parents), child))
    out.sort(key=lambda t: -t[0])
    cut = len(out) > cap or parents_cut
    return [c for _, c in out[:cap]], cut


def one_metric(metrics: str | Sequence[str]) -> str:
    """The one metric a slice search ranks by, from ``metrics=`` (a name or a list of one)."""
    if isinstance(metrics, str):
        return metrics
    names = list(metrics)
    if len(names) != 1:
        raise InputError(f"find_slices ranks by one metric; got metrics={names!r}")
    return str(names[0])
