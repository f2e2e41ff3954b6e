"""The slices ``find_slices`` reported in this process, so that a prediction's card can list the
ones that contain it, and the nearest misses of each search, so that a report built on a recorded
(table-only) result can still say what came closest.

They are kept in the store's memo, so they are forgotten when the store ingests new data (the
slices' statistics would be stale).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import pandas as pd

from diaglab.queries.filters import Slice, predicate
from diaglab.queries.window import Window

COLUMNS = ("predicate", "metric", "value", "overall", "support", "p_adjusted", "compared")
_MOST = 50


def _found(store: Any, model: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = store.memo(("found-slices", model), dict)
    return found


def _request(
    metric: str | None, window: Any, compare: Any, where: Any
) -> tuple[Any, str | None, tuple[str, ...] | None, str | None]:
    """What a search was asked, as ``find_slices`` writes it in its ``attrs``."""
    return (
        metric,
        None if window is None else str(window),
        None if compare is None else tuple(str(c) for c in compare),
        None if where is None else str(where),
    )


def misses(
    store: Any,
    model: str,
    *,
    metric: str = "error",
    window: Any = None,
    compare: tuple[Any, Any] | None = None,
    where: Any = None,
) -> list[dict[str, Any]]:
    """The nearest misses of this process's latest ``find_slices`` with these arguments (empty
    when there was none, or the store ingested since)."""
    request = _request(
        metric,
        None if compare is not None else Window.of(window),
        None if compare is None else [Window.of(c) for c in compare],
        where,
    )
    kept: dict[Any, list[dict[str, Any]]] = store.memo(("slice-misses", model), dict)
    return list(kept.get(request, []))


def remember(store: Any, model: str, found: pd.DataFrame) -> None:
    """Keep ``find_slices``' result rows (the latest result of a predicate wins) and its
    nearest misses."""
    a = found.attrs
    request = _request(a.get("metric"), a.get("window"), a.get("compare"), a.get("where"))
    kept: dict[Any, list[dict[str, Any]]] = store.memo(("slice-misses", model), dict)
    kept.pop(request, None)
    kept[request] = list(a.get("nearest_misses") or [])
    while len(kept) > _MOST:
        kept.pop(next(iter(kept)))
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


def misses_text(attrs: Mapping[Any, Any], *, limit: int = 3) -> list[str]:
    """One line per nearest miss of a ``find_slices`` result, for reports and explorers."""
    lines = []
    for miss in list(attrs.get("nearest_misses") or [])[:limit]:
        lines.append(
            f"{miss['predicate']}: effect {miss['effect']:+.3g} on {miss['labelled']:,} "
            f"labelled rows, p {miss['p_value']:.2g}, adjusted {miss['p_adjusted']:.2g} "
            f"({miss['why_not']})"
        )
    return lines
