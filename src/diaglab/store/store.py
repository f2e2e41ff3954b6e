"""The Store: one directory of segment files, and the DuckDB engine that makes them queryable."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from diaglab.errors import StorageError
from diaglab.store import compaction, object_store
from diaglab.store import models as registry
from diaglab.store.engine import Engine, IngestReport
from diaglab.store.ingest import build_fresh, rebuild, swap_in
from diaglab.store.label_report import LabelReport
from diaglab.store.memo import Memo
from diaglab.store.quarantine import DamagedSegment, damaged_segments
from diaglab.store.schema import TIMESTAMP, ModelSchema, SchemaRegistry
from diaglab.store.segments import check_model_name, existing_store
from diaglab.store.thresholds import (
    check_threshold,
    set_cost_matrix,
    set_threshold,
    threshold_history,
)
from diaglab.store.writing import StoreWrites

MEMO_ENTRIES = 64
log = logging.getLogger("diaglab")


class Store(StoreWrites):
    """A prediction-log store in a directory.

    Parameters
    ----------
    path : str or Path
        The store's directory; created when missing. Or the URL of a store on object storage
        (``s3://bucket/prefix``, ``gs://…``, any pyarrow/fsspec filesystem; see
        :mod:`diaglab.store.object_store` and docs/storage.md): its DuckDB copy then lives in a
        local mirror directory (``store.path``), and ``store.url`` names the store.
    read_only : bool
        Open without taking the DuckDB file's write lock. A store whose DuckDB file is held by
        another process opens read-only automatically and says so. For a URL: never write to the
        object store (the local copy is this process's own and still ingests).
    refresh : bool
        Ingest segments written since the last refresh when opening.
    storage_options : mapping, optional
        For a URL only: options of its filesystem, e.g. ``{"endpoint_url": "http://…"}`` or
        timeouts (never stored). Credentials come from the standard chains.

    Examples
    --------
    >>> import diaglab as dl
    >>> store = dl.open("/tmp/demo-store")                               # doctest: +SKIP
    >>> ids = store.log(model="credit", features=df, predictions=scores)  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        refresh: bool = True,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.remote: object_store.ObjectStore | None = None
        # this process may hold a writer for the URL too: a read-only Store never uses it
        self._remote_read_only = read_only
        if object_store.is_url(path):
            self.remote = object_store.attach(
                str(path), storage_options=storage_options, read_only=read_only
            )
            self.path = self.remote.mirror
        else:
            self.path = object_store.local_root(path, storage_options=storage_options)
        self.path.mkdir(parents=True, exist_ok=True)
        self._registry = SchemaRegistry(self.path)
        self._engine = Engine(self.path, read_only=read_only and self.remote is None)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._memo = Memo(MEMO_ENTRIES)  # a new generation whenever this process ingests
        self._tabled = set()
        if refresh:
            try:
                self.refresh(progress=None)
            except StorageError as exc:  # a full disk must not stop anyone reading the store
                log.warning(
                    "diaglab store %s opened without ingesting its newest segments: %s",
                    self.path,
                    exc,
                )

    @property
    def url(self) -> str:
        """Where the store is: its object-storage URL, or its directory."""
        return self.remote.url if self.remote else str(self.path)

    def interrupter(self) -> Callable[[], None]:
        """A function that interrupts the query this thread runs on the store, callable from any
        thread (DuckDB's ``interrupt()`` on this thread's cursor): the query raises, the next one
        runs normally. Explorers use it to stop a query whose result is no longer wanted."""
        interrupt: Callable[[], None] = self.ibis.con.interrupt
        return interrupt

    def __repr__(self) -> str:
        mode = f", read-only: {self.read_only_reason}" if self.read_only else ""
        return f"<diaglab.Store {self.url!r}, models: {self.models()}{mode}>"

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    def register_model(
        self,
        model: str,
        estimator: Any,
        version: str = "v1",
        *,
        trust: bool = False,
        threshold: float | Mapping[str, float] | None = None,
    ) -> registry.ModelInfo:
        """Save a fitted model (LightGBM, XGBoost, scikit-learn) as a version of ``model``.

        ``estimator`` may also be an MLflow model URI (``"models:/credit/1"``, ``"runs:/<id>/m"``),
        resolved against MLflow's tracking URI; its files are copied into the store and load
        through MLflow later. ``trust=True`` is needed when that model's files run code on loading.
        ``threshold``: this version's decision threshold (see :meth:`set_threshold`).
        """
        if threshold is not None and not isinstance(threshold, Mapping):
            check_threshold(threshold)
        info = registry.register_model(self.path, model, estimator, version, trust=trust)
        if threshold is not None:
            per_class = isinstance(threshold, Mapping)
            self.set_threshold(model, threshold, version=None if per_class else version)
        return info

    def set_threshold(
        self,
        model: str,
        threshold: float | Mapping[str, float],
        *,
        version: str | None = None,
        by: str | None = None,
    ) -> ModelSchema:
        """Record the decision threshold of ``model`` (``version``'s own, or the default of every
        version without one); who and when go to the audit trail (:meth:`threshold_history`).

        A binary model's class is ``score >= threshold``, decided when queried, so the new value
        applies to rows already logged. A multiclass model takes ``{class: threshold}``: the class
        whose probability exceeds its threshold most, for batches logged from now on. Every
        diagnostic's ``threshold=`` overrides it for one call.
        """
        schema = set_threshold(
            self.path, self._registry, check_model_name(model), threshold, version=version, by=by
        )
        self._memo.changed(reference=False)
        return schema

    def set_cost_matrix(
        self, model: str, matrix: Any, *, version: str | None = None, by: str | None = None
    ) -> ModelSchema:
        """Record the cost of each decision of ``model`` (``version``'s own, or the default):
        ``matrix[i][j]`` is the cost of deciding class ``j`` when the truth is class ``i``
        (classes in ``schema.classes`` order, (0, 1) for a binary model), or
        ``{true: {decided: cost}}``. Audited like :meth:`set_threshold`.

        A multiclass row is decided as the class of least expected cost,
        ``argmin_j Σ_i p_i · matrix[i][j]``, for batches logged from now on; a binary model gets
        the threshold the matrix implies, ``(C01 - C00) / ((C01 - C00) + (C10 - C11))``.
        """
        schema = set_cost_matrix(
            self.path, self._registry, check_model_name(model), matrix, version=version, by=by
        )
        self._memo.changed(reference=False)
        return schema

    def threshold_history(self, model: str) -> list[dict[str, Any]]:
        """Every threshold change of ``model``, oldest first (version, threshold, by, at)."""
        return threshold_history(self.path, check_model_name(model))

    def model_info(self, model: str, version: str | None = None) -> registry.ModelInfo:
        """How a registered version is stored and where it came from (``.source``)."""
        return registry.model_info(self.path, model, version)

    def load_model(
        self, model: str, version: str | None = None, *, trust: bool = False
    ) -> registry.LoadedModel:
        """Load a registered model (the latest version by default); pickles need trust=True."""
        return registry.load_model(self.path, model, version, trust=trust)

    def model_versions(self, model: str) -> list[str]:
        """The registered versions of ``model`` (see :meth:`register_model`)."""
        return registry.model_versions(self.path, check_model_name(model))

    def compact(
        self,
        *,
        target_size: int | str = compaction.DEFAULT_TARGET_BYTES,
        min_age: float = compaction.DEFAULT_MIN_AGE,
        grace: float = compaction.DEFAULT_GRACE,
        models: list[str] | None = None,
    ) -> compaction.CompactionReport:
        """Merge small segments of each kind and model into segments of about ``target_size``
        (``"128MB"``), then refresh; see :func:`diaglab.store.compaction.compact` for the
        options and :mod:`diaglab.store.compaction` for what stays exactly as it was (rows,
        ids, the duplicate rule, the audit chain)."""
        report = compaction.compact(
            self.path, target_size=target_size, min_age=min_age, grace=grace, models=models
        )
        self.refresh(progress=None)
        return report

    def rebuild(self) -> IngestReport:
        """Ingest every segment again into a new DuckDB file, then swap it in for the old one
        (the segments are the truth; see :func:`rebuild` for a store whose DuckDB file is
        damaged)."""
        if self.read_only:
            self._engine._require_writer()
        with self._write_lock, self._engine.lock:
            # The old file stays open (and locked) until the new one is complete.
            report = build_fresh(self.path, self._registry)
            self._engine.close()
            swap_in(self.path)
            self._engine = Engine(self.path)
            self._tabled.clear()
            self._memo.changed()
        return report


def open(
    path: str | Path,
    *,
    read_only: bool = False,
    refresh: bool = True,
    storage_options: Mapping[str, Any] | None = None,
) -> Store:
    """Open (or create) the store in directory ``path`` or at a URL; see :class:`Store`."""
    return Store(path, read_only=read_only, refresh=refresh, storage_options=storage_options)


__all__ = [
    "TIMESTAMP",
    "DamagedSegment",
    "LabelReport",
    "Store",
    "damaged_segments",
    "existing_store",
    "open",
    "rebuild",
]
