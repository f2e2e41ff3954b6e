"""The evidence a reader needs: a curated, formatted table per finding kind for the HTML,
Markdown and PDF reports (the full table stays in the JSON and Parquet exports).

A drift finding's table has 34 columns (``moderate_threshold``, ``chi_square_dof`` …); its report
shows feature, verdict, effect, p adj. and n. Each kind names its columns in :data:`CURATED`;
a kind without an entry keeps its columns minus the helpers every result carries (intervals'
ends, raw p-values, thresholds, error bounds), at most :data:`MAX_COLUMNS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diaglab import format as fmt

MAX_COLUMNS = 8

Cell = Callable[[Mapping[str, Any]], str]


def _col(name: str, how: Callable[[Any], str] = fmt.value) -> Cell:
    return lambda row: how(row.get(name))


def _effect(row: Mapping[str, Any]) -> str:
    names = {"wasserstein": "W₁/σ", "js_distance": "JS", "psi": "PSI"}
    stat = str(row.get("effect_statistic") or "")
    return f"{names.get(stat, stat)} {fmt.number(row.get('effect'))}".strip()


def _interval(row: Mapping[str, Any]) -> str:
    lo, hi = row.get("lower", row.get("low")), row.get("upper", row.get("high"))
    if lo is None and hi is None:
        return fmt.MISSING
    return f"{fmt.number(lo)} – {fmt.number(hi)}"


CURATED: dict[str, list[tuple[str, Cell]]] = {
    "drift": [
        ("feature", _col("feature")),
        ("verdict", _col("severity")),
        ("effect", _effect),
        ("p adj.", _col("p_adjusted", fmt.pvalue)),
        ("n reference", _col("n_reference", fmt.count)),
        ("n current", _col("n_current", fmt.count)),
        (
            "missing",
            lambda r: fmt.change(
                fmt.percent(r.get("missing_rate_reference")),
                fmt.percent(r.get("missing_rate_current")),
            ),
        ),
    ],
    "drift_over_time": [
        ("feature", _col("feature")),
        ("window", _col("window_start")),
        ("value", _col("value")),
        ("alert", _col("alert")),
        ("n", _col("n", fmt.count)),
    ],
    "find_slices": [
        ("slice", _col("predicate")),
        ("metric", _col("metric")),
        ("value", _col("value")),
        ("interval", _interval),
        ("overall", _col("overall")),
        ("p adj.", _col("p_adjusted", fmt.pvalue)),
        ("rows", _col("support", fmt.count)),
        ("labelled", _col("labelled", fmt.count)),
    ],
    "metrics_over_time": [
        ("window", _col("window_start")),
        ("series", _col("series")),
        ("metric", _col("metric")),
        ("kind", _col("kind")),
        ("value", _col("value")),
        ("interval", _interval),
        ("n", _col("n", fmt.count)),
        ("alert", _col("alert")),
    ],
}

_HELPER = re.compile(
    r"(_lower|_upper|_low|_high|_overall|_p_value|_reason|_error_bound|_threshold|_dof|"
    r"^correction|^alpha|^min_severity|^p_value|^band_low|^band_high|^gap|^partial|"
    r"^window_end)$"
)
_PERCENT = re.compile(r"(share|rate|coverage)$")


@dataclass(frozen=True)
class Evidence:
    """A finding's table as a reader sees it: headers and text cells, and how many of the
    finding's columns and rows it leaves to the JSON/Parquet exports."""

    columns: list[str]
    rows: list[list[str]]
    total_rows: int
    hidden_columns: int


def kind_of(finding: Any) -> str:
    """The diagnostic a finding came from (``drift``, ``find_slices`` …), or ``""``."""
    spec = (getattr(finding, "query", None) or {}).get("spec") or {}
    return str(spec.get("kind", "")) if isinstance(spec, Mapping) else ""


def _generic(columns: Sequence[str]) -> list[tuple[str, Cell]]:
    kept = [c for c in columns if not _HELPER.search(str(c))][:MAX_COLUMNS]
    out: list[tuple[str, Cell]] = []
    for c in kept:
        c = str(c)
        if c.startswith("p_") or c.endswith("_p_adjusted"):
            out.append((c, _col(c, fmt.pvalue)))
        elif _PERCENT.search(c):
            out.append((c, _col(c, fmt.percent)))
        else:
            out.append((c, _col(c)))
    return out


def evidence(finding: Any, *, max_rows: int | None = None) -> Evidence:
    """The curated table of ``finding`` (see the module's docstring)."""
    table = getattr(finding, "table", None) or {}
    columns = [str(c) for c in table.get("columns", [])]
    rows = list(table.get("rows", []))
    curated = CURATED.get(kind_of(finding))
    if curated is not None:
        needed = {"feature", "predicate", "window_start", "value"}
        if not (needed & set(columns)):
            curated = None  # a table of another shape under this kind: keep its own columns
    spec = curated or _generic(columns)
    shown = rows if max_rows is None else rows[:max_rows]
    records = [dict(zip(columns, r, strict=False)) for r in shown]
    cells = [[cell(rec) for _, cell in spec] for rec in records]
    used = len(spec) if curated is None else len({c for c in columns if c in _sources(curated)})
    return Evidence(
        columns=[h for h, _ in spec],
        rows=cells,
        total_rows=int(table.get("total_rows", len(rows))),
        hidden_columns=max(0, len(columns) - used),
    )


def _sources(curated: list[tuple[str, Cell]]) -> set[str]:
    """The raw columns a curated table reads (by probing each cell with a recording row)."""
    seen: set[str] = set()

    class Probe(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            seen.add(key)
            return default

    for _, cell in curated:
        cell(Probe())
    return seen
