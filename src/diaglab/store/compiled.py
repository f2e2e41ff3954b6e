"""Compiled SQL, kept and reused.

Ibis compiles an expression in time that grows with the relations in it (a few milliseconds
each), and diaglab's queries are wide: the drift table is one ``GROUP BY`` per feature, ~100 ms to
compile. Explorers ask the same queries again (a redraw, a linked explorer, a reopened card) or the
same query over another window or slice. Two things keep that off the interactive path:

- the store's Ibis backends remember the SQL of every expression they compiled (an ``LRUCache``;
  expressions compare by structure, so an expression built again from scratch is found);
- :func:`fetch_over` runs a query on a *stand-in* table, so its SQL does not depend on which rows
  it reads; the rows' data (the table filtered to a window, a slice) is compiled on its own, which
  is cheap, and joined in as a common table expression.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import ibis
import ibis.expr.operations as ops
import pyarrow as pa
import sqlglot as sg

from diaglab.store.lru import LRUCache

CACHE_SIZE = 512
STAND_IN = "_diaglab_rows"


def compile_cached(
    cache: LRUCache,
    compile: Callable[..., str],
    expr: Any,
    limit: Any = None,
    params: Any = None,
    pretty: bool = False,
    **kwargs: Any,
) -> str:
    """``compile(expr, ...)``, from ``cache`` when this expression was compiled before.

    Bound parameters and pretty-printing are passed through uncached (diaglab uses neither)."""
    if params or pretty or kwargs:
        return compile(expr, limit=limit, params=params, pretty=pretty, **kwargs)
    return cache.get((expr.op(), limit), lambda: compile(expr, limit=limit))


@functools.cache
def compiling_once(backend_class: type) -> Any:
    """A subclass of an Ibis SQL backend class whose ``compile`` remembers what it compiled."""

    class Backend(backend_class):
        def compile(
            self,
            expr: Any,
            /,
            *,
            limit: Any = None,
            params: Any = None,
            pretty: bool = False,
            **kwargs: Any,
        ) -> str:
            cache = self.__dict__.get("_diaglab_sql")
            if cache is None:
                cache = self.__dict__["_diaglab_sql"] = LRUCache(CACHE_SIZE)
            return compile_cached(cache, super().compile, expr, limit, params, pretty, **kwargs)

    Backend.__qualname__ = f"compiling_once({backend_class.__name__})"
    return Backend


def fetch_over(
    rows: Any, key: Hashable, build: Callable[[Any], Any], *, cache: LRUCache | None = None
) -> pa.Table:
    """``build(rows).to_pyarrow()``, with the SQL of ``build``'s part compiled once per ``key``.

    ``key`` names everything ``build`` depends on besides the rows (e.g. the features and their bin
    edges). The rows are split into their data (a table, filtered to a window or a slice) and the
    columns selected from it; only the data is compiled on each call, the rest belongs to the
    template. ``build`` only runs when the template is new, so asking the same question of another
    window pays neither building nor compiling it again.
    """
    backend = ibis.get_backend(rows)
    run = _RUNNERS.get(backend.name)
    if run is None or rows.op().find(ops.InMemoryTable):
        return build(rows).to_pyarrow()  # an engine without a runner, or rows not in the engine
    cache = _TEMPLATES if cache is None else cache
    data, shaped = _split(rows)

    def template() -> tuple[Any, str, pa.Schema]:
        query = build(shaped)
        return query, backend.compile(query), query.schema().to_pyarrow()

    query, sql, schema = cache.get((backend.name, shaped.op(), key), template)
    dialect = backend.dialect
    stand_in = sg.to_identifier(STAND_IN, quoted=True).sql(dialect)
    outer = sg.to_identifier("_q", quoted=True).sql(dialect)
    whole = f"WITH {stand_in} AS ({backend.compile(data)}) SELECT * FROM ({sql}) AS {outer}"
    watcher = getattr(_WATCHERS, "by_backend", {}).get(id(backend))
    if watcher is not None:
        watcher(data, query, whole)
    # one chunk: the engine hands an aggregate over in many small ones, which pandas then
    # concatenates again on every selection
    return run(backend, whole).cast(schema).combine_chunks()


@contextlib.contextmanager
def watching(backend: Any, watcher: Callable[[Any, Any, str], None]) -> Iterator[None]:
    """Inside the block, ``watcher(data, query, sql)`` sees each query :func:`fetch_over` runs on
    ``backend`` in this thread: the rows' data, the query over the stand-in for them, and the
    SQL that ran (how a finding records what computed it)."""
    watchers = _WATCHERS.__dict__.setdefault("by_backend", {})
    watchers[id(backend)] = watcher
    try:
        yield
    finally:
        watchers.pop(id(backend), None)


def _split(rows: Any) -> tuple[Any, Any]:
    """(the data under ``rows``' column selections, those selections made from a stand-in)."""
    top = data = rows.op()
    while isinstance(data, ops.Project):
        data = data.parent
    stand_in = ibis.table(data.schema, name=STAND_IN).op()
    shaped = stand_in if top is data else top.replace({data: stand_in})
    return data.to_expr(), shaped.to_expr()


def _run_duckdb(backend: Any, sql: str) -> pa.Table:
    return backend.con.sql(sql).to_arrow_table()


def _run_pyspark(backend: Any, sql: str) -> pa.Table:
    return pa.Table.from_pandas(backend._session.sql(sql).toPandas(), preserve_index=False)


_RUNNERS: dict[str, Callable[[Any, str], pa.Table]] = {
    "duckdb": _run_duckdb,
    "pyspark": _run_pyspark,
}
_WATCHERS = threading.local()
# Templates are keyed by engine, the query's part over the stand-in and the caller's key; they
# hold no backend, so one process-wide cache serves every store and thread.
_TEMPLATES = LRUCache(CACHE_SIZE)
