"""The rows a query looks at: a model's predictions in a window, a version and a slice."""

from __future__ import annotations

from typing import Any

import ibis

from diaglab.errors import unknown
from diaglab.queries.filters import where as apply_where
from diaglab.queries.window import Window

ROW = "_diaglab_row"  # see with_row_key


def scoped_table(
    store: Any,
    model: str,
    window: Any,
    where: Any,
    version: str | None,
    threshold: float | None = None,
    *,
    row_key: bool = False,
) -> tuple[Any, Window]:
    """The model's predictions in ``window``, narrowed by ``where`` and ``version``, decided at
    the registered thresholds (or ``threshold``, see :func:`decided`); with ``row_key``, with a
    column :data:`ROW` that tells the rows apart (see :func:`with_row_key`)."""
    schema = store.schema(model)
    table = store.table(model)
    table = decided(with_row_key(store, table) if row_key else table, schema, threshold)
    if version is not None:
        if version not in schema.versions:
            raise unknown(f"version of model {model!r}:", version, list(schema.versions))
        table = table.filter(table.model_version == version)
    win = Window.of(window)
    return apply_where(win.filter(table), where), win


def with_row_key(store: Any, table: Any) -> Any:
    """``table`` (a model's, unfiltered) with a column :data:`ROW` that tells its rows apart, the
    last key of a deterministic order (pages that never overlap, the same k rows every time).

    A store's own DuckDB table has a number per row (``rowid``, its order of ingest, kept by
    label updates); read-only views and Spark have none, and use ``prediction_id``. At 10M rows
    ordering a slice's 3.4M rows by the id string, read for every row and not only for the
    page's, costs 25-35% more engine CPU than by ``rowid``.
    """
    if not store.read_only and ibis.get_backend(table).name == "duckdb":
        return table.mutate(**{ROW: table.rowid()})
    return table.mutate(**{ROW: table.prediction_id})


def resolved_thresholds(
    schema: Any, threshold: float | None, version: str | None = None
) -> dict[str, float]:
    """The decision threshold each version of the model is judged at: ``threshold`` for all
    when given (a diagnostic's ``threshold=``), else each version's registered one."""
    versions = [version] if version is not None else list(schema.versions) or ["*"]
    if threshold is not None:
        return dict.fromkeys(versions, float(threshold))
    return {v: schema.threshold_of(None if v == "*" else v) for v in versions}


def threshold_text(schema: Any, threshold: float | None, version: str | None = None) -> str:
    """Which threshold the numbers use, for a header: "threshold 0.3 (override)",
    "threshold 0.5", or per version "thresholds v1 0.5 · v2 0.3"; a multiclass model's rule
    ("cost matrix", "per-class thresholds", "argmax"); "" for a regression."""
    if schema.task == "multiclass":
        if schema.cost_matrix_of(version) is not None:
            return "cost matrix"
        return "per-class thresholds" if schema.class_thresholds else "argmax"
    if schema.task not in (None, "binary"):
        return ""
    per = resolved_thresholds(schema, threshold, version)
    if threshold is not None:
        return f"threshold {threshold:g} (override)"
    values = set(per.values())
    if len(values) == 1:
        return f"threshold {values.pop():g}"
    return "thresholds " + " · ".join(f"{v} {t:g}" for v, t in per.items())


def decided(table: Any, schema: Any, threshold: float | None = None) -> Any:
    """``table`` with a binary model's ``prediction`` decided now from its score: ``score >=``
    the version's threshold (or ``threshold`` for every version). Rows logged as classes without
    a score keep their logged class; other tasks are returned unchanged."""
    if schema.task != "binary":
        return table
    per = resolved_thresholds(schema, threshold)
    values = set(per.values())
    if len(values) == 1:
        cut: Any = ibis.literal(values.pop(), "float64")
    else:
        cut = table.model_version.cases(*[(v, t) for v, t in per.items()], else_=schema.threshold)
    decision = ibis.ifelse(
        table.score.isnull(), table.prediction, (table.score >= cut).cast("float64")
    )
    return table.mutate(prediction=decision)
