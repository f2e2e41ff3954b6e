"""``dl.drift``: the drift table of a model's inputs, outputs and labels, computed in the engine.

The engine returns binned counts (see :mod:`diaglab.queries.binning`); the statistics and verdicts
come from :mod:`diaglab.stats.drift`.

Whatever the width, each side is read once: the reference's profile, its counts and the
window's counts are each one query over every feature (see :mod:`diaglab.queries.binning`),
bounded by the engine's own limit (``store.engine.MEMORY_LIMIT``, spilling beyond it); Python
keeps ~1,000 bin counts per numeric feature and the category counts. Measured time and peak RSS
(1,000 features x 1M rows, main beside it): bench/RESULTS.md, "Wide drift in one scan".
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from diaglab import format as fmt
from diaglab.errors import InputError, unknown
from diaglab.queries import cube
from diaglab.queries.binning import (
    Grid,
    NumericCounts,
    categorical_counts,
    grid_shape,
    numeric_counts,
    reference_grids,
)
from diaglab.queries.filters import Slice
from diaglab.queries.filters import where as apply_where
from diaglab.queries.result import Result
from diaglab.queries.scope import decided, resolved_thresholds, scoped_table
from diaglab.queries.window import Window
from diaglab.stats.distances import coarsen_bins
from diaglab.stats.drift import (
    FeatureDrift,
    FeatureStatistics,
    Severity,
    assess_drift,
    categorical_statistics,
    drift_frame,
    drift_summary,
    numeric_statistics,
)
from diaglab.store.compiled import fetch_over

if TYPE_CHECKING:
    from diaglab.diagnostics.drift.spec import DriftSpec

QUANTILE_BINS = 100
PREDICTION, LABEL = "prediction", "label"
# a binary model's class decided at the threshold in use ("1" / "0"), beside its score
DECISION = "decision"


@dataclass(frozen=True)
class Distribution:
    """Reference and current shares of one feature, for charts."""

    feature: str
    kind: str
    bins: pd.DataFrame  # columns: bin, left, right, reference, current, new
    binning: str = "per category"
    """How the bins were made, in words (a chart's subtitle says it)."""


@dataclass(frozen=True, repr=False)
class DriftReport(Result):
    """The drift of one model between a reference and a window (``window``: the period judged).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per feature (and for the prediction and the label), most severe first, with the
        statistics, ``n_reference``, ``n_current``, the thresholds used, ``severity``,
        ``drifted`` and ``min_severity``. ``role`` says feature, prediction or label.
        Significance decides whether a column shifted, effect size how much; ``drifted`` means
        the severity reached ``min_severity`` (moderate by default), so a significant ``minor``
        shift has ``drifted = False``: :attr:`summary` names those too.
    results : tuple of FeatureDrift
    min_severity : str
        The least severity counted as drifted.
    """

    model: str
    window: Window
    reference: str
    where: str | None
    version: str | None
    results: tuple[FeatureDrift, ...]
    distributions: Mapping[str, Distribution] = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    min_severity: Severity = "moderate"

    def __getitem__(self, feature: str) -> FeatureDrift:
        for r in self.results:
            if r.feature == feature:
                return r
        raise unknown("feature", feature, [r.feature for r in self.results])

    @property
    def drifted(self) -> list[str]:
        """Columns whose severity reached ``min_severity`` (moderate or major by default)."""
        return [r.feature for r in self.results if r.drifted]

    @property
    def summary(self) -> str:
        """ "3 of 13 features drifted (moderate or above: …); 2 more show a minor, significant
        shift: …", over the features (the prediction and label are judged apart)."""
        return drift_summary(self.table[self.table["role"] == "feature"])

    def distribution(self, feature: str) -> Distribution:
        if feature not in self.distributions:
            raise unknown("feature", feature, list(self.distributions))
        return self.distributions[feature]

    def _repr_html_(self) -> str:
        head = (
            f"<b>drift of {self.model!r}</b>: window {self.window}, reference "
            f"{self.reference}"
            + (f", where {self.where}" if self.where else "")
            + f"<br>{html.escape(self.summary)}"
        )
        cols = [
            "feature",
            "role",
            "severity",
            "drifted",
            "effect_statistic",
            "effect",
            "p_adjusted",
            "n_reference",
            "n_current",
        ]
        return head + self.table[[c for c in cols if c in self.table]].to_html(index=False)


def _sides(
    store: Any,
    model: str,
    current: Any,
    reference: Any,
    version: str | None,
    where: Any,
    threshold: float | None = None,
) -> tuple[Any, Any, Window, str]:
    cur, window = scoped_table(store, model, current, where, version, threshold)
    if reference is None:
        ref_table = store.reference(model)
        versions = ref_table.select("model_version").distinct().to_pyarrow().column(0).to_pylist()
        if not versions:
            raise InputError(
                f"model {model!r} has no registered reference: call store.set_reference(...) "
                "or pass reference=(start, end) to compare with a production window"
            )
        ref_version = version if version in versions else sorted(versions)[-1]
        registered = decided(store.reference(model, ref_version), store.schema(model), threshold)
        ref = apply_where(registered, where)
        label = f"registered reference of {ref_version}"
    else:
        ref, ref_window = scoped_table(store, model, reference, where, version, threshold)
        label = f"production window {ref_window}"
    return ref, cur, window, label


@dataclass(frozen=True)
class Prepared:
    """Both sides of a drift comparison, and the reference's binned profile (cached)."""

    columns: Callable[..., Any]
    """``columns(table, extra=())``: a (decided) prediction table's drift columns, as the sides
    have them (with the ``extra`` columns)."""
    cuts: tuple[tuple[str, float], ...]  # the decision's threshold per version, when decided
    ref: Any  # Ibis tables with the chosen features and "prediction"/"label" columns
    cur: Any
    cur_full: Any
    window: Window
    reference_label: str
    num_cols: list[str]
    cat_cols: list[str]
    missing_in_ref: list[str]
    kinds: dict[str, Any]  # feature -> "numeric" | "categorical"
    grids: dict[str, Grid | None]
    ref_counts: dict[str, NumericCounts]
    ref_cats: dict[str, pd.Series]


def prepare(
    store: Any,
    model: str,
    current: Any,
    reference: Any,
    features: Sequence[str] | None,
    where: Slice | str | None,
    version: str | None,
    *,
    threshold: float | None = None,
    decision: bool = False,
) -> Prepared:
    """Check the arguments, build both sides and profile the reference (once per data state).

    ``decision``: a binary model's sides also get the class decided at ``threshold`` (else the
    registered thresholds) as the categorical column ``DECISION``."""
    schema = store.schema(model)
    # features by their stored columns: a feature called "prediction" is "feature:prediction"
    chosen = [schema.resolve(f) for f in (schema.features if features is None else features)]
    ref, cur, window, ref_label = _sides(
        store, model, current, reference, version, where, threshold
    )
    ref_cols = set(ref.columns)
    kinds = {f: schema.kind(f) for f in chosen}
    numeric = [f for f in chosen if kinds[f] == "numeric" and f in ref_cols]
    categorical = [f for f in chosen if kinds[f] == "categorical" and f in ref_cols]
    output = "prediction" if schema.task == "regression" else "score"
    label_categorical = schema.task == "multiclass"
    # (a model with a feature stored as "decision" keeps its feature and has no such row)
    binary = schema.task in (None, "binary") and DECISION not in chosen
    decided_cols = [DECISION] if decision and binary else []

    def columns(t: Any, extra: Sequence[str] = ()) -> Any:
        return t.mutate(
            **{PREDICTION: t[output], LABEL: t["label"]},
            **{c: t["prediction"].cast("int64").cast("string") for c in decided_cols},
        ).select(*numeric, *categorical, PREDICTION, LABEL, *decided_cols, *extra)

    sides = [columns(ref), columns(cur, ("timestamp",))]
    num_cols = [*numeric, PREDICTION] + ([] if label_categorical else [LABEL])
    cat_cols = [*categorical, *decided_cols] + ([LABEL] if label_categorical else [])

    def profile() -> tuple[dict[str, Grid | None], dict[str, NumericCounts], dict[str, Any]]:
        grids = reference_grids(sides[0], num_cols)
        live = {f: g for f, g in grids.items() if g is not None}
        return grids, numeric_counts(sides[0], live), categorical_counts(sides[0], cat_cols)

    cuts = tuple(resolved_thresholds(schema, threshold).items()) if decided_cols else ()
    key = ("drift-reference", model, ref_label, str(where), tuple(num_cols), tuple(cat_cols), cuts)
    # the registered reference's profile outlives the ingests of predictions and labels
    grids, ref_counts, ref_cats = store.memo(key, profile, reference_only=reference is None)
    return Prepared(
        columns,
        cuts,
        sides[0],
        sides[1],
        cur,
        window,
        ref_label,
        num_cols,
        cat_cols,
        [f for f in chosen if f not in ref_cols],
        kinds,
        grids,
        ref_counts,
        ref_cats,
    )


def drift(store: Any, spec: DriftSpec) -> DriftReport:
    """Drift of every feature, the prediction and the label between a reference and a window.

    Parameters (of ``dl.drift``, held by the :class:`~diaglab.specs.catalog.DriftSpec`)
    ----------
    store : diaglab.Store
    model : str
    window : dl.Window, (start, end) or None
        The period judged; None means every logged prediction.
    reference : dl.Window, (start, end) or None
        None compares with the registered reference (of ``version`` when given, else the latest
        version that has one); a window compares with production rows of that time.
    features : list of str, optional
        Only these features (default: all the model's features).
    where : dl.Slice or str, optional
        Narrows both sides to a slice, e.g. ``"region = 'north'"``.
    version : str, optional
        Only predictions of this model version.
    alpha, correction, thresholds, overrides
        Verdict settings (see :func:`diaglab.stats.drift.assess_drift`): significance decides
        whether there is drift (p-values corrected across the report), effect size how much.
    min_severity : {"minor", "moderate", "major"}
        The least severity counted as ``drifted`` (default ``"moderate"``); a significant shift
        below it keeps ``drifted = False`` and is named in ``summary``.

    Notes
    -----
    Against the registered reference, at the registered thresholds, on a writable DuckDB store,
    the window's whole days are read from counts kept per day (:mod:`diaglab.queries.cube`,
    brought up to date first) and only its partial first and last day from the rows: the same
    counts as a scan, so the same table. ``where=``, ``threshold=``, a production-window
    ``reference``, a read-only store and Spark count the window's rows.

    Examples
    --------
    >>> rep = dl.drift(store, "credit", window=("2026-02-10", "2026-03-01"))  # doctest: +SKIP
    >>> rep.table[["feature", "severity", "effect"]].head()                     # doctest: +SKIP
    """
    model, scope = spec.model, spec.scope
    where, version = scope.where, scope.version
    p = prepare(
        store,
        model,
        scope.window,
        scope.reference,
        spec.features,
        where,
        version,
        threshold=scope.threshold,
        decision=True,
    )
    missing_in_ref = list(p.missing_in_ref)
    stats: list[FeatureStatistics] = []
    dists: dict[str, Distribution] = {}
    live = {f: g for f, g in p.grids.items() if g is not None}
    kept = _kept_counts(store, spec, p, live)
    if kept is None:
        cur_counts = numeric_counts(p.cur, live)
        cur_cats = categorical_counts(p.cur, p.cat_cols)
    else:
        cur_counts, cur_cats = kept.numeric, kept.categorical
    for f in p.num_cols:
        g = p.grids[f]
        if g is None:
            missing_in_ref.append(f)
            continue
        st, dist = _numeric(f, g, p.ref_counts[f], cur_counts[f], ignore_nulls=f == LABEL)
        stats.append(st)
        dists[f] = dist
    for f in p.cat_cols:
        st, dist = _categorical(f, p.ref_cats[f], cur_cats[f], ignore_nulls=f == LABEL)
        stats.append(st)
        dists[f] = dist
    present = _present(p.cur, p.cur_full, missing_in_ref)
    for f in missing_in_ref:
        absent = categorical_statistics(f, reference_counts={}, current_counts={})
        stats.append(
            replace(
                absent,
                kind=p.kinds.get(f, "numeric"),
                n_current=present.get(f, 0),
                reason="absent from the reference: register a reference that "
                "has this column to compare it",
            )
        )

    results = assess_drift(
        stats,
        alpha=spec.alpha,
        correction=spec.correction,  # type: ignore[arg-type]
        thresholds=spec.thresholds,
        overrides=spec.overrides,
        min_severity=spec.min_severity,  # type: ignore[arg-type]
    )
    table = drift_frame(results)
    roles = {PREDICTION: "prediction", DECISION: "prediction", LABEL: "label"}
    table.insert(1, "role", [roles.get(f, "feature") for f in table["feature"]])
    return DriftReport(
        model,
        p.window,
        p.reference_label,
        None if where is None else str(where),
        version,
        tuple(results),
        dists,
        table,
        spec.min_severity,  # type: ignore[arg-type]
    )


def _kept_counts(
    store: Any, spec: DriftSpec, p: Prepared, live: dict[str, Grid]
) -> cube.Counts | None:
    """The window's counts from the counts kept per day (:mod:`diaglab.queries.cube`), when they
    can answer: against the registered reference, at the registered thresholds, on a writable
    DuckDB store; None otherwise (the rows are counted). The cube counts every feature: a
    ``features`` subset takes its features' counts from it."""
    scope = spec.scope
    if (
        scope.where is not None
        or scope.reference is not None
        or scope.threshold is not None
        or not cube.usable(store)
    ):
        return None
    full = p
    if spec.features is not None:
        full = prepare(
            store, spec.model, scope.window, None, None, None, scope.version, decision=True
        )
    every = {f: g for f, g in full.grids.items() if g is not None}
    if any(
        f not in every or grid_shape({f: every[f]}) != grid_shape({f: g}) for f, g in live.items()
    ) or not set(p.cat_cols) <= set(full.cat_cols):
        return None
    shape = cube.Shape(spec.model, every, tuple(full.cat_cols), full.cuts)
    only = None if full is p else [*live, *p.cat_cols]
    counts = cube.window_counts(store, shape, full.columns, p.window, scope.version, only=only)
    if counts is None or full is p:
        return counts
    return cube.Counts(
        {f: counts.numeric[f] for f in live},
        {f: counts.categorical[f] for f in p.cat_cols},
    )


def _present(cur: Any, cur_full: Any, columns: Sequence[str]) -> dict[str, int]:
    """Non-null values of each column, counted in ``cur`` when it has the column, else in
    ``cur_full`` (a column neither has is absent from the result)."""
    present: dict[str, int] = {}
    left = list(columns)
    for table in (cur, cur_full):
        here = [c for c in left if c in table.columns]
        left = [c for c in left if c not in here]
        if not here:
            continue

        def count(rows: Any, here: list[str] = here) -> Any:
            return rows.aggregate(**{f"n{k}": rows[c].notnull().sum() for k, c in enumerate(here)})

        row = fetch_over(table, ("present", tuple(here)), count).to_pylist()[0]
        present.update({c: int(row[f"n{k}"] or 0) for k, c in enumerate(here)})
    return present


def _numeric(
    f: str, g: Grid, ref: NumericCounts, cur: NumericCounts, *, ignore_nulls: bool
) -> tuple[FeatureStatistics, Distribution]:
    edges, (rc, cc) = coarsen_bins(g.edges, ref.grid_counts, cur.grid_counts, bins=QUANTILE_BINS)
    st = numeric_statistics(
        f,
        edges=edges,
        reference_counts=rc,
        current_counts=cc,
        reference_std=g.std,
        reference_nulls=0 if ignore_nulls else ref.nulls,
        current_nulls=0 if ignore_nulls else cur.nulls,
        current_below=cur.below,
        current_above=cur.above,
        current_min=cur.minimum,
        current_max=cur.maximum,
        whole_numbers=g.integer,
    )
    # Charts get ~20 bins of about equal reference mass (integer features: merged at whole
    # numbers), plus out-of-range bins when present.
    cedges, (rc20, cc20) = coarsen_bins(edges, rc, cc, bins=20)
    labels = [fmt.interval(a, b) for a, b in itertools.pairwise(cedges)]
    left, right = list(cedges[:-1]), list(cedges[1:])
    reference, current = list(rc20), list(cc20)
    new = [False] * len(labels)
    if cur.below:
        labels.insert(0, f"< {fmt.number(g.ref_min, digits=4)}")
        left.insert(0, cur.minimum)
        right.insert(0, g.ref_min)
        reference.insert(0, 0)
        current.insert(0, cur.below)
        new.insert(0, True)
    if cur.above:
        labels.append(f"> {fmt.number(g.ref_max, digits=4)}")
        left.append(g.ref_max)
        right.append(cur.maximum)
        reference.append(0)
        current.append(cur.above)
        new.append(True)
    frame = _bins_frame(labels, reference, current, new, left=left, right=right)
    return st, Distribution(f, "numeric", frame, g.binning)


def _categorical(
    f: str, ref: pd.Series, cur: pd.Series, *, ignore_nulls: bool
) -> tuple[FeatureStatistics, Distribution]:
    ref_nulls = int(ref[ref.index.isna()].sum())
    cur_nulls = int(cur[cur.index.isna()].sum())
    ref, cur = ref[ref.index.notna()], cur[cur.index.notna()]
    st = categorical_statistics(
        f,
        reference_counts=ref.to_dict(),
        current_counts=cur.to_dict(),
        reference_nulls=0 if ignore_nulls else ref_nulls,
        current_nulls=0 if ignore_nulls else cur_nulls,
    )
    both = pd.concat([ref.rename("reference"), cur.rename("current")], axis=1).fillna(0)
    both["new"] = both["reference"] == 0
    both = both.sort_values(["reference", "current"], ascending=False)
    if len(both) > 30:  # charts show the 29 largest categories and fold the rest
        head, tail = both.iloc[:29], both.iloc[29:]
        other = pd.DataFrame(
            {"reference": [tail.reference.sum()], "current": [tail.current.sum()], "new": [False]},
            index=["(other)"],
        )
        both = pd.concat([head, other])
    frame = _bins_frame(
        list(both.index),
        both["reference"],
        both["current"],
        list(both["new"]),
        left=None,
        right=None,
    )
    return st, Distribution(f, "categorical", frame)


def _bins_frame(
    labels: list[Any],
    reference: Any,
    current: Any,
    new: list[bool],
    *,
    left: list[float] | None,
    right: list[float] | None,
) -> pd.DataFrame:
    """A distribution's bins for charts, built at once (adding pandas columns one at a time
    re-concatenates the column index each time: milliseconds per feature)."""
    nan = np.full(len(labels), np.nan)
    columns: dict[str, Any] = {
        "bin": labels,
        "left": nan if left is None else np.asarray(left, dtype=float),
        "right": nan if right is None else np.asarray(right, dtype=float),
        "reference": np.asarray(reference),
        "current": np.asarray(current),
        "new": new,
    }
    for side in ("reference", "current"):
        counts = np.asarray(columns[side], dtype=float)
        total = counts.sum()
        columns[f"{side}_share"] = counts / total if total else nan
    return pd.DataFrame(columns)
