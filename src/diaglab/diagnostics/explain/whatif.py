"""``dl.what_if`` and ``dl.counterfactual``: what the registered model says for changed inputs.

A what-if edits some feature values of a logged prediction and asks the model version that made it
for the new prediction and its explanation. A counterfactual searches for a small set of changes,
each to a value seen in the reference (a decile of a numeric feature, a category), that flips the
decision or reaches a target score: a beam search that, at every step, tries every remaining mutable
feature at each of its candidate values in one batched model call.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.explain import explainers as ex_
from diaglab.diagnostics.explain.query import (
    Explanation,
    _is_missing,
    _reference_of,
    build,
    explain,
    fetch_row,
)
from diaglab.errors import InputError, SchemaError, unknown
from diaglab.queries.result import Result
from diaglab.store.schema import columns_for, feature_column

if TYPE_CHECKING:
    from diaglab.diagnostics.explain.spec import CounterfactualSpec

if TYPE_CHECKING:
    from diaglab.diagnostics.explain.spec import WhatIfSpec

DECILES = tuple(q / 10 for q in range(1, 10))
MAX_CATEGORIES = 30
BEAM = 4


@dataclass(frozen=True, repr=False)
class WhatIf(Result):
    """A prediction before and after changing some inputs."""

    changes: Mapping[str, Any]
    before: Explanation = field(repr=False)
    after: Explanation = field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """The explanation after the changes (``after.table``)."""
        return self.after.table

    @property
    def probability_before(self) -> float | None:
        return self.before.probability

    @property
    def probability(self) -> float | None:
        return self.after.probability

    @property
    def decision(self) -> Any:
        return self.after.decision

    @property
    def flipped(self) -> bool:
        return bool(self.before.decision != self.after.decision)

    def __repr__(self) -> str:
        return (
            f"WhatIf(changes={dict(self.changes)!r}, probability {self.before.probability} -> "
            f"{self.after.probability}, decision {self.before.decision} -> {self.after.decision})"
        )


def check_changes(ex: ex_.Explained, schema: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Changes checked against the model's features and their types; returns clean values."""
    if not isinstance(changes, Mapping):
        raise InputError(f"changes is a mapping of feature to value, not {type(changes).__name__}")
    clean: dict[str, Any] = {}
    categorical = set(ex.categorical) | set(schema.categorical)
    trained = _trained_categories(ex)
    for f, v in changes.items():
        if f not in ex.features:
            raise unknown("feature", f, ex.features)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            clean[f] = None
            continue
        if f in categorical:
            if not isinstance(v, str):
                raise SchemaError(
                    f"feature {f!r} is categorical: give a text value, not {v!r} "
                    f"({type(v).__name__})"
                )
            known = trained.get(f)
            if known is not None and v not in known:
                raise SchemaError(
                    f"{v!r} is not a category model {ex.model!r} {ex.version} was trained on for "
                    f"{f!r}; known: {', '.join(map(str, known))}"
                )
            clean[f] = v
        else:
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise SchemaError(
                    f"feature {f!r} is numeric: give a number, not {v!r} ({type(v).__name__})"
                )
            if not math.isfinite(float(v)):
                raise InputError(f"feature {f!r}: {v!r} is not a finite number")
            clean[f] = float(v)
    return clean


def _trained_categories(ex: ex_.Explained) -> dict[str, list[Any]]:
    if ex.loaded.library != "lightgbm":
        return {}
    cats = getattr(ex.loaded.booster, "pandas_categorical", None) or []
    return {f: list(c) for f, c in zip(ex.categorical, cats, strict=False)}


def what_if(store: Any, spec: WhatIfSpec, *, trust: bool = False) -> WhatIf:
    """The prediction and explanation of a logged request with some inputs changed.

    Examples
    --------
    >>> r = dl.what_if(store, "credit", pid, changes={"income": 52000})  # doctest: +SKIP
    >>> r.probability_before, r.probability                             # doctest: +SKIP
    """
    model, prediction_id, changes = spec.model, spec.prediction_id, spec.changes
    from diaglab.diagnostics.explain.spec import ExplainSpec

    threshold = spec.scope.threshold
    before = explain(
        store, ExplainSpec.build(model, prediction_id, threshold=threshold), trust=trust
    )
    ex = ex_.explained(store, model, before.model_version, trust=trust)
    clean = check_changes(ex, store.schema(model), changes)
    row = fetch_row(store, model, prediction_id)
    categorical = set(ex.categorical) | set(store.schema(model).categorical)
    for f, v in clean.items():
        c = columns_for([f], row.columns)[0]  # "feature:score" in a row read from the store
        # model_input tells categorical from numeric columns by dtype: keep numbers numeric
        if f in categorical:
            row[c] = row[c].astype(object)
            row.loc[row.index[0], c] = v
        else:
            row[c] = np.nan if v is None else float(v)
    vals, bases = ex.shap(row)
    after = build(
        store,
        model,
        ex,
        row,
        vals[0],
        float(bases[0]),
        prediction_id=None,
        drift_report=False,
        cached=False,
        context_from=(before.table.drop(columns=["shap", "drifted_in_window"]), list(clean)),
        threshold=threshold,
    )
    return WhatIf(clean, before, after)


@dataclass(frozen=True, repr=False)
class Counterfactual(Result):
    """A small set of changes that flips the decision (or reaches a target score).

    ``found`` is False when no combination of at most ``max_changes`` changes did; ``changes``
    then holds the best found. ``steps`` has one row per change, in the order found, with the score
    after it.
    """

    prediction_id: str
    changes: Mapping[str, Any]
    found: bool
    score_before: float
    score: float
    goal: str
    steps: pd.DataFrame = field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """The steps (:attr:`steps`), one row per change."""
        return self.steps


def _candidates(
    store: Any, model: str, version: str, features: Iterable[str], categorical: set[str]
) -> dict[str, list[Any]]:
    """Reference deciles of numeric features and the commonest categories; one query, memoised."""
    ref, ref_version = _reference_of(store, model, version)
    if ref is None:
        raise InputError(
            f"model {model!r} has no registered reference, so plausible values are unknown: "
            "call store.set_reference(...)"
        )
    feats = [f for f in features if feature_column(f) in ref.columns]

    def compute() -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        aggs = {
            f"q{i}_{j}": ref[feature_column(f)].quantile(q)
            for i, f in enumerate(feats)
            if f not in categorical
            for j, q in enumerate(DECILES)
        }
        got = ref.aggregate(**aggs).to_pandas().iloc[0] if aggs else {}
        for i, f in enumerate(feats):
            if f in categorical:
                counts = ref[feature_column(f)].name(f).value_counts().to_pandas()
                counts = counts.dropna().sort_values(counts.columns[1], ascending=False)
                out[f] = counts[f].head(MAX_CATEGORIES).tolist()
            else:
                vals = [float(got[f"q{i}_{j}"]) for j in range(len(DECILES))]
                out[f] = sorted({v for v in vals if math.isfinite(v)})
        return out

    return dict(
        store.memo(
            ("counterfactual-candidates", model, ref_version, tuple(feats)),
            compute,
            reference_only=True,
        )
    )


def counterfactual(store: Any, spec: CounterfactualSpec, *, trust: bool = False) -> Counterfactual:
    """A small, plausible set of changes that flips the decision or reaches ``target``.

    Parameters
    ----------
    target : float, optional
        A score to reach (a probability of the positive class, or a regression value). None
        flips a binary decision at ``threshold=`` (default: the version's registered one,
        ``store.set_threshold``).
    max_changes : int
        At most this many features change.
    immutable : iterable of str
        Features that must not change (e.g. age).

    The changed values are reference deciles (numeric) or reference categories, so every
    proposed input is one the model has seen plenty of.
    """
    model, prediction_id, target = spec.model, spec.prediction_id, spec.target
    max_changes, immutable = spec.max_changes, spec.immutable
    if not isinstance(max_changes, int) or max_changes < 1:
        raise InputError(f"max_changes is a positive integer, not {max_changes!r}")
    schema = store.schema(model)
    row = fetch_row(store, model, prediction_id)
    version = str(row["model_version"].iloc[0])
    ex = ex_.explained(store, model, version, trust=trust)
    frozen = set(immutable)
    for f in frozen:
        if f not in ex.features:
            raise unknown("feature", f, ex.features)
    if ex.task == "multiclass":
        raise InputError("counterfactuals are for binary and regression models")
    if ex.task == "regression" and target is None:
        raise InputError("a regression model needs target= (the value to reach)")
    categorical = set(ex.categorical) | set(schema.categorical)

    def score(frame: pd.DataFrame) -> np.ndarray:
        proba = ex.proba(frame)
        return np.asarray(ex.loaded.predict(frame), float) if proba is None else proba[:, 1]

    start = float(score(row)[0])
    if target is None:
        cut = schema.threshold_of(version) if spec.scope.threshold is None else spec.scope.threshold
        up = start < cut
        goal = f"score {'>=' if up else '<'} {cut}"

        def reached(s: float) -> bool:
            return s >= cut if up else s < cut
    else:
        up = target > start
        goal = f"score {'>=' if up else '<='} {target}"

        def reached(s: float) -> bool:
            return s >= target if up else s <= target

    sign = 1.0 if up else -1.0
    cands = _candidates(store, model, version, ex.features, categorical)
    mutable = [f for f in ex.features if f not in frozen and cands.get(f)]
    # the model's features under their own names ("score", not the stored "feature:score")
    base = row[columns_for(ex.features, row.columns)].set_axis(ex.features, axis=1).iloc[[0]]
    base = base.copy()
    for f in categorical & set(base.columns):
        base[f] = base[f].astype(object)
    beam: list[tuple[float, dict[str, Any]]] = [(start, {})]
    best: tuple[float, dict[str, Any]] = (start, {})
    for _ in range(max_changes):
        trials: list[dict[str, Any]] = []
        for _, changes in beam:
            for f in mutable:
                if f in changes:
                    continue
                for v in cands[f]:
                    if not _is_missing(base[f].iloc[0]) and base[f].iloc[0] == v:
                        continue
                    trials.append({**changes, f: v})
        if not trials:
            break
        frame = pd.concat([base] * len(trials), ignore_index=True)
        for i, ch in enumerate(trials):
            for f, v in ch.items():
                frame.at[i, f] = v
        for f in ex.features:
            if f not in categorical:
                frame[f] = pd.to_numeric(frame[f])
        scores = score(frame)
        hits = [i for i, s in enumerate(scores) if reached(float(s))]
        if hits:
            # Among changes that reach the goal, the one that moves the inputs least.
            i = min(hits, key=lambda i: (_size(trials[i], base, cands), -sign * scores[i]))
            best = (float(scores[i]), trials[i])
            break
        order = np.argsort(-sign * scores)[:BEAM]
        beam = [(float(scores[i]), trials[i]) for i in order]
        if sign * (beam[0][0] - best[0]) > 0:
            best = beam[0]
    changes = best[1]
    steps = _steps(base, changes, score)
    return Counterfactual(
        prediction_id,
        changes,
        reached(best[0]),
        start,
        best[0],
        goal,
        steps,
    )


def _size(changes: Mapping[str, Any], base: pd.DataFrame, cands: Mapping[str, list[Any]]) -> float:
    """How far the changes move the inputs: count, plus the numeric distance in decile steps."""
    total = float(len(changes))
    for f, v in changes.items():
        old = base[f].iloc[0]
        if isinstance(v, float) and not _is_missing(old):
            grid = cands[f]
            span = (grid[-1] - grid[0]) / max(len(grid) - 1, 1) or 1.0
            total += abs(v - float(old)) / span / 10
    return total


def _steps(base: pd.DataFrame, changes: Mapping[str, Any], score: Any) -> pd.DataFrame:
    frame = base.copy()
    rows = []
    for f, v in changes.items():
        old = frame[f].iloc[0]
        if isinstance(v, float):
            frame[f] = v
        else:
            frame[f] = frame[f].astype(object)
            frame.loc[frame.index[0], f] = v
        rows.append({"feature": f, "from": old, "to": v, "score": float(score(frame)[0])})
    return pd.DataFrame(rows, columns=["feature", "from", "to", "score"])
