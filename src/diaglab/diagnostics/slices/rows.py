"""The rows of a slice, worst first, one page at a time: only the page leaves the engine."""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from diaglab.errors import InputError, unknown
from diaglab.queries.filters import where as apply_where
from diaglab.queries.scope import scoped_table

PAGE_SIZE = 20
TOTAL = "_diaglab_total"


def row_error(table: Any, task: str) -> Any:
    """Per-row error used to sort: ``|label − score|`` for scored binary models, else
    ``|label − prediction|`` (regression) or 1 for a wrong class; NULL while unlabelled."""
    y, pred = table.label, table.prediction
    if task == "binary":
        by_class = (pred != y).cast("float64")
        return ibis.coalesce((y - table.score).abs(), by_class)
    if task == "regression":
        return (y - pred).abs()
    return (pred != y).cast("float64")


def slice_rows(
    store: Any,
    model: str,
    slice: Any = None,
    window: Any = None,
    where: Any = None,
    *,
    version: str | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    columns: list[str] | None = None,
    sort: tuple[str, str] | None = None,
) -> tuple[pd.DataFrame, int]:
    """One page of a slice's predictions, highest error first, and the slice's row count.

    Sorting and paging run in the engine (``ORDER BY error DESC LIMIT page_size OFFSET …``);
    unlabelled rows come last. ``columns`` adds feature columns to the role columns (a feature
    named like a role column comes as ``feature:<name>``). ``sort=(column, "asc" | "desc")``
    orders by one of the page's columns instead (missing values last, then by error), still
    in the engine: page 2 is the next 20 rows in that order, not page 1 re-sorted.
    """
    if page < 0 or page_size < 1:
        raise InputError(f"page must be >= 0 and page_size >= 1, got {page}, {page_size}")
    schema = store.schema(model)
    task = schema.task or "binary"
    table, _ = scoped_table(store, model, window, where, version)
    table = apply_where(table, slice)
    err = row_error(table, task)
    roles = ["prediction_id", "timestamp", "model_version", "prediction", "score", "label"]
    # features by their stored columns: the feature "score" is "feature:score" beside the score
    extra = [c for c in (schema.columns.get(c, c) for c in columns or []) if c not in roles]
    shown = [*roles, "error", "latency_ms", *extra]
    keys = [ibis._.error.isnull(), ibis.desc("error"), "prediction_id"]
    if sort is not None:
        column, direction = sort
        if column not in shown:
            raise unknown("column to sort by", column, shown)
        if direction not in ("asc", "desc"):
            raise unknown("sort direction", direction, ["asc", "desc"])
        first = ibis.desc(column) if direction == "desc" else ibis.asc(column)
        keys = [ibis._[column].isnull(), first, *keys]
    ordered = (
        table.mutate(error=err)
        .order_by(keys)
        .select(*shown)
        .limit(page_size, offset=page * page_size)
    )
    # the count rides along as a scalar subquery: one round trip to the engine, not two
    rows = ordered.mutate(**{TOTAL: table.count().as_scalar()}).to_pyarrow().to_pandas()
    if rows.empty:  # a page past the end: no row to carry the count
        return rows.drop(columns=TOTAL), int(table.count().to_pyarrow().as_py())
    return rows.drop(columns=TOTAL), int(rows[TOTAL].iloc[0])
