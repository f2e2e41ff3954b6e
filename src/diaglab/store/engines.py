"""Which engine a store's queries run on: ``open(engine=...)`` and what both stores share.

The query layer asks a store for Ibis tables and runs the expressions it builds on them; it never
needs to know whether DuckDB or Spark answers. :class:`QueryStore` writes that contract down;
:class:`~diaglab.store.store.Store` (DuckDB, the default) and
:class:`~diaglab.store.spark.SparkStore` both meet it. The one thing that differs by engine, a
temporary table for a multi-query search, sits behind :func:`materialize`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload, runtime_checkable

from diaglab.errors import InputError
from diaglab.store import object_store
from diaglab.store.schema import ModelSchema
from diaglab.store.store import Store
from diaglab.store.store import open as open_duckdb

if TYPE_CHECKING:
    from diaglab.store.spark import SparkStore

ENGINES = ("duckdb", "spark")


@runtime_checkable
class QueryStore(Protocol):
    """What the query layer and the explorers use of a store, on any engine."""

    path: Path

    @property
    def read_only(self) -> bool: ...

    @property
    def ibis(self) -> Any: ...

    def models(self) -> list[str]: ...

    def schema(self, model: str) -> ModelSchema: ...

    def table(self, model: str) -> Any: ...

    def labels(self, model: str) -> Any: ...

    def reference(self, model: str, version: str | None = None) -> Any: ...

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any: ...

    def watermark(self) -> dict[str, Any]: ...

    def refresh(self, *, progress: bool | None = None) -> Any: ...

    def close(self) -> None: ...


@overload
def open(
    path: str | Path,
    *,
    read_only: bool = ...,
    refresh: bool = ...,
    engine: Literal["duckdb"] = ...,
    spark: None = ...,
    storage_options: Mapping[str, Any] | None = ...,
) -> Store: ...


@overload
def open(
    path: str | Path,
    *,
    read_only: bool = ...,
    refresh: bool = ...,
    engine: Literal["spark"],
    spark: Any = ...,
    storage_options: Mapping[str, Any] | None = ...,
) -> SparkStore: ...


def open(
    path: str | Path,
    *,
    read_only: bool = False,
    refresh: bool = True,
    engine: str = "duckdb",
    spark: Any = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Store | SparkStore:
    """Open (or create) the store in directory ``path``, or at a URL such as
    ``s3://bucket/prefix`` (see docs/storage.md).

    Parameters
    ----------
    engine : {"duckdb", "spark"}
        ``"duckdb"`` (default): the embedded engine, which also writes (see :class:`Store`).
        ``"spark"``: read the same segment files with Spark through Ibis (read-only, see
        :class:`~diaglab.store.spark.SparkStore`).
    spark : pyspark.sql.SparkSession, optional
        The session for ``engine="spark"``. Default: the active session, else a local session
        built for this machine (``local[<cores>]``, shuffle partitions from the core count,
        adaptive execution, no UI, bound to 127.0.0.1; see docs/spark.md). Needs pyspark
        (``pip install 'diaglab[spark]'``) and Java 17+.

    Examples
    --------
    >>> store = dl.open("/data/store")                                        # doctest: +SKIP
    >>> store = dl.open("/data/store", engine="spark")                        # doctest: +SKIP
    >>> store = dl.open("/data/store", engine="spark", spark=spark_session)    # doctest: +SKIP
    """
    if engine == "duckdb":
        if spark is not None:
            raise InputError("spark= is only used with engine='spark'")
        return open_duckdb(
            path, read_only=read_only, refresh=refresh, storage_options=storage_options
        )
    if engine == "spark":
        try:
            from diaglab.store.spark import SparkStore
        except ImportError as exc:  # pyspark is the optional extra "spark"
            raise InputError(
                f"engine='spark' needs pyspark and a Java 17+ runtime: "
                f"pip install 'diaglab[spark]' ({exc})"
            ) from exc
        if object_store.is_url(path):
            # Spark reads the mirror's copies: its s3a connector needs Hadoop jars from Maven.
            found = object_store.attach(str(path), storage_options=storage_options, read_only=True)
            found.sync()
            path = found.mirror
        return SparkStore(path, spark=spark, refresh=refresh)
    raise InputError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")


def materialize(store: Any, expr: Any) -> tuple[Any, Callable[[], None]]:
    """``expr`` computed once into a temporary table, and the function that drops it.

    For a search that runs many queries over the same narrow rows. A store with its own way
    (``store.materialize``, e.g. a cached Spark view) uses it; DuckDB gets a temporary table on the
    calling thread's connection.
    """
    own = getattr(store, "materialize", None)
    if own is not None:
        return own(expr)
    backend = store.ibis
    name = f"_diaglab_tmp_{uuid.uuid4().hex[:12]}"
    table = backend.create_table(name, expr, temp=True)

    def drop() -> None:
        try:
            backend.drop_table(name, force=True)
        except Exception:
            # ibis 12's drop_table emits "DROP TABLE IF EXISTS" without the name on DuckDB 2;
            # the name is diaglab's own (hex), so quoting it is safe.
            backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')

    return table, drop


__all__ = ["ENGINES", "QueryStore", "materialize", "open"]
