"""The drift explorer's feature table and labels as HTML."""

from __future__ import annotations

import html
import math
from typing import Any

from diaglab.charts.drift import SEVERITY_COLORS, effect_label
from diaglab.queries.filters import Slice
from diaglab.queries.window import Window

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


def describe_window(window: Window) -> str:
    return "everything logged" if window.bounds == (None, None) else str(window)


def number_text(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(x):
        return "–"
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"


def count_text(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "–"
    return f"{int(x):,}" if math.isfinite(x) else "–"


def p_value_text(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(x):
        return "–"
    if x == 0:
        return "&lt;1e-300"
    return f"{x:.2g}" if x >= 1e-3 else f"{x:.0e}"


def severity_badge(severity: str) -> str:
    color = SEVERITY_COLORS.get(severity, "#777")
    return (
        f"<span style='background:{color};color:white;border-radius:3px;padding:1px 6px;"
        f"font-size:11px'>{html.escape(severity)}</span>"
    )


def row_cells(rec: dict[Any, Any], spark: str) -> str:
    widths = dict(COLUMNS)
    stat = effect_label(str(rec.get("effect_statistic", "")))
    n_text = count_text(rec.get("n_current"))
    title = html.escape(
        f"{rec['feature']} ({rec['kind']}, {rec['role']}): n reference {rec.get('n_reference')}, "
        f"PSI {number_text(rec.get('psi'))}, missing "
        f"{number_text(rec.get('missing_rate_reference'))} → "
        f"{number_text(rec.get('missing_rate_current'))}",
        quote=True,
    )
    cells = [
        (widths["verdict"], severity_badge(str(rec["severity"]))),
        (widths["effect"], f"{html.escape(stat)} {number_text(rec.get('effect'))}"),
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
        f"n {count_text(rec['n_reference'])} reference / {count_text(rec['n_current'])} current",
    ]
    new = rec.get("new_categories")
    if new is not None and len(new):
        shown = ", ".join(str(c) for c in list(new)[:5])
        parts.append(f"<span style='color:#d64541'>new: {html.escape(shown)}</span>")
    reason = rec.get("reason")
    if isinstance(reason, str) and reason:
        parts.append(f"<i>{html.escape(reason)}</i>")
    return " · ".join(parts)
