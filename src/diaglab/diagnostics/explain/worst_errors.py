"""``dl.worst_errors``: the most confident wrong predictions of a window and slice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from diaglab.errors import InputError
from diaglab.queries.result import Result
from diaglab.queries.scope import scoped_table, threshold_text

if TYPE_CHECKING:
    from diaglab.diagnostics.explain.spec import WorstErrorsSpec


@dataclass(frozen=True, kw_only=True, repr=False)
class WorstErrors(Result):
    """The most confident wrong predictions (``dl.worst_errors``).

    ``table``: ``prediction_id, timestamp, model_version, score, prediction, label,
    error_size``, largest error first; ``error_of`` says what the error is measured on
    (``"score"``, or ``"prediction"`` for regression); ``threshold`` which threshold decided
    the ``prediction`` of a binary model ("threshold 0.3", "" otherwise).
    """

    table: pd.DataFrame
    model: str
    error_of: str
    threshold: str = ""


def worst_errors(store: Any, spec: WorstErrorsSpec) -> WorstErrors:
    """The ``k`` wrong predictions with the largest |label - score| (or |label - prediction|
    for regression) in a window and slice, found in the engine (``order_by().limit()``).

    A binary model's prediction is wrong when its class, decided at ``threshold=`` (default: the
    version's registered threshold), differs from the label; a regression's when it misses it.
    """
    model, k, scope = spec.model, spec.k, spec.scope
    if not isinstance(k, int) or k <= 0:
        raise InputError(f"k is a positive number of rows, not {k!r}")
    schema = store.schema(model)
    if schema.task == "multiclass":
        raise InputError("worst errors need a score: binary and regression models only")
    t, _ = scoped_table(store, model, scope.window, scope.where, scope.version, scope.threshold)
    keep = ["prediction_id", "timestamp", "model_version", "score", "prediction", "label"]
    # the columns kept first: each step below on the store's ~40 columns costs Ibis ~1 ms
    t = t.select(*keep)
    error_of = "prediction" if schema.task == "regression" else "score"
    out = t[error_of]
    t = t.filter(t.label.notnull() & out.notnull() & (t.prediction != t.label))
    t = t.mutate(error_size=(t.label - out).abs())
    ordered = t.order_by([ibis.desc("error_size"), "prediction_id"]).limit(k)
    table = ordered.to_pyarrow().to_pandas()  # 20 rows: Ibis' own conversion costs ~1 ms more
    return WorstErrors(
        table=table,
        model=model,
        error_of=error_of,
        threshold=threshold_text(schema, scope.threshold, scope.version),
    )
