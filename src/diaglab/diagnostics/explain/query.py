"""``dl.explain``: why the model said this for this request — SHAP values in context.

An :class:`Explanation` carries the SHAP value of every feature (see :mod:`._explainers`), the
model output they add up to, and a table with each value against the reference of the prediction's
model version (percentile, out of range, unseen category, missing) and whether the feature drifted
on the prediction's day. Explanations are cached in the store directory, so a card opens instantly
the second time and :func:`explanation_drift` can compare contributions over time and versions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.drift.query import DriftReport
from diaglab.diagnostics.explain import explainers as ex_
from diaglab.diagnostics.explain.prediction_row import fetch_row
from diaglab.diagnostics.slices import found as found_slices
from diaglab.errors import InputError
from diaglab.queries.filters import where as apply_where
from diaglab.queries.result import Result
from diaglab.queries.timegrid import Freq
from diaglab.queries.window import Window

if TYPE_CHECKING:
    from diaglab.diagnostics.explain.spec import (
        ExplainSpec,
        ExplainWindowSpec,
        ExplanationDriftSpec,
    )
from diaglab.store.compiled import fetch_over
from diaglab.store.schema import columns_for, feature_column

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="diaglab-explain")
ROLE_COLUMNS = ("prediction_id", "timestamp", "model_version", "score", "prediction", "label")


@dataclass(frozen=True, repr=False)
class Explanation(Result):
    """One prediction explained.

    Attributes
    ----------
    values : mapping of feature to SHAP value (in ``output_space``)
    base_value : float
        The explainer's expected output; ``base_value + sum(values) == prediction``.
    prediction : float
        The model output in ``output_space`` ("log_odds" for LightGBM/XGBoost classifiers,
        "probability" for other classifiers, "value" for regression).
    probability : float or None
        The probability of the explained class (classifiers).
    decision : the predicted class (``probability >= threshold`` for a binary model)
    threshold : float or None
        The threshold ``decision`` uses (a binary model's): the call's ``threshold=``, else the
        one registered for the version.
    table : pandas.DataFrame
        One row per feature, largest |SHAP| first: ``feature, kind, value, shap, percentile,
        reference_min, reference_max, out_of_range, unseen_category, missing, drifted_in_window``.
    label : the ground truth if it arrived, else None
    cached : bool
        True when the SHAP values were read from the store's cache.
    slices : pandas.DataFrame
        The slices found by ``dl.find_slices`` in this session that contain the prediction:
        ``predicate, metric, value, overall, support, p_adjusted, compared`` (empty when none).
    """

    model: str
    model_version: str
    prediction_id: str | None
    explainer: str
    output_space: str
    base_value: float
    prediction: float
    probability: float | None
    decision: Any
    threshold: float | None
    label: Any
    timestamp: pd.Timestamp | None
    values: Mapping[str, float] = field(repr=False)
    features: Mapping[str, Any] = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    cached: bool = False
    reference: str = ""
    slices: pd.DataFrame = field(default_factory=found_slices.containing_none, repr=False)

    @property
    def top(self) -> list[str]:
        """Features by |SHAP|, largest first."""
        return list(self.table["feature"])

    def _repr_html_(self) -> str:
        head = (
            f"<b>{self.model} {self.model_version}</b> prediction {self.prediction_id}: "
            f"{self.output_space} {self.prediction:.4g}"
            + (f", probability {self.probability:.3f}" if self.probability is not None else "")
            + f", decision {self.decision}, label {self.label}"
        )
        return head + self.table.to_html(index=False)


def reference_version(store: Any, model: str, version: str) -> str:
    """The version whose reference describes ``version``: itself, else the latest version that
    has one; "" when no reference is registered. Memoised: builds no table when cached."""

    def versions() -> list[str]:
        ref = store.reference(model)
        return sorted(ref.select("model_version").distinct().to_pandas()["model_version"])

    known = store.memo(("explain-ref-versions", model), versions, reference_only=True)
    if version in known:
        return version
    return known[-1] if known else ""


def _reference_of(store: Any, model: str, version: str) -> tuple[Any, str]:
    """The reference table of ``version`` (see :func:`reference_version`), or (None, "")."""
    v = reference_version(store, model, version)
    return (store.reference(model, v), v) if v else (None, "")


def probe(table: Any, values: Mapping[str, tuple[Any, Any]]) -> Any:
    """One row of literals, ``name: (value, dtype)`` (a missing value is NULL), selected from
    ``table`` so that it is the only part of a :func:`~diaglab.store.compiled.fetch_over` query
    compiled per call: a query about one row's values (a card's, a what-if's) compiles ~2 ms
    instead of the whole query. Empty when ``table`` is."""
    cols = {
        name: ibis.null(dtype) if _is_missing(v) else ibis.literal(v, type=dtype)
        for name, (v, dtype) in values.items()
    }
    return table.select(**cols).limit(1)


def probe_value(v: Any, categorical: bool) -> tuple[Any, str]:
    if _is_missing(v):
        return None, "string" if categorical else "float64"
    return (str(v), "string") if categorical else (float(v), "float64")


def context_table(
    store: Any,
    model: str,
    version: str,
    row: Mapping[str, Any],
    features: list[str],
    categorical: set[str],
) -> tuple[pd.DataFrame, str]:
    """Each feature's value (``row``: feature -> value) against the reference: one aggregate
    query for all features, compiled once per model version and feature list (the values are
    its probe row)."""
    ref, ref_version = _reference_of(store, model, version)
    got: dict[str, Any] = {}
    if ref is not None:
        present = [
            (i, f, f in categorical)
            for i, f in enumerate(features)
            if feature_column(f) in ref.columns
        ]
        values = {f"_diaglab_p{i}": probe_value(row.get(f), cat) for i, f, cat in present}

        def build(p: Any) -> Any:
            both = ref.cross_join(p)
            aggs: dict[str, Any] = {}
            for i, f, cat in present:
                col, v = both[feature_column(f)], both[f"_diaglab_p{i}"]
                aggs[f"n{i}"] = col.notnull().sum()
                if cat:
                    aggs[f"eq{i}"] = (as_text(col) == v).sum()
                else:
                    aggs[f"min{i}"] = col.min()
                    aggs[f"max{i}"] = col.max()
                    aggs[f"lt{i}"] = (col < v).sum()
            return both.aggregate(**aggs)

        if present:
            key = ("card-context", model, ref_version, tuple(present), schema_key(ref))
            got = fetch_over(probe(ref, values), key, build).to_pylist()[0]
    recs = []
    for i, f in enumerate(features):
        v = row.get(f)
        missing = _is_missing(v)
        n = _num(got.get(f"n{i}"))
        rec: dict[str, Any] = {
            "feature": f,
            "kind": "categorical" if f in categorical else "numeric",
            "value": None if missing else v,
            "percentile": np.nan,
            "reference_min": np.nan,
            "reference_max": np.nan,
            "reference_share": np.nan,
            "out_of_range": False,
            "unseen_category": False,
            "missing": missing,
        }
        if f in categorical:
            eq = _num(got.get(f"eq{i}"))
            if not missing and n:
                rec["reference_share"] = eq / n
                rec["unseen_category"] = eq == 0
        else:
            lo, hi = _num(got.get(f"min{i}")), _num(got.get(f"max{i}"))
            rec["reference_min"], rec["reference_max"] = lo, hi
            if not missing and n:
                rec["percentile"] = _num(got.get(f"lt{i}")) / n
                rec["out_of_range"] = bool(float(v) < lo or float(v) > hi)  # type: ignore[arg-type]
        recs.append(rec)
    label = f"registered reference of {ref_version}" if ref_version else "no reference registered"
    return pd.DataFrame(recs), label


def _num(v: Any) -> float:
    if v is None:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def as_text(col: Any) -> Any:
    return col if col.type().is_string() else col.cast("string")


def schema_key(table: Any) -> tuple[tuple[str, str], ...]:
    """A table's columns and types, for a template key (the template reads the table)."""
    return tuple((name, str(dtype)) for name, dtype in table.schema().items())


def _day_drift(store: Any, model: str, ts: pd.Timestamp | None, version: str) -> set[str] | None:
    if ts is None or pd.isna(ts):
        return None
    day = pd.Timestamp(ts).tz_convert("UTC").normalize()

    def compute() -> list[str]:
        from diaglab.diagnostics.drift.spec import DriftSpec

        window = Window(day, day + pd.Timedelta("1D"))
        rep = DriftSpec.build(model, window=window, version=version).run(store)
        return list(rep.drifted)

    return set(store.memo(("explain-day-drift", model, str(day), version), compute))


def build(
    store: Any,
    model: str,
    ex: ex_.Explained,
    row: pd.DataFrame,
    values: np.ndarray,
    base: float,
    *,
    prediction_id: str | None,
    drift_report: DriftReport | bool | None,
    cached: bool,
    known: tuple[float, float | None] | None = None,
    context_from: tuple[pd.DataFrame, list[str]] | None = None,
    threshold: float | None = None,
) -> Explanation:
    """An Explanation of one row from its SHAP values (shared by explain and what_if).

    ``known`` is the (output, probability) pair when already known (from the cache);
    ``context_from`` the context table of the unchanged row and the changed features (what-if);
    ``threshold`` decides a binary model's class (None: the version's registered one).
    """
    schema = store.schema(model)
    cut = schema.threshold_of(ex.version) if threshold is None else threshold
    rec = {str(k): v for k, v in row.iloc[0].to_dict().items()}
    feats = ex.features
    values_of = {f: rec.get(c) for f, c in zip(feats, columns_for(feats, rec), strict=True)}
    if known is not None and ex.task == "binary":
        output, probability = known
        cls = 1
    else:
        output = float(ex.output(row)[0])
        proba = ex.proba(row)
        cls = int(ex.classes_of(row, proba)[0])
        probability = None if proba is None else float(proba[0, cls])
    if ex.task == "binary":
        decision: Any = int(probability is not None and probability >= cut)
        classes = ex.loaded.info.classes
        if len(classes) == 2:
            decision = classes[decision]
    elif ex.task == "multiclass":
        decision = ex.loaded.info.classes[cls] if ex.loaded.info.classes else cls
    else:
        decision = output
    cats = set(ex.categorical) | set(schema.categorical)
    day_drift = None
    if drift_report is None or drift_report is True:
        # the day's drift is the card's costliest query: it runs beside the context query
        day_drift = _POOL.submit(_day_drift, store, model, rec.get("timestamp"), ex.version)
    if context_from is not None:
        # a what-if: only the changed features need the reference again
        before, changed = context_from
        fresh, ref_label = context_table(store, model, ex.version, values_of, changed, cats)
        keep = before[~before["feature"].isin(changed)]
        table = pd.concat([keep[list(fresh.columns)], fresh], ignore_index=True)
        table = table.set_index("feature").loc[feats].reset_index()
    else:
        key = ("explain-context", model, ex.version, tuple((f, repr(values_of[f])) for f in feats))
        table, ref_label = store.memo(
            key,
            lambda: context_table(store, model, ex.version, values_of, feats, cats),
            reference_only=True,
        )
        table = table.copy()
    table.insert(3, "shap", values)
    drifted: set[str] | None = None
    if isinstance(drift_report, DriftReport):
        drifted = set(drift_report.drifted)
    elif day_drift is not None:
        drifted = day_drift.result()
    table["drifted_in_window"] = (
        [f in drifted for f in feats] if drifted is not None else [None] * len(feats)
    )
    table = table.reindex(table["shap"].abs().sort_values(ascending=False).index)
    table = table.reset_index(drop=True)
    label = rec.get("label")
    ts = rec.get("timestamp")
    return Explanation(
        model=model,
        model_version=ex.version,
        prediction_id=prediction_id,
        explainer=ex.kind,
        output_space=ex.output_space,
        base_value=float(base),
        prediction=output,
        probability=probability,
        decision=decision,
        threshold=cut if ex.task == "binary" else None,
        label=None if _is_missing(label) else label,
        timestamp=None if _is_missing(ts) else pd.Timestamp(ts),  # type: ignore[arg-type]
        values=dict(zip(feats, (float(v) for v in values), strict=True)),
        features={f: (None if _is_missing(v) else v) for f, v in values_of.items()},
        table=table,
        cached=cached,
        reference=ref_label,
        slices=(
            found_slices.containing(store, model, prediction_id)
            if prediction_id is not None and context_from is None
            else found_slices.containing_none()
        ),
    )


def _cache_row(
    pid: str, ex: ex_.Explained, values: np.ndarray, base: float, e: Explanation
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prediction_id": pid,
        "base_value": float(base),
        "output": e.prediction,
        "probability": e.probability,
    }
    out.update({f"shap:{f}": float(v) for f, v in zip(ex.features, values, strict=True)})
    return out


def _from_cache(ex: ex_.Explained, rec: Mapping[str, Any]) -> tuple[np.ndarray, float]:
    return np.array([rec[f"shap:{f}"] for f in ex.features], dtype=float), float(rec["base_value"])


def explain(
    store: Any,
    spec: ExplainSpec,
    *,
    drift_report: DriftReport | None = None,
    trust: bool = False,
    cache: bool = True,
) -> Explanation:
    """Explain one logged prediction with the model version that made it.

    Parameters
    ----------
    store : diaglab.Store
    model : str
    prediction_id : str
    drift : DriftReport, bool or None
        Where ``drifted_in_window`` comes from: None (default) runs ``dl.drift`` on the
        prediction's UTC day against the reference; a DriftReport is used as given (at run
        time, ``drift_report``: it is not stored with the spec); False skips the flag (None in
        the table).
    trust : bool
        Needed for models stored as pickles (loading them runs code).
    cache : bool
        Read and write the store's explanation cache.
    threshold : float, optional
        Decide a binary model's class at this threshold (default: the version's registered one).

    Examples
    --------
    >>> ex = dl.explain(store, "credit", pid)          # doctest: +SKIP
    >>> ex.base_value + sum(ex.values.values())        # doctest: +SKIP
    """
    model, prediction_id = spec.model, spec.prediction_id
    drift = spec.drift if drift_report is None else drift_report
    row = fetch_row(store, model, prediction_id)
    version = str(row["model_version"].iloc[0])
    ex = ex_.explained(store, model, version, trust=trust)
    hit = ex_.cached(store, model, ex.cache_key, [prediction_id]) if cache else {}
    known = None
    if prediction_id in hit:
        rec = hit[prediction_id]
        values, base = _from_cache(ex, rec)
        if not _is_missing(rec.get("output")):
            prob = rec.get("probability")
            known = (
                float(rec["output"]),
                None if prob is None or _is_missing(prob) else float(prob),
            )
    else:
        vals, bases = ex.shap(row)
        values, base = vals[0], float(bases[0])
    result = build(
        store,
        model,
        ex,
        row,
        values,
        base,
        prediction_id=prediction_id,
        drift_report=drift,
        cached=prediction_id in hit,
        known=known,
        threshold=spec.scope.threshold,
    )
    if cache and prediction_id not in hit:
        fresh = pd.DataFrame([_cache_row(prediction_id, ex, values, base, result)])
        ex_.write_cache(store, model, ex.cache_key, fresh)
    return result


@dataclass(frozen=True, kw_only=True, repr=False)
class WindowExplanation(Result):
    """SHAP values of a window's predictions (``dl.explain_window``).

    ``table``: ``prediction_id, timestamp, model_version, score, label, base_value`` and one
    ``shap:<feature>`` column per feature of the row's model version; ``sample`` the most rows
    explained (None: all), ``versions`` the model versions explained.
    """

    table: pd.DataFrame
    model: str
    sample: int | None
    versions: tuple[str, ...] = ()


def explain_window(
    store: Any, spec: ExplainWindowSpec, *, trust: bool = False
) -> WindowExplanation:
    """SHAP values of (a deterministic sample of) the predictions in a window, cached.

    The sample is the ``sample`` rows with the smallest hash of their id, chosen in the engine, so
    the same window gives the same rows (and cache hits) every time.

    Returns
    -------
    WindowExplanation
    """
    model, scope, sample = spec.model, spec.scope, spec.sample
    if sample is not None and (not isinstance(sample, int) or sample <= 0):
        raise InputError(f"sample is a positive number of rows or None, not {sample!r}")
    t = store.table(model)
    t = apply_where(Window.of(scope.window).filter(t), scope.where)
    if scope.version is not None:
        t = t.filter(t.model_version == scope.version)
    if sample is not None:
        t = t.order_by(t.prediction_id.hash()).limit(sample)
    # the roles and the features only: the resource and trace columns would double the transfer
    stored = [c for c in store.schema(model).columns.values() if c in t.columns]
    rows = t.select(*[c for c in ROLE_COLUMNS if c in t.columns], *stored).to_pandas()
    parts = []
    for v, group in rows.groupby("model_version", sort=True):
        ex = ex_.explained(store, model, str(v), trust=trust)
        ids = group["prediction_id"].tolist()
        hit = ex_.cached(store, model, ex.cache_key, ids)
        todo = group[~group["prediction_id"].isin(hit)]
        fresh = pd.DataFrame()
        if len(todo):
            vals, bases = ex.shap(todo)
            fresh = pd.DataFrame(vals, columns=[f"shap:{f}" for f in ex.features])
            fresh.insert(0, "base_value", bases)
            fresh.insert(0, "prediction_id", todo["prediction_id"].to_numpy())
            ex_.write_cache(store, model, ex.cache_key, fresh)
        old = pd.DataFrame(list(hit.values()))
        got = pd.concat([d for d in (old, fresh) if len(d)], ignore_index=True)
        got = got[["prediction_id", "base_value", *[f"shap:{f}" for f in ex.features]]]
        keep = [c for c in ROLE_COLUMNS if c in group.columns]
        parts.append(group[keep].merge(got, on="prediction_id", how="left"))
    versions = tuple(str(v) for v in sorted(rows["model_version"].unique()))
    if not parts:
        empty = pd.DataFrame(columns=[*ROLE_COLUMNS, "base_value"])
        return WindowExplanation(table=empty, model=model, sample=sample, versions=versions)
    table = pd.concat(parts, ignore_index=True).sort_values("timestamp", ignore_index=True)
    return WindowExplanation(table=table, model=model, sample=sample, versions=versions)


@dataclass(frozen=True, repr=False)
class ExplanationDrift(Result):
    """Mean |SHAP| per feature, per time window and model version, with rank changes.

    ``table`` columns: ``window_start, model_version, feature, mean_abs_shap, rank, n,
    previous_rank, rank_change`` (positive: the feature moved up, i.e. matters more).
    """

    model: str
    freq: str
    sample: int | None
    table: pd.DataFrame = field(repr=False)

    def pivot(self) -> pd.DataFrame:
        """Windows x features of mean |SHAP| (versions summed by row weight)."""
        return self.table.pivot_table(
            index="window_start", columns="feature", values="mean_abs_shap", aggfunc="mean"
        )


def explanation_drift(
    store: Any, spec: ExplanationDriftSpec, *, trust: bool = False
) -> ExplanationDrift:
    """Which features' contributions changed over time and across versions.

    Explains a deterministic sample of the window (cached, see :func:`explain_window`) and
    averages |SHAP| per ``freq`` window and model version. ``freq`` follows the grammar of
    :mod:`diaglab.queries.timegrid` ('1D', '7D', 'W' or '1W' for calendar weeks from
    ``week_start``, 'M' for months, ... in ``tz``); ``window_start`` is each window's start
    clipped to ``window``.
    """
    from diaglab.diagnostics.explain.spec import ExplainWindowSpec

    model, window, freq, sample = spec.model, spec.scope.window, spec.freq, spec.sample
    period = Freq.parse(freq, tz=spec.tz, week_start=spec.week_start)
    sampled = ExplainWindowSpec(scope=spec.scope, sample=sample)
    rows = explain_window(store, sampled, trust=trust).table
    shap_cols = [c for c in rows.columns if c.startswith("shap:")]
    if rows.empty:
        return ExplanationDrift(model, freq, sample, pd.DataFrame())
    stamps = rows["timestamp"]
    grid = period.grid(Window.of(window), span=lambda: (stamps.min(), stamps.max()))
    # each row's window as an integer before the melt repeats it (a repeated timestamp column
    # goes through Python objects)
    long = (
        rows[["model_version", *shap_cols]]
        .assign(window=grid.index_of(stamps))
        .melt(id_vars=["window", "model_version"], value_vars=shap_cols, var_name="feature")
        .dropna(subset=["value"])
    )
    long["feature"] = long["feature"].str.removeprefix("shap:")
    long["abs"] = long["value"].abs()
    table = (
        long.groupby(["window", "model_version", "feature"])
        .agg(mean_abs_shap=("abs", "mean"), n=("abs", "size"))
        .reset_index()
    )
    starts = grid.bounds(table.pop("window").to_numpy())["window_start"].to_numpy()
    table.insert(0, "window_start", starts)
    table["rank"] = (
        table.groupby(["window_start", "model_version"])["mean_abs_shap"]
        .rank(ascending=False, method="first")
        .astype(int)
    )
    table = table.sort_values(["model_version", "feature", "window_start"])
    table["previous_rank"] = table.groupby(["model_version", "feature"])["rank"].shift(1)
    table["rank_change"] = table["previous_rank"] - table["rank"]
    table = table.sort_values(["window_start", "model_version", "rank"], ignore_index=True)
    return ExplanationDrift(model, freq, sample, table)
