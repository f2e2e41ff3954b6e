"""Decision thresholds: the cut-off turning a score into a decision, per model version.

A binary model's predicted class is ``score >= threshold``. The threshold lives in the model's
schema (``models/<model>/schema.json``): a default for the model and one per version, set with
``store.set_threshold`` or ``store.register_model(..., threshold=)``; each change is chained in the
audit trail with who made it and when (:func:`diaglab.store.audit.append_threshold`). Queries
decide at read time from the stored score (:func:`diaglab.queries.scope.decided`), so a new
threshold applies to every row already logged, and ``threshold=`` on a diagnostic overrides it
for one call.

A multiclass model stores only its top probability, so its decision rule is applied when a batch
is logged: the class of least expected cost under the version's cost matrix
(:func:`cost_decision`, ``store.set_cost_matrix``), else the class whose probability exceeds its
threshold by the most (:func:`class_decision`), else the argmax. A binary model's cost matrix is
recorded with the threshold it implies (:func:`cost_threshold`), which decides at read time.
"""

from __future__ import annotations

import getpass
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from diaglab.errors import InputError, unknown
from diaglab.store import audit
from diaglab.store.schema import ModelSchema, SchemaRegistry


def check_threshold(value: Any, *, name: str = "threshold") -> float:
    """``value`` as a float in [0, 1]; an InputError naming it otherwise."""
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} is a number between 0 and 1, not {value!r}") from None
    if math.isnan(t) or not 0.0 <= t <= 1.0:
        raise InputError(f"{name} is a number between 0 and 1, not {value!r}")
    return t


def set_threshold(
    root: Path,
    registry: SchemaRegistry,
    model: str,
    threshold: float | Mapping[str, float],
    *,
    version: str | None = None,
    by: str | None = None,
) -> ModelSchema:
    """Record ``threshold`` for ``version`` of ``model`` (the model's default when None) in its
    schema and the audit trail; returns the new schema.

    A mapping of class to threshold sets a multiclass model's per-class thresholds (for the whole
    model; they apply to batches logged from now on).
    """
    author = by or _user()
    with registry.locked(model) as schema:
        if version is not None and schema.versions and version not in schema.versions:
            raise unknown(f"version of model {model!r}:", version, list(schema.versions))
        if isinstance(threshold, Mapping):
            if schema.task not in (None, "multiclass"):
                raise InputError(
                    f"per-class thresholds are for multiclass models; {model!r} is {schema.task}: "
                    "pass one number"
                )
            if version is not None:
                raise InputError(
                    "per-class thresholds apply to the whole model (they decide at log time); "
                    "drop version="
                )
            per_class = {
                str(k): check_threshold(v, name=f"threshold[{k!r}]") for k, v in threshold.items()
            }
            strange = sorted(set(per_class) - set(schema.classes)) if schema.classes else []
            if strange:
                raise unknown(f"class of model {model!r}:", strange[0], list(schema.classes))
            new = replace(schema, class_thresholds=per_class)
            recorded: Any = per_class
        else:
            if schema.task in ("multiclass", "regression"):
                raise InputError(
                    f"model {model!r} is {schema.task}: a single threshold applies to binary "
                    "scores (for multiclass pass {class: threshold})"
                )
            t = check_threshold(threshold)
            if version is None:
                new = replace(schema, threshold=t)
            else:
                new = replace(schema, thresholds={**schema.thresholds, version: t})
            recorded = t
        registry.write(new)
    audit.append_threshold(root, model, version, recorded, author)
    return new


def threshold_history(root: Path, model: str) -> list[dict[str, Any]]:
    """Every threshold change of ``model``: version (``"*"``: the default), threshold, by, at."""
    return [
        {k: rec.get(k) for k in ("version", "threshold", "by", "at")}
        for rec in audit.threshold_records(root, model)
    ]


def class_decision(
    proba: np.ndarray, classes: tuple[str, ...], class_thresholds: Mapping[str, float]
) -> np.ndarray:
    """Per row, the index of the class whose probability exceeds its threshold by the most
    (``argmax(p_k − t_k)``; a class without a threshold has ``t_k = 1/K``, so equal thresholds
    give the argmax); the plain argmax when there are no thresholds."""
    p = np.nan_to_num(proba, nan=0.0)
    if not class_thresholds:
        return np.asarray(p.argmax(axis=1))
    t = np.array([class_thresholds.get(c, 1.0 / len(classes)) for c in classes])
    return np.asarray((p - t).argmax(axis=1))


def check_cost_matrix(matrix: Any, classes: tuple[str, ...], *, model: str) -> np.ndarray:
    """``matrix`` as a K x K float array (rows: the true class, columns: the decided class, in
    ``classes`` order), from an array or ``{true: {decided: cost}}``; finite, >= 0, and each
    wrong decision costing more than the right one (else no class would ever be chosen)."""
    k = len(classes)
    if isinstance(matrix, Mapping):
        strange = sorted({str(c) for c in matrix} - set(classes))
        strange += sorted(
            {str(c) for row in matrix.values() if isinstance(row, Mapping) for c in row}
            - set(classes)
        )
        if strange:
            raise unknown(f"class of model {model!r}:", strange[0], list(classes))
        rows = {str(t): row for t, row in matrix.items()}
        try:
            matrix = [
                [
                    float({str(d): v for d, v in rows.get(t, {}).items()}.get(d, 0.0))
                    for d in classes
                ]
                for t in classes
            ]
        except (TypeError, ValueError, AttributeError):
            raise InputError(
                f"a cost matrix is {{true class: {{decided class: cost}}}}, not {matrix!r}"
            ) from None
    try:
        cost = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"a cost matrix is a {k} x {k} array of numbers, not {matrix!r}") from None
    if cost.shape != (k, k):
        raise InputError(
            f"model {model!r} has {k} classes ({', '.join(classes)}): its cost matrix is "
            f"{k} x {k} (rows: true class, columns: decided class), not {cost.shape}"
        )
    if not np.isfinite(cost).all() or (cost < 0).any():
        raise InputError(f"costs are finite numbers >= 0; got {cost.tolist()}")
    diagonal = np.diag(cost)[:, None]
    off = ~np.eye(k, dtype=bool)
    if not (cost > diagonal)[off].all():
        i, j = np.argwhere(~(cost > diagonal) & off)[0]
        raise InputError(
            f"deciding {classes[j]!r} when the truth is {classes[i]!r} must cost more than "
            f"deciding {classes[i]!r} ({cost[i, j]:g} <= {cost[i, i]:g})"
        )
    return cost


def cost_decision(proba: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Per row, the index of the class of least expected cost: ``argmin_j Σ_i p_i · C[i, j]``
    (ties: the first class). With 0 on the diagonal and 1 elsewhere this is the argmax."""
    p = np.nan_to_num(np.asarray(proba, dtype=float), nan=0.0)
    return np.asarray((p @ np.asarray(cost, dtype=float)).argmin(axis=1))


def cost_threshold(cost: np.ndarray) -> float:
    """The score threshold a binary cost matrix implies: decide positive when the expected cost
    of doing so is no larger, ``p >= (C01 - C00) / ((C01 - C00) + (C10 - C11))``.

    >>> cost_threshold(np.array([[0.0, 1.0], [4.0, 0.0]]))  # a miss costs 4 false alarms
    0.2
    """
    c = np.asarray(cost, dtype=float)
    fp, fn = c[0, 1] - c[0, 0], c[1, 0] - c[1, 1]
    return float(fp / (fp + fn))


def set_cost_matrix(
    root: Path,
    registry: SchemaRegistry,
    model: str,
    matrix: Any,
    *,
    version: str | None = None,
    by: str | None = None,
) -> ModelSchema:
    """Record ``matrix`` as the decision rule of ``version`` of ``model`` (the default when
    None) in its schema and the audit trail; returns the new schema.

    Binary: the matrix is over classes (0, 1) and sets the version's threshold to
    :func:`cost_threshold` (read-time decisions follow it). Multiclass: over the model's
    classes; batches logged from now on are decided by :func:`cost_decision`.
    """
    author = by or _user()
    with registry.locked(model) as schema:
        if version is not None and schema.versions and version not in schema.versions:
            raise unknown(f"version of model {model!r}:", version, list(schema.versions))
        if schema.task == "regression":
            raise InputError(f"model {model!r} is a regression: it decides no class")
        if schema.task == "multiclass":
            if not schema.classes:
                raise InputError(
                    f"the classes of model {model!r} are not known yet: log a batch of class "
                    "probabilities first"
                )
            classes = tuple(schema.classes)
        else:
            classes = ("0", "1")
        cost = check_cost_matrix(matrix, classes, model=model)
        key = version or "*"
        stored = tuple(tuple(float(c) for c in row) for row in cost)
        new = replace(schema, cost_matrices={**schema.cost_matrices, key: stored})
        if schema.task != "multiclass":
            t = cost_threshold(cost)
            new = (
                replace(new, threshold=t)
                if version is None
                else replace(new, thresholds={**schema.thresholds, version: t})
            )
        registry.write(new)
    recorded: dict[str, Any] = {"cost_matrix": [list(r) for r in stored], "classes": list(classes)}
    if schema.task != "multiclass":
        recorded["threshold"] = cost_threshold(cost)
    audit.append_threshold(root, model, version, recorded, author)
    return new


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"
