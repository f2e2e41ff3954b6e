"""The slices ``find_slices`` reported in this process, so that a prediction's card can list the
ones that contain it.

They are kept in the store's memo, so they are forgotten when the store ingests new data (the
slices' statistics would be stale).
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from diaglab.queries.filters import Slice, predicate

COLUMNS = ("predicate", "metric", "value", "overall", "support", "p_adjusted", "compared")
_MOST = 50


def _found(store: Any, model: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = store.memo(("found-slices", model), dict)
    return found


def remember(store: Any, model: str, found: pd.DataFrame) -> None:
    """Keep ``find_slices``' result rows (the latest result of a predicate wins)."""
    if found.empty or "slice" not in found.columns:
        return
    registry = _found(store, model)
    compared = "did" in found.columns
    for rec in found.to_dict(orient="records"):
        key = str(rec["predicate"])
        registry.pop(key, None)
        registry[key] = {
            "slice": rec["slice"],
            "predicate": key,
            "metric": rec.get("metric"),
            "value": rec.get("value_b" if compared else "value"),
            "overall": rec.get("overall_b" if compared else "overall"),
            "support": rec.get("support"),
            "p_adjusted": rec.get("p_adjusted"),
            "compared": compared,
        }
    while len(registry) > _MOST:
        registry.pop(next(iter(registry)))


def containing_none() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in COLUMNS})


def containing(store: Any, model: str, prediction_id: str) -> pd.DataFrame:
    """The remembered slices that contain the prediction (one query, one row of booleans)."""
    found = list(_found(store, model).values())
    if not found:
        return containing_none()
    t = store.table(model)
    row = t.filter(t.prediction_id == prediction_id)
    inside = row.select(
        **{
            f"s{i}": predicate(row, Slice.of(f["slice"])).fill_null(ibis.literal(False))
            for i, f in enumerate(found)
        }
    )
    flags = inside.to_pyarrow().to_pylist()
    hits = flags[0] if flags else {}
    rows = [{c: f[c] for c in COLUMNS} for i, f in enumerate(found) if hits.get(f"s{i}")]
    return pd.DataFrame(rows, columns=list(COLUMNS))
