"""The slices ``find_slices`` reported in this process, so that a prediction's card can list the
ones that contain it, and the nearest misses of each search, so that a report built on a recorded
(table-only) result can still say what came closest.

They are kept in the store's memo, so they are forgotten when the store ingests new data (the
slices' statistics would be stale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from diaglab.queries.filters import Slice, predicate
from diaglab.queries.result import Result
from diaglab.queries.window import Window

COLUMNS = ("predicate", "metric", "value", "overall", "support", "p_adjusted", "compared")
_MOST = 50


@dataclass(frozen=True, kw_only=True, repr=False)
class FoundSlices(Result):
    """The slices ``dl.find_slices`` reported, and what the search did.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per reported slice (columns under ``dl.find_slices``); empty when none passed.
    model, metric, window, compare, where
        What was searched (windows and ``where`` as text; ``window`` is None with ``compare``).
    alpha : float
        The false discovery rate.
    min_support : int
        Fewest labelled rows a slice needed.
    labelled : int
        Labelled rows searched.
    features, skipped_features : list of str
        Features sliced on, and those left out (a single value: nothing to slice).
    hypotheses : int
        Slices the lattice holds; ``level_hypotheses`` per level.
    weighting : str
        How the false-discovery budget was spread over the levels.
    evaluated, tested : int
        Slices counted, and those with enough support to be tested.
    truncated : bool
        True when the search stopped short of the whole lattice (``MAX_DEEP_CANDIDATES``).
    nearest_misses : list of dict
        The slices worse than the rest that came nearest to passing, with why they did not.
    """

    table: pd.DataFrame
    model: str
    metric: str
    window: str | None
    compare: list[str] | None
    where: str | None
    alpha: float
    min_support: int
    labelled: int
    features: list[str] = field(default_factory=list)
    skipped_features: list[str] = field(default_factory=list)
    hypotheses: int = 0
    level_hypotheses: list[int] = field(default_factory=list)
    weighting: str = "levels"
    evaluated: int = 0
    tested: int = 0
    truncated: bool = False
    nearest_misses: list[dict[str, Any]] = field(default_factory=list)


def _found(store: Any, model: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = store.memo(("found-slices", model), dict)
    return found


def _request(
    metric: str | None, window: Any, compare: Any, where: Any
) -> tuple[Any, str | None, tuple[str, ...] | None, str | None]:
    """What a search was asked, as ``find_slices`` records it in its result."""
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


def remember(store: Any, model: str, result: FoundSlices) -> None:
    """Keep ``find_slices``' result rows (the latest result of a predicate wins) and its
    nearest misses."""
    request = _request(result.metric, result.window, result.compare, result.where)
    kept: dict[Any, list[dict[str, Any]]] = store.memo(("slice-misses", model), dict)
    kept.pop(request, None)
    kept[request] = list(result.nearest_misses)
    found = result.table
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


def misses_text(nearest_misses: Sequence[dict[str, Any]], *, limit: int = 3) -> list[str]:
    """One line per nearest miss of a ``find_slices`` result (``result.nearest_misses``), for
    reports and explorers."""
    lines = []
    for miss in list(nearest_misses)[:limit]:
        lines.append(
            f"{miss['predicate']}: effect {miss['effect']:+.3g} on {miss['labelled']:,} "
            f"labelled rows, p {miss['p_value']:.2g}, adjusted {miss['p_adjusted']:.2g} "
            f"({miss['why_not']})"
        )
    return lines
