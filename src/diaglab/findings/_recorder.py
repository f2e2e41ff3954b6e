"""Record the Ibis expressions a store executes, and the SQL they compiled to.

A finding carries the query behind its evidence. diaglab's query functions build Ibis expressions
and run them on the store's backend (``store.ibis``, one per thread), some as SQL compiled once
per shape (:func:`diaglab.store.compiled.fetch_over`); :func:`recording` wraps that backend's
executing methods and watches those queries for the calling thread while a query function runs
again, so what is recorded is exactly what ran, not a reconstruction.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from diaglab.store.compiled import STAND_IN, watching

# The backend methods through which an expression is executed (to_pandas goes through execute).
_EXECUTING = ("execute", "to_pyarrow", "to_pyarrow_batches", "create_table")
_ACTIVE = threading.local()


@dataclass
class Recorded:
    """The expressions executed while recording: their Ibis text and SQL, in order.

    ``exprs`` holds the expressions themselves, to compile for another engine: an expression, or
    for a query run over the stand-in table (:func:`~diaglab.store.compiled.fetch_over`) the pair
    ``(rows, query)``.
    """

    ibis: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    exprs: list[Any] = field(default_factory=list)

    def text(self, kind: str, *, limit: int = 40_000) -> str | None:
        """All recorded statements of one kind as one text (None when nothing ran)."""
        items = self.ibis if kind == "ibis" else self.sql
        if not items:
            return None
        joined = "\n\n".join(
            f"-- [{i + 1}/{len(items)}]\n{s}" if len(items) > 1 else s for i, s in enumerate(items)
        )
        if len(joined) > limit:
            joined = joined[:limit] + f"\n-- … cut at {limit:,} characters"
        return joined


@contextlib.contextmanager
def recording(store: Any) -> Iterator[Recorded]:
    """Collect every expression this thread executes on ``store`` inside the block.

    Examples
    --------
    >>> with recording(store) as rec:               # doctest: +SKIP
    ...     dl.drift(store, "credit")
    >>> print(rec.text("sql"))                      # doctest: +SKIP
    """
    backend = store.ibis  # this thread's backend: other threads are not affected
    rec = Recorded()
    if getattr(_ACTIVE, "backend", None) is backend:  # nested: the outer recorder sees it all
        yield rec
        return
    originals = {name: backend.__dict__.get(name) for name in _EXECUTING}

    def wrap(name: str) -> Any:
        method = getattr(type(backend), name)

        def recorded(*args: Any, **kwargs: Any) -> Any:
            expr = (
                args[1]
                if name == "create_table" and len(args) > 1
                else (args[0] if args else kwargs.get("obj"))
            )
            _note(backend, rec, expr, kwargs)
            return method(backend, *args, **kwargs)

        return recorded

    def templated(data: Any, query: Any, sql: str) -> None:
        rec.ibis.append(f"{STAND_IN} = {_ibis_text(data)}\n\n{_ibis_text(query)}")
        rec.sql.append(sql)
        rec.exprs.append((data, query))

    for name in _EXECUTING:
        setattr(backend, name, wrap(name))
    _ACTIVE.backend = backend
    try:
        with watching(backend, templated):
            yield rec
    finally:
        _ACTIVE.backend = None
        for name, original in originals.items():
            if original is None:
                backend.__dict__.pop(name, None)
            else:
                setattr(backend, name, original)


def _note(backend: Any, rec: Recorded, expr: Any, kwargs: dict[str, Any]) -> None:
    import ibis.expr.types as ir

    if not isinstance(expr, ir.Expr):
        return  # e.g. create_table from an Arrow table: no expression to show
    try:
        sql = backend.compile(
            expr.as_table(), limit=kwargs.get("limit"), params=kwargs.get("params")
        )
    except Exception as exc:  # the query itself will raise if it cannot compile
        sql = f"-- could not compile: {exc}"
    rec.ibis.append(_ibis_text(expr))
    rec.sql.append(str(sql))
    rec.exprs.append(expr.as_table())


def _ibis_text(expr: Any) -> str:
    try:
        return str(expr.unbind())
    except Exception:
        return repr(expr)
