"""Decision thresholds: the cut-off turning a score into a decision, per model version.

A binary model's predicted class is ``score >= threshold``. The threshold lives in the model's
schema (``models/<model>/schema.json``): a default for the model and one per version, set with
``store.set_threshold`` or ``store.register_model(..., threshold=)``; each change is chained in the
audit trail with who made it and when (:func:`diaglab.store.audit.append_threshold`). Queries
decide at read time from the stored score (:func:`diaglab.queries.scope.decided`), so a new
threshold applies to every row already logged, and ``threshold=`` on a diagnostic overrides it
for one call.

A multiclass model stores only its top probability, so its per-class thresholds are applied when a
batch is logged: the class is the one whose probability exceeds its threshold by the most
(:func:`class_decision`); without thresholds, the argmax.
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


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"
