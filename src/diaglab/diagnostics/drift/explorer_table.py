"""The drift explorer's feature table and labels as HTML."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from diaglab import format as fmt
from diaglab.diagnostics.drift.chart import SEVERITY_COLORS, effect_label
from diaglab.errors import unknown
from diaglab.explorers._table import next_sort as table_next_sort
from diaglab.explorers._table import sort_frame
from diaglab.queries.filters import Slice

ROLE_TAG = {"prediction": "model output", "label": "ground truth", "feature": ""}
CELL = "display:inline-block;vertical-align:middle;padding:0 4px;box-sizing:border-box;"
COLUMNS = (
    ("verdict", 92),
    ("effect", 118),
    ("n current", 78),
    ("p (adj.)", 72),
    ("over time", 94),
)


def where_text(where: str | Slice | None) -> str:
    return "" if where is None else str(where)


def p_value_text(v: Any) -> str:
    """Two significant digits; a p-value that underflowed to 0 reads as below the least double."""
    text = fmt.number(v, digits=2)
    return "&lt;1e-300" if text == "0" else text


def severity_badge(severity: str) -> str:
    color = SEVERITY_COLORS.get(severity, "#777")
    return (
        f"<span style='background:{color};color:white;border-radius:3px;padding:1px 6px;"
        f"font-size:11px'>{html.escape(severity)}</span>"
    )


def row_cells(rec: dict[Any, Any], spark: str) -> str:
    widths = dict(COLUMNS)
    stat = effect_label(str(rec.get("effect_statistic", "")))
    n_text = fmt.count(rec.get("n_current"))
    title = html.escape(
        f"{rec['feature']} ({rec['kind']}, {rec['role']}): n reference {rec.get('n_reference')}, "
        f"PSI {fmt.number(rec.get('psi'))}, missing "
        f"{fmt.number(rec.get('missing_rate_reference'))} → "
        f"{fmt.number(rec.get('missing_rate_current'))}",
        quote=True,
    )
    cells = [
        (widths["verdict"], severity_badge(str(rec["severity"]))),
        (widths["effect"], f"{html.escape(stat)} {fmt.number(rec.get('effect'))}"),
        (widths["n current"], n_text),
        (widths["p (adj.)"], p_value_text(rec.get("p_adjusted"))),
        (widths["over time"], spark or "<span style='color:#999'>–</span>"),
    ]
    return (
        f"<div title='{title}' style='white-space:nowrap;font-size:12px'>"
        + "".join(f"<span style='{CELL}width:{px}px'>{body}</span>" for px, body in cells)
        + "</div>"
    )


def feature_summary(rec: dict[Any, Any]) -> str:
    parts = [
        f"<b>{html.escape(str(rec['feature']))}</b>",
        severity_badge(str(rec["severity"])),
        html.escape(f"{rec['kind']}, {ROLE_TAG.get(str(rec['role'])) or 'input feature'}"),
        f"n {fmt.count(rec['n_reference'])} reference / {fmt.count(rec['n_current'])} current",
    ]
    new = rec.get("new_categories")
    if new is not None and len(new):
        shown = ", ".join(str(c) for c in list(new)[:5])
        parts.append(f"<span style='color:#d64541'>new: {html.escape(shown)}</span>")
    reason = rec.get("reason")
    if isinstance(reason, str) and reason:
        parts.append(f"<i>{html.escape(reason)}</i>")
    return " · ".join(parts)


SEVERITY_RANK = {"none": 0, "minor": 1, "moderate": 2, "major": 3}
DEFAULT_SORT = ("verdict", "desc")  # the worst drift first
# header -> the values it sorts by (verdicts by rank, then by effect, as the default order)
_SORT_BY = {
    "column": lambda t: t["feature"].astype(str).str.lower(),
    "verdict": lambda t: (
        t["severity"].map(SEVERITY_RANK).fillna(0)
        + pd.to_numeric(t["effect"], errors="coerce").fillna(-1.0).clip(-1, 1e6) / 2e6
    ),
    "effect": lambda t: pd.to_numeric(t["effect"], errors="coerce"),
    "n current": lambda t: pd.to_numeric(t["n_current"], errors="coerce"),
    "p (adj.)": lambda t: pd.to_numeric(t["p_adjusted"], errors="coerce"),
}


def sort_features(table: pd.DataFrame, column: str, direction: str) -> pd.DataFrame:
    """The drift table's rows in a header's order (missing values last, ties kept in order)."""
    if column not in _SORT_BY:
        raise unknown("drift table column", column, list(_SORT_BY))
    keyed = table.reset_index(drop=True).assign(_key=_SORT_BY[column](table).to_numpy())
    return sort_frame(keyed, "_key", direction).drop(columns="_key")


def sort_header(sort: tuple[str, str], on_sort: Callable[[str], None]) -> w.HBox:
    """The table's header: a button per sortable column, an arrow on the column sorted by."""
    cells: list[w.Widget] = []
    for name, px in (("column", 160), *COLUMNS):
        if name not in _SORT_BY:
            cells.append(w.HTML(f"<span style='{CELL}width:{px}px'>{name}</span>"))
            continue
        arrow = (" ▼" if sort[1] == "desc" else " ▲") if sort[0] == name else ""
        button = w.Button(
            description=name + arrow,
            tooltip=f"sort by {name}",
            layout=w.Layout(width=f"{px}px", height="24px", padding="0"),
        )
        button.add_class("diaglab-drift-sort")
        button.style.font_weight = "bold" if arrow else "normal"
        button.on_click(lambda _b, name=name: on_sort(name))
        cells.append(button)
    header = w.HBox(cells, layout=w.Layout(border_bottom="1px solid #ccc", min_width="max-content"))
    header.add_class("diaglab-drift-header")
    return header


def next_sort(sort: tuple[str, str], column: str) -> tuple[str, str]:
    """A click on ``column``: the other direction of the same column, else text A→Z and
    numbers largest first."""
    return table_next_sort(sort, column, numeric=column != "column")
