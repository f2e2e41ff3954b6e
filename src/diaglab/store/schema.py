"""Column roles and each model's schema registry.

A model's schema lives in ``models/<model>/schema.json``: the task, the kind of every feature
(numeric or categorical), which version first logged it, and the list of changes seen so far.
Producers in any process read and extend it under an exclusive file lock before they write a
segment, so every segment of a model agrees with the registry and a type conflict is rejected at the
producer, before anything is stored.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow as pa

from diaglab.errors import SchemaError, unknown
from diaglab.store import layout
from diaglab.store.file_lock import file_lock
from diaglab.store.storage import storage_error

log = logging.getLogger("diaglab")

NUMERIC = "numeric"
CATEGORICAL = "categorical"
TASKS = ("binary", "multiclass", "regression")

# Columns every prediction row has, in table order, with their Arrow types. Feature names may not
# reuse them; "label" and "label_timestamp" are filled in by the store when labels arrive.
TIMESTAMP = pa.timestamp("us", tz="UTC")
ROLE_TYPES: Mapping[str, pa.DataType] = MappingProxyType(
    {
        "prediction_id": pa.string(),
        "timestamp": TIMESTAMP,
        "model_version": pa.string(),
        "prediction": pa.float64(),  # a string for multiclass models
        "score": pa.float64(),
        "latency_ms": pa.float64(),
        "trace_id": pa.string(),
        "error": pa.string(),
        "metadata": pa.string(),
        "label": pa.float64(),  # a string for multiclass models
        "label_timestamp": TIMESTAMP,
    }
)
# What the call that made a row cost (see diaglab.producers.resources); NULL when not measured
# (rows of store.log, stores written before them).
RESOURCE_TYPES: Mapping[str, pa.DataType] = MappingProxyType(
    {
        "cpu_ms": pa.float64(),
        "wall_ms": pa.float64(),
        "rss_peak_mb": pa.float64(),
        "rss_peak_delta_mb": pa.float64(),
        "gpu_memory_mb": pa.float64(),
        "gpu_utilization": pa.float64(),
        "batch_rows": pa.float64(),
        "input_values": pa.float64(),
    }
)
# "filename" and "file_row_number" are the columns DuckDB's read_parquet adds when ingest orders
# repeated ids; "segment" and "row_number" name rows in reference tables and evidence.
RESERVED = (
    frozenset(ROLE_TYPES)
    | frozenset(RESOURCE_TYPES)
    | {"segment", "row_number", "filename", "file_row_number"}
)
"""Names of diaglab's own columns, compared case-insensitively (DuckDB's identifiers are).

A feature may take any of them: it is then stored under :data:`FEATURE_PREFIX` (see
:func:`feature_column`)."""

FEATURE_PREFIX = "feature:"
_RESERVED_LOWER = frozenset(r.lower() for r in RESERVED)


def feature_column(name: str) -> str:
    """The column in segments and engine tables that holds the feature ``name``.

    Features live in their own namespace: a feature whose name is one of diaglab's columns
    (:data:`RESERVED`, ignoring case) or starts with ``feature:`` is stored as
    ``feature:<name>``; any other feature under its own name, as stores have always held it, so
    existing stores read unchanged. Users name features by their own names everywhere
    (``features=["score"]``, ``where="segment == 'a'"``); results that set a feature beside
    diaglab's columns (rows, drift and slice tables) show the stored name.
    """
    low = name.lower()
    if low in _RESERVED_LOWER or low.startswith(FEATURE_PREFIX):
        return FEATURE_PREFIX + name
    return name


def columns_for(names: Sequence[str], present: Collection[str]) -> list[str]:
    """The columns of ``present`` (a frame's columns) that hold the features ``names``: the
    stored column when the frame was read from a store table, else the name itself."""
    return [c if (c := feature_column(f)) in present else f for f in names]


def feature_of_column(column: str) -> str:
    """The feature name stored in ``column`` (the inverse of :func:`feature_column`)."""
    if column.startswith(FEATURE_PREFIX):
        return column[len(FEATURE_PREFIX) :]
    return column


def value_type(task: str) -> pa.DataType:
    """The Arrow type of ``prediction`` and ``label`` for a task."""
    return pa.string() if task == "multiclass" else pa.float64()


def feature_type(kind: str) -> pa.DataType:
    return pa.float64() if kind == NUMERIC else pa.string()


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str
    first_version: str
    first_seen: str


class FeatureList(list[str]):
    """A model's feature names, in first-seen order, that also look up each one's
    :class:`Feature` by name (``features["age"].kind``, ``.get``, ``.keys()``, ``.values()``,
    ``.items()``), so code written for the mapping it was keeps working."""

    def __init__(self, features: Mapping[str, Feature] | None = None) -> None:
        info = dict(features or {})
        super().__init__(info)
        self._info = info

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self._info[key]
        return super().__getitem__(key)

    def get(self, name: str, default: Feature | None = None) -> Feature | None:
        return self._info.get(name, default)

    def keys(self) -> Any:
        return self._info.keys()

    def values(self) -> list[Feature]:
        return list(self._info.values())

    def items(self) -> list[tuple[str, Feature]]:
        return list(self._info.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FeatureList):
            return self._info == other._info
        return list.__eq__(self, other)

    __hash__ = None


@dataclass(frozen=True)
class ModelSchema:
    """What a store knows about one model's columns.

    Attributes
    ----------
    model : str
    task : str or None
        ``binary``, ``multiclass`` or ``regression``; None until the first prediction is logged.
    features : FeatureList
        The feature names in first-seen order, a list like ``numeric`` and ``categorical``;
        ``features[name]`` is that feature's :class:`Feature`.
    versions : mapping of version to the tuple of feature names it logged.
    changes : tuple of str
        Human-readable schema events (a new feature, a version with other features).
    threshold : float
        Decision threshold turning a binary score into the ``prediction`` class (``score >=
        threshold``), for versions without one of their own.
    thresholds : mapping of version to float
        Per-version decision thresholds (``store.set_threshold(model, t, version=...)``).
    class_thresholds : mapping of class to float
        A multiclass model's per-class thresholds: a row's class is the one whose probability
        exceeds its threshold by the most (``argmax(p_k - t_k)``, ``t_k = 1/K`` for a class
        without one); empty: the argmax. Applied when a batch is logged, since only the top
        probability is stored.
    cost_matrices : mapping of version (``"*"``: the default) to a K x K matrix
        The cost of deciding class ``j`` (column) when the truth is class ``i`` (row), classes in
        ``classes`` order (``store.set_cost_matrix``): a multiclass row is decided as the class of
        least expected cost, before per-class thresholds (:func:`diaglab.store.thresholds.
        cost_decision`).
    """

    model: str
    task: str | None = None
    features: FeatureList = field(default_factory=FeatureList)
    versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    changes: tuple[str, ...] = ()
    threshold: float = 0.5
    classes: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    """Features stored as keyed hashes, never in clear (``store.log(..., sensitive=[...])``)."""
    thresholds: Mapping[str, float] = field(default_factory=dict)
    class_thresholds: Mapping[str, float] = field(default_factory=dict)
    cost_matrices: Mapping[str, tuple[tuple[float, ...], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.features, FeatureList):
            object.__setattr__(self, "features", FeatureList(self.features))

    def threshold_of(self, version: str | None) -> float:
        """The decision threshold of ``version`` (the model's default when it has none)."""
        return float(self.thresholds.get(version, self.threshold)) if version else self.threshold

    def cost_matrix_of(self, version: str | None) -> tuple[tuple[float, ...], ...] | None:
        """The cost matrix deciding ``version``'s classes (its own, else the default), or None."""
        return self.cost_matrices.get(version or "*", self.cost_matrices.get("*"))

    @property
    def numeric(self) -> list[str]:
        return [f.name for f in self.features.values() if f.kind == NUMERIC]

    @property
    def categorical(self) -> list[str]:
        return [f.name for f in self.features.values() if f.kind == CATEGORICAL]

    def column(self, name: str) -> str:
        """The stored column of feature ``name`` (:func:`feature_column`)."""
        return feature_column(name)

    @property
    def columns(self) -> dict[str, str]:
        """Each feature's name -> its stored column, in first-seen order."""
        return {f: feature_column(f) for f in self.features}

    def resolve(self, name: str) -> str:
        """The stored column of a feature named by the user: its own name (``"score"``) or its
        stored column (``"feature:score"``, as results show it); raises UnknownNameError."""
        if name in self.features:
            return feature_column(name)
        base = feature_of_column(name)
        if base != name and base in self.features and feature_column(base) == name:
            return name
        raise unknown("feature", name, list(self.features))

    def kind(self, column: str) -> str:
        """``numeric`` or ``categorical``: the kind of the feature stored in ``column``."""
        base = feature_of_column(column)
        if base in self.features and feature_column(base) == column:
            return self.features[base].kind
        return self.features[column].kind

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "task": self.task,
            "threshold": self.threshold,
            "classes": list(self.classes),
            "features": [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "first_version": f.first_version,
                    "first_seen": f.first_seen,
                }
                for f in self.features.values()
            ],
            "versions": {v: list(names) for v, names in self.versions.items()},
            "changes": list(self.changes),
            "sensitive": list(self.sensitive),
            "thresholds": dict(self.thresholds),
            "class_thresholds": dict(self.class_thresholds),
            "cost_matrices": {v: [list(r) for r in m] for v, m in self.cost_matrices.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ModelSchema:
        feats = {
            f["name"]: Feature(f["name"], f["kind"], f["first_version"], f["first_seen"])
            for f in data.get("features", [])  # type: ignore[attr-defined]
        }
        versions = {v: tuple(n) for v, n in data.get("versions", {}).items()}  # type: ignore[attr-defined]
        return cls(
            model=str(data["model"]),
            task=data.get("task"),  # type: ignore[arg-type]
            features=FeatureList(feats),
            versions=versions,
            changes=tuple(data.get("changes", ())),  # type: ignore[arg-type]
            threshold=float(data.get("threshold", 0.5)),  # type: ignore[arg-type]
            classes=tuple(data.get("classes", ())),  # type: ignore[arg-type]
            sensitive=tuple(data.get("sensitive", ())),  # type: ignore[arg-type]
            thresholds={
                str(k): float(v)
                for k, v in data.get("thresholds", {}).items()  # type: ignore[attr-defined]
            },
            class_thresholds={
                str(k): float(v)
                for k, v in data.get("class_thresholds", {}).items()  # type: ignore[attr-defined]
            },
            cost_matrices={
                str(v): tuple(tuple(float(c) for c in row) for row in m)
                for v, m in data.get("cost_matrices", {}).items()  # type: ignore[attr-defined]
            },
        )

    def merged(
        self,
        kinds: Mapping[str, str],
        *,
        version: str,
        task: str | None,
        classes: tuple[str, ...] = (),
    ) -> ModelSchema:
        """This schema extended by a batch's feature kinds; raises SchemaError on a conflict."""
        if task is not None and self.task is not None and task != self.task:
            raise SchemaError(
                f"model {self.model!r} logs {self.task} predictions; this batch looks like {task} "
                f"(pass predictions of the same shape, or log under another model name)"
            )
        features = dict(self.features.items())
        changes = list(self.changes)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for name, kind in kinds.items():
            known = features.get(name)
            if known is None:
                features[name] = Feature(name, kind, version, now)
                if self.features:
                    changes.append(f"{now}: new {kind} feature {name!r} in version {version!r}")
            elif known.kind != kind:
                raise SchemaError(
                    f"feature {name!r} of model {self.model!r} is {known.kind} (since version "
                    f"{known.first_version!r}) but this batch has {kind} values; convert the "
                    f"column or pass categorical=[...] consistently"
                )
        versions = dict(self.versions)
        names = tuple(kinds)
        if version not in versions:
            if versions:
                previous = next(reversed(versions.values()))
                added = sorted(set(names) - set(previous))
                dropped = sorted(set(previous) - set(names))
                if added or dropped:
                    changes.append(
                        f"{now}: version {version!r} logs other features "
                        f"(added: {', '.join(added) or '-'}; absent: {', '.join(dropped) or '-'})"
                    )
            versions[version] = names
        elif set(names) - set(versions[version]):
            versions[version] = tuple(dict.fromkeys((*versions[version], *names)))
        merged_classes = tuple(dict.fromkeys((*self.classes, *classes)))
        return replace(
            self,
            task=self.task or task,
            features=FeatureList(features),
            versions=versions,
            changes=tuple(changes),
            classes=merged_classes,
        )


class SchemaRegistry:
    """Reads and extends ``models/<model>/schema.json`` under an exclusive file lock."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, model: str) -> Path:
        return layout.model_dir(self.root, model)

    def models(self) -> list[str]:
        base = self.root / layout.MODELS
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / layout.SCHEMA_FILE).is_file())

    def get(self, model: str) -> ModelSchema | None:
        path = layout.schema_path(self.root, model)
        try:
            return ModelSchema.from_json(json.loads(path.read_text()))
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def locked(self, model: str) -> Iterator[ModelSchema]:
        """Hold the model's lock; yields the current schema (empty when new)."""
        with file_lock(self._dir(model) / ".lock"):
            yield self.get(model) or ModelSchema(model)

    def write(self, schema: ModelSchema) -> None:
        """Atomically replace the schema file; call while holding :meth:`locked`."""
        d = self._dir(schema.model)
        seen = len((self.get(schema.model) or ModelSchema(schema.model)).changes)
        tmp = d / f".schema.{os.getpid()}.tmp"
        try:
            tmp.write_text(json.dumps(schema.to_json(), indent=1))
            os.replace(tmp, layout.schema_path(self.root, schema.model))
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            err = storage_error(
                exc, doing="writing the schema", path=layout.schema_path(self.root, schema.model)
            )
            if err is None or err is exc:
                raise
            raise err from exc
        for change in schema.changes[seen:]:
            log.info("diaglab schema change in %s: %s", schema.model, change)
