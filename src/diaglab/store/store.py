"""The Store: one directory of segment files, and the DuckDB engine that makes them queryable."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from diaglab.errors import StorageError
from diaglab.store import compaction
from diaglab.store import models as registry
from diaglab.store.engine import Engine, IngestReport
from diaglab.store.ingest import build_fresh, rebuild, swap_in
from diaglab.store.label_report import LabelReport
from diaglab.store.memo import Memo
from diaglab.store.quarantine import DamagedSegment, damaged_segments
from diaglab.store.schema import TIMESTAMP, SchemaRegistry
from diaglab.store.segments import check_model_name, existing_store
from diaglab.store.writing import StoreWrites

MEMO_ENTRIES = 64
log = logging.getLogger("diaglab")


class Store(StoreWrites):
    """A prediction-log store in a directory.

    Parameters
    ----------
    path : str or Path
        The store's directory; created when missing.
    read_only : bool
        Open without taking the DuckDB file's write lock. A store whose DuckDB file is held by
        another process opens read-only automatically and says so.
    refresh : bool
        Ingest segments written since the last refresh when opening.

    Examples
    --------
    >>> import diaglab as dl
    >>> store = dl.open("/tmp/demo-store")                               # doctest: +SKIP
    >>> ids = store.log(model="credit", features=df, predictions=scores)  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, refresh: bool = True) -> None:
        self.path = Path(path).expanduser().resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self._registry = SchemaRegistry(self.path)
        self._engine = Engine(self.path, read_only=read_only)
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

    def __repr__(self) -> str:
        mode = f", read-only: {self.read_only_reason}" if self.read_only else ""
        return f"<diaglab.Store {str(self.path)!r}, models: {self.models()}{mode}>"

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    def register_model(
        self, model: str, estimator: Any, version: str = "v1", *, trust: bool = False
    ) -> registry.ModelInfo:
        """Save a fitted model (LightGBM, XGBoost, scikit-learn) as a version of ``model``.

        ``estimator`` may also be an MLflow model URI (``"models:/credit/1"``, ``"runs:/<id>/m"``),
        resolved against MLflow's tracking URI; its files are copied into the store and load
        through MLflow later. ``trust=True`` is needed when that model's files run code on loading.
        """
        return registry.register_model(self.path, model, estimator, version, trust=trust)

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


def open(path: str | Path, *, read_only: bool = False, refresh: bool = True) -> Store:
    """Open (or create) the store in directory ``path``; see :class:`Store`."""
    return Store(path, read_only=read_only, refresh=refresh)


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
