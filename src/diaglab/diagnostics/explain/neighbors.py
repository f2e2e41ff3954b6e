"""``dl.neighbors``: the most similar reference (or production) rows to one prediction.

Distance, computed in the engine for every candidate row and cut with ``order_by().limit(k)``::

    d = sqrt( sum_numeric ((x - v) / sd)^2  +  sum_categorical [x != v] )

Numeric features are standardised with the reference's mean and (sample) standard deviation, so
one standard deviation costs as much as one differing category (the squared distance of a one-hot
encoding, halved). A missing value on either side counts as one unit of difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import ibis
import pandas as pd

from diaglab.diagnostics.explain import explainers as ex_
from diaglab.diagnostics.explain.prediction_row import fetch_row
from diaglab.diagnostics.explain.query import (
    _reference_of,
    as_text,
    probe,
    probe_value,
    reference_version,
    schema_key,
)
from diaglab.errors import InputError
from diaglab.queries.result import Result
from diaglab.store.compiled import fetch_over
from diaglab.store.schema import feature_column

if TYPE_CHECKING:
    from diaglab.diagnostics.explain.spec import NeighborsSpec

Among = Literal["reference", "production"]


def reference_scale(
    store: Any, model: str, version: str, numeric: list[str]
) -> dict[str, tuple[float, float]]:
    """(mean, sample std) of each numeric feature in the reference; one query, memoised."""
    ref_version = reference_version(store, model, version)
    if not ref_version:
        raise InputError(
            f"model {model!r} has no registered reference to standardise features with: "
            "call store.set_reference(...)"
        )

    def compute() -> dict[str, tuple[float, float]]:
        ref = store.reference(model, ref_version)
        cols = [f for f in numeric if feature_column(f) in ref.columns]
        aggs: dict[str, Any] = {}
        for i, f in enumerate(cols):
            aggs[f"m{i}"] = ref[feature_column(f)].mean()
            aggs[f"s{i}"] = ref[feature_column(f)].std()
        got = ref.aggregate(**aggs).to_pandas().iloc[0] if aggs else {}
        out = {}
        for i, f in enumerate(cols):
            m, s = float(got[f"m{i}"]), float(got[f"s{i}"])
            out[f] = (m, s if s > 0 else 1.0)
        return out

    key = ("neighbors-scale", model, ref_version, tuple(numeric))
    return dict(store.memo(key, compute, reference_only=True))


def distance_expr(
    table: Any,
    probe: Mapping[str, str],
    numeric: list[str],
    categorical: list[str],
    scale: Mapping[str, tuple[float, float]],
) -> Any:
    """The Ibis expression of each candidate row's distance to the probe row, whose value of
    feature ``f`` is ``table[probe[f]]`` (a column joined in, NULL when missing)."""
    total: Any = ibis.literal(0.0)
    for f in numeric:
        col, v = table[feature_column(f)], table[probe[f]]
        _, sd = scale[f]
        apart = (((col - v) / sd) ** 2).fill_null(1.0)
        total = total + v.isnull().ifelse(col.isnull().ifelse(0.0, 1.0), apart)
    for f in categorical:
        col, v = table[feature_column(f)], table[probe[f]]
        apart = (as_text(col) == v).ifelse(0.0, 1.0).fill_null(1.0)
        total = total + v.isnull().ifelse(col.isnull().ifelse(0.0, 1.0), apart)
    return total.sqrt()


@dataclass(frozen=True, kw_only=True, repr=False)
class Neighbors(Result):
    """The rows nearest a prediction (``dl.neighbors``).

    ``table``: ``rank`` (1 = nearest), ``distance``, then (production) ``prediction_id,
    timestamp, model_version`` or (reference) ``model_version``, the features, ``score,
    prediction, label``. Reference rows registered without scores get the model's score.
    """

    table: pd.DataFrame
    prediction_id: str
    among: str
    version: str


def neighbors(store: Any, spec: NeighborsSpec, *, trust: bool = False) -> Neighbors:
    """The ``k`` rows most similar to a prediction, with their predictions and labels.

    Parameters
    ----------
    among : "reference" or "production"
        Search the reference of the prediction's model version, or every other logged
        prediction of the model.

    Returns
    -------
    Neighbors
    """
    model, prediction_id, k, among = spec.model, spec.prediction_id, spec.k, spec.among
    if among not in ("reference", "production"):
        raise InputError(f"unknown among {among!r}; known: production, reference")
    if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
        raise InputError(f"k is a positive number of rows, not {k!r}")
    schema = store.schema(model)
    row = fetch_row(store, model, prediction_id)
    version = str(row["model_version"].iloc[0])
    rec = {str(k): v for k, v in row.iloc[0].to_dict().items()}
    numeric = list(schema.numeric)
    scale = reference_scale(store, model, version, numeric)

    def search() -> pd.DataFrame:
        if among == "reference":
            table, _ = _reference_of(store, model, version)
            role, tiebreak = ["model_version"], []
        else:
            table = store.table(model)
            role, tiebreak = ["prediction_id", "timestamp", "model_version"], ["prediction_id"]
        cols = set(table.columns)
        num = [f for f in numeric if feature_column(f) in cols and f in scale]
        cat = [f for f in schema.categorical if feature_column(f) in cols]
        names = {f: f"_diaglab_p{i}" for i, f in enumerate([*num, *cat])}
        values = {names[f]: probe_value(rec.get(feature_column(f)), f in cat) for f in names}
        values["_diaglab_pid"] = (prediction_id, "string")
        outs = [c for c in ("score", "prediction", "label") if c in cols]

        def build(p: Any) -> Any:
            both = table.cross_join(p)
            if among == "production":
                both = both.filter(both.prediction_id != both._diaglab_pid)
            dist = distance_expr(both, names, num, cat, scale)
            return (
                both.mutate(distance=dist)
                .order_by(["distance", *tiebreak])
                .limit(k)
                .select("distance", *role, *schema.columns.values(), *outs)
            )

        scales = tuple((f, scale[f]) for f in num)
        key = ("neighbors", model, among, version, k, tuple(names), scales, schema_key(table))
        found = fetch_over(probe(table, values), key, build).to_pandas()
        found.insert(0, "rank", range(1, len(found) + 1))  # nearest first
        return found

    # memoised until the next ingest: reopening a card does not search again
    df = store.memo(("neighbors", model, prediction_id, k, among), search).copy()
    if among == "reference" and len(df) and "score" in df and df["score"].isna().all():
        try:
            ex = ex_.explained(store, model, version, trust=trust)
            proba = ex.proba(df)
            if proba is not None and proba.shape[1] == 2:
                df["score"] = proba[:, 1]
        except Exception:  # scores are context here; the neighbours stand without them
            pass
    df = df.reset_index(drop=True)
    return Neighbors(table=df, prediction_id=prediction_id, among=among, version=version)
