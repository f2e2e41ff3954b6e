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

Both outlive the process: :mod:`diaglab.store.sql_cache` keeps the templates and the compiled
expressions on disk, keyed by everything their SQL depends on, so a new kernel's first query of a
shape reads its SQL instead of building and compiling it.

A template's key is made by the query function that builds it, and a key that names too little
would return another query's SQL; so while a diagnostic's spec runs (:func:`for_spec`, entered by
``Spec.run``), its kind and parameters (the spec's JSON without its scope: windows and slices
are the template's data, not its shape) are part of every template's key as well.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.operations as ops
import pyarrow as pa
import sqlglot as sg
from ibis.common.grounds import Concrete

from diaglab.store.lru import LRUCache
from diaglab.store.sql_cache import SqlCache, cache_dir, digest, stable_repr

CACHE_SIZE = 512
STAND_IN = "_diaglab_rows"
PERSIST = True
"""Whether compiled SQL (:func:`fetch_over`'s templates, the backends' compiled expressions) is
kept in the per-user cache on disk as well (a test that must see every query built sets it to
False)."""


def compile_cached(
    cache: LRUCache,
    compile: Callable[..., str],
    expr: Any,
    limit: Any = None,
    params: Any = None,
    pretty: bool = False,
    **kwargs: Any,
) -> str:
    """``compile(expr, ...)``, from ``cache`` when this expression was compiled before, in this
    process or (through the per-user cache on disk) an earlier one.

    Bound parameters and pretty-printing are passed through uncached (diaglab uses neither)."""
    if params or pretty or kwargs:
        return compile(expr, limit=limit, params=params, pretty=pretty, **kwargs)
    return cache.get((expr.op(), limit), lambda: _compile_persisted(compile, expr, limit))


def _compile_persisted(compile: Callable[..., str], expr: Any, limit: Any) -> str:
    backend = getattr(compile, "__self__", None)  # the store's backend, when bound to one
    disk = None if backend is None or getattr(_LOCAL, "templating", False) else _disk()
    name = None
    if disk is not None:
        text = _op_text(expr.op())
        named_limit = stable_repr(limit)
        if text is not None and named_limit is not None:
            name = digest([*_engine(backend), "expression=" + text, f"limit={named_limit}"])
            found = disk.load(name)
            if found is not None:
                return found[0]
    sql = compile(expr, limit=limit)
    if disk is not None and name is not None:
        disk.save(name, sql, None)
    return sql


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
    edges): a template is found again by it, in this process and (when ``key`` is made of tuples,
    str, numbers, bool, None, enum members and frozen dataclasses of those) in later ones, through
    the per-user cache on disk. A key that names too little returns another query's answer.

    The rows are split into their data (a table, filtered to a window or a slice) and the columns
    selected from it; only the data is compiled on each call, the rest belongs to the template.
    ``build`` only runs when the template is new, so asking the same question of another window
    pays neither building nor compiling it again.
    """
    backend = ibis.get_backend(rows)
    run = _RUNNERS.get(backend.name)
    if run is None or rows.op().find(ops.InMemoryTable):
        return build(rows).to_pyarrow()  # an engine without a runner, or rows not in the engine
    cache = _TEMPLATES if cache is None else cache
    data, shaped = _split(rows)
    key = (_SPEC.get(), key)
    template = cache.get(
        (backend.name, shaped.op(), key), lambda: _template(backend, shaped, key, build)
    )
    dialect = backend.dialect
    stand_in = sg.to_identifier(STAND_IN, quoted=True).sql(dialect)
    outer = sg.to_identifier("_q", quoted=True).sql(dialect)
    whole = (
        f"WITH {stand_in} AS ({backend.compile(data)}) SELECT * FROM ({template.sql}) AS {outer}"
    )
    watcher = getattr(_WATCHERS, "by_backend", {}).get(id(backend))
    if watcher is not None:
        if template.query is None:  # read from disk: build what the watcher records
            template.query = build(shaped)
        watcher(data, template.query, whole)
    # one chunk: the engine hands an aggregate over in many small ones, which pandas then
    # concatenates again on every selection
    return run(backend, whole).cast(template.schema).combine_chunks()


@dataclass
class Template:
    """A query over the stand-in: its SQL, its result's schema and (unless read from disk, until
    something needs it) its Ibis expression."""

    sql: str
    schema: pa.Schema
    query: Any = None


def template_digest(backend: Any, shaped: Any, key: Hashable) -> str | None:
    """The name of ``build(shaped)``'s template on disk for ``key``: a digest of the engine, its
    dialect and version, the stand-in's schema, the columns selected from it and the key; None
    when the key has no stable text (then the template is kept in memory only)."""
    named = stable_repr(key)
    if named is None:
        return None
    stand_in = shaped.op()
    while isinstance(stand_in, ops.Project):
        stand_in = stand_in.parent
    if shaped.op() is stand_in:
        selections = ""
    else:
        selections = _op_text(shaped.op()) or "sql:" + backend.compile(shaped)
    return digest(
        [
            *_engine(backend),
            "schema=" + ",".join(f"{n!r}:{t}" for n, t in stand_in.schema.items()),
            "shaped=" + selections,
            f"key={named}",
        ]
    )


def _engine(backend: Any) -> list[str]:
    """What compiled SQL depends on besides the expression: the engine, its version, its SQL
    dialect and Ibis' compile options."""
    dialect = type(backend.dialect) if not isinstance(backend.dialect, type) else backend.dialect
    engine = sys.modules.get(backend.name)
    options = ibis.options.sql
    return [
        f"engine={backend.name}={getattr(engine, '__version__', '?')}",
        f"dialect={dialect.__module__}.{dialect.__qualname__}",
        f"options={options.fuse_selects}/{options.default_limit}"
        f"/{getattr(ibis.options, backend.name, None)!r}",
    ]


def _op_text(root: Any) -> str | None:
    """An operation as text that is the same in every process (its hash is not): each node's
    class and arguments, each node written once and referred to by number after. None when an
    argument has no such text (e.g. a table held in memory)."""
    numbers: dict[Any, str] = {}
    nodes: list[str] = []

    def text(v: Any) -> str:
        if isinstance(v, Concrete):  # operations, data types, schemas: compared by arguments
            number = numbers.get(v)
            if number is None:
                args = ",".join(
                    f"{n}={text(a)}"
                    for n, a in zip(v.__argnames__, v.__args__, strict=True)
                    # a table's SQL names it; the backend holding it is not written there
                    if not (n == "source" and isinstance(v, ops.DatabaseTable))
                )
                kind = type(v)
                called = getattr(kind, "__func_name__", "")  # a function's name in SQL (UDFs)
                nodes.append(f"{kind.__module__}.{kind.__qualname__}{called}({args})")
                number = numbers[v] = f"#{len(nodes) - 1}"
            return number
        if isinstance(v, tuple):
            return "(" + ",".join(text(x) for x in v) + ")"
        if isinstance(v, Mapping):  # in order: a selection's columns are ordered
            return "{" + ",".join(f"{text(k)}:{text(x)}" for k, x in v.items()) + "}"
        named = stable_repr(v)
        if named is None:
            raise _NoText(type(v).__name__)
        return named

    try:
        text(root)
    except _NoText:
        return None
    return ";".join(nodes)


class _NoText(Exception):
    pass


def _template(backend: Any, shaped: Any, key: Hashable, build: Callable[[Any], Any]) -> Template:
    disk = _disk()
    name = template_digest(backend, shaped, key) if disk is not None else None
    if disk is not None and name is not None:
        found = disk.load(name)
        if found is not None and found[1] is not None:
            return Template(found[0], found[1])
    query = build(shaped)
    _LOCAL.templating = True  # kept as a template below, not again as an expression
    try:
        sql = backend.compile(query)
    finally:
        _LOCAL.templating = False
    template = Template(sql, query.schema().to_pyarrow(), query)
    if disk is not None and name is not None:
        disk.save(name, template.sql, template.schema)
    return template


def _disk() -> SqlCache | None:
    directory = cache_dir() if PERSIST else None
    return None if directory is None else SqlCache(directory)


@contextlib.contextmanager
def for_spec(text: str) -> Iterator[None]:
    """Inside the block (in this thread), every template :func:`fetch_over` keeps is keyed by
    ``text`` as well: a spec's kind and parameters, as JSON. Nested blocks (a spec whose
    implementation runs another spec) key by the innermost."""
    token = _SPEC.set(text)
    try:
        yield
    finally:
        _SPEC.reset(token)


def spec_key() -> str:
    """The spec text templates are keyed by here ("" outside any :func:`for_spec` block)."""
    return _SPEC.get()


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
_LOCAL = threading.local()
_SPEC: contextvars.ContextVar[str] = contextvars.ContextVar("diaglab_spec", default="")
# Templates are keyed by engine, the query's part over the stand-in and the caller's key; they
# hold no backend, so one process-wide cache serves every store and thread.
_TEMPLATES = LRUCache(CACHE_SIZE)
