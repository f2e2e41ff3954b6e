"""A table whose column headers sort it: one widget for every table the explorers show.

A header click sets :attr:`Table.sort` to ``(column, "asc" | "desc")`` and the header shows an
arrow. A *local* table (a few dozen rows held in the kernel: drift features, slices found,
neighbours) re-sorts the whole frame it was given; a paged table (a slice's rows) leaves the
sort to its owner, which asks the engine for the page in that order (``ORDER BY``), so a sort
never reorders one page in the browser. Rows may carry a button (``#1``) that picks them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import pandas as pd
import traitlets

from diaglab import format as fmt
from diaglab.errors import unknown

_HERE = Path(__file__).parent
ASCENDING, DESCENDING = "asc", "desc"


def sort_frame(frame: pd.DataFrame, column: str, direction: str) -> pd.DataFrame:
    """``frame`` sorted by ``column`` (stable; missing values last in either direction)."""
    if column not in frame.columns:
        return frame
    return frame.sort_values(
        column,
        ascending=direction != DESCENDING,
        na_position="last",
        kind="stable",
        key=_sort_key,
    ).reset_index(drop=True)


def _sort_key(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    return values.map(lambda v: None if v is None or v is pd.NA else str(v).lower())


def next_sort(sort: tuple[str, str], column: str, *, numeric: bool) -> tuple[str, str]:
    """A header click on ``column``: the other direction of the same column, else numbers
    largest first and text A→Z (what ``_table.js`` does in the browser)."""
    if sort[0] == column:
        return (column, ASCENDING if sort[1] == DESCENDING else DESCENDING)
    return (column, DESCENDING if numeric else ASCENDING)


def is_numeric(values: pd.Series) -> bool:
    """Right-aligned, and sorted largest first on a first click."""
    return bool(pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values))


class Table(anywidget.AnyWidget):
    """A sortable HTML table.

    Parameters
    ----------
    sort : (str, str), optional
        The column sorted by and ``"asc"`` or ``"desc"`` at first.
    local : bool
        Re-sort the frame shown on a header click (default). ``False``: the owner observes
        :attr:`sort` and shows the rows in that order itself (rows paged by the engine).
    row_class : str
        A CSS class given to every body row.
    empty : str
        What an empty table reads.
    digits : int
        Significant digits of numbers (:func:`diaglab.format.value`).
    wrap : tuple of str
        Columns whose text wraps to the table's box instead of widening it.
    secondary : tuple of str
        Columns left out in a narrow box (their numbers read elsewhere, e.g. in a why column).
    """

    _esm = (_HERE / "_table.js").read_text()
    _css = """
    .diaglab-table-box { overflow-x: auto; max-width: 100%; container-type: inline-size; }
    @container (max-width: 640px) {
      .diaglab-table .diaglab-secondary { display: none; }
    }
    .diaglab-table { font-size: 12px; border-collapse: collapse; }
    .diaglab-table th, .diaglab-table td { padding: 2px 6px; white-space: nowrap;
      text-align: left; }
    .diaglab-table .diaglab-num { text-align: right; font-variant-numeric: tabular-nums; }
    .diaglab-table td.diaglab-wrap { white-space: normal; overflow-wrap: break-word;
      min-width: 6em; }
    .diaglab-table tbody tr:nth-child(even) { background: var(--jp-layout-color2, #f5f5f5); }
    .diaglab-table-sort { border: 0; background: none; padding: 0; font: inherit;
      font-weight: 600; cursor: pointer; color: inherit; }
    .diaglab-table-sort:hover { text-decoration: underline; }
    .diaglab-table th[aria-sort="ascending"] .diaglab-table-sort,
    .diaglab-table th[aria-sort="descending"] .diaglab-table-sort { color: #1f6fb2; }
    .diaglab-table-pick { min-width: 40px; cursor: pointer; }
    .diaglab-table tbody tr.diaglab-selected { background: var(--jp-brand-color3, #c3dff5); }
    """
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The columns' names (what :attr:`sort` names)."""
    headers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """What each column's header reads (:func:`diaglab.format.column_title`)."""
    rows = traitlets.List(traitlets.List(traitlets.Unicode())).tag(sync=True)
    numeric = traitlets.List(traitlets.Bool()).tag(sync=True)
    wraps = traitlets.List(traitlets.Bool()).tag(sync=True)
    """Per column, whether its text wraps (long text: a slice, why) rather than widen the table."""
    secondary = traitlets.List(traitlets.Bool()).tag(sync=True)
    """Per column, whether it is left out when the table's box is narrow (640 px or less)."""
    sort = traitlets.List(traitlets.Unicode(), default_value=["", ""], minlen=2, maxlen=2).tag(
        sync=True
    )
    """The column sorted by and its direction, ``["", ""]`` for the order given."""
    buttons = traitlets.List(traitlets.Unicode()).tag(sync=True)
    titles = traitlets.List(traitlets.Unicode()).tag(sync=True)
    row_keys = traitlets.List(traitlets.Unicode()).tag(sync=True)
    picked = traitlets.Unicode("").tag(sync=True)
    """The key of the row whose button was clicked last."""
    value = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    """The key of the row drawn selected (a pick sets it; Python may too), or None."""
    picks = traitlets.Int(0).tag(sync=True)
    """How many picks so far: a pick of the same row again still reports."""
    row_class = traitlets.Unicode("").tag(sync=True)
    empty = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        *,
        sort: tuple[str, str] | None = None,
        local: bool = True,
        row_class: str = "",
        empty: str = "no rows",
        digits: int = 4,
        wrap: tuple[str, ...] = (),
        secondary: tuple[str, ...] = (),
    ) -> None:
        super().__init__(row_class=row_class, empty=empty)
        self._local = local
        self._wrap, self._secondary = set(wrap), set(secondary)
        self._digits = digits
        self._frame: pd.DataFrame | None = None
        self._formats: dict[str, Callable[[Any], str]] = {}
        self._buttons: list[str] = []
        self._titles: list[str] = []
        self._keys: list[str] = []
        if sort is not None:
            self.sort = list(sort)

    @traitlets.validate("sort")
    def _valid_sort(self, proposal: Any) -> list[str]:
        column, direction = proposal["value"]
        if direction not in ("", ASCENDING, DESCENDING):
            raise unknown("sort direction", direction, [ASCENDING, DESCENDING])
        return [column, direction]

    @traitlets.observe("sort")
    def _sort_changed(self, change: Any) -> None:
        if self._local and self._frame is not None:
            self._draw()

    @property
    def frame(self) -> pd.DataFrame | None:
        """The rows in the order shown (None before the first :meth:`show`)."""
        if self._frame is None:
            return None
        return self._ordered()[0]

    def show(
        self,
        frame: pd.DataFrame,
        *,
        buttons: list[str] | None = None,
        titles: list[str] | None = None,
        keys: list[str] | None = None,
        formats: dict[str, Callable[[Any], str]] | None = None,
    ) -> None:
        """Show ``frame``; with ``buttons``, a pick button per row (``keys`` name the rows).
        ``formats`` writes a column's values its own way (e.g. p-values with
        :func:`diaglab.format.pvalue`); others read as :func:`diaglab.format.value`."""
        self._formats = dict(formats or {})
        self._frame = frame.reset_index(drop=True)
        self._buttons = list(buttons or [])
        self._titles = list(titles or [""] * len(self._buttons))
        self._keys = list(keys or [str(i) for i in range(len(self._buttons))])
        self._draw()

    def clear(self) -> None:
        """Show nothing (no header either)."""
        self._frame = None
        with self.hold_sync():
            self.columns, self.headers, self.rows, self.buttons = [], [], [], []

    def _value(self, v: Any) -> str:
        return fmt.value(v, digits=self._digits)

    def _ordered(self) -> tuple[pd.DataFrame, list[int]]:
        assert self._frame is not None
        frame = self._frame
        column, direction = self.sort
        if not self._local or not column or column not in frame.columns:
            return frame, list(range(len(frame)))
        order = frame.assign(_at=range(len(frame)))
        order = sort_frame(order, column, direction)
        at = [int(i) for i in order.pop("_at")]
        return order, at

    def _draw(self) -> None:
        frame, at = self._ordered()
        pick = self._buttons
        with self.hold_sync():
            self.columns = [str(c) for c in frame.columns]
            self.headers = [fmt.column_title(c) for c in self.columns]
            self.numeric = [is_numeric(frame[c]) for c in frame.columns]
            self.wraps = [c in self._wrap for c in self.columns]
            self.secondary = [c in self._secondary for c in self.columns]
            writers = [self._formats.get(str(c), self._value) for c in frame.columns]
            self.rows = [
                [write(v) for write, v in zip(writers, rec, strict=True)]
                for rec in frame.itertuples(index=False, name=None)
            ]
            self.buttons = [pick[i] for i in at] if pick else []
            self.titles = [self._titles[i] for i in at] if pick else []
            self.row_keys = [self._keys[i] for i in at] if pick else []
