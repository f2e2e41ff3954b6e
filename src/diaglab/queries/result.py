"""``Result``: what every diagnostic returns, one convention everywhere.

A result is a frozen value with

- ``table`` — a DataFrame: what a finding shows and ``recheck`` compares;
- typed metadata — the numbers a person needs to read the table (a search's ``tested`` count,
  a slice table's ``overall`` values), as attributes, never in ``DataFrame.attrs``;
- ``spec`` — the spec that produced it (set by ``Spec.run``; ``spec.call()`` reproduces it);
- ``warnings`` — what makes the result less than it seems, in words.

In a notebook a result shows its reproducing call, its warnings and the first rows of its table.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SHOWN_ROWS = 20
"""Rows of the table a result shows in a notebook (``result.table`` has them all)."""


@dataclass(frozen=True, kw_only=True, repr=False)
class Result:
    """Base of every diagnostic's result: ``table``, typed metadata, ``spec`` and ``warnings``.

    Subclasses hold ``table`` as a field or compute it (a property); ``spec`` is set by the spec
    that ran (``None`` when the implementation was called directly).
    """

    spec: Any = field(default=None, compare=False)
    warnings: tuple[str, ...] = ()

    def _table(self) -> pd.DataFrame:
        # every subclass has ``table`` as a field or a property; a property here would shadow
        # the subclasses' fields
        table: pd.DataFrame = getattr(self, "table")  # noqa: B009
        return table

    def _heading(self) -> str:
        if self.spec is not None:
            return str(self.spec.call())
        return type(self).__name__

    def __repr__(self) -> str:
        table = self._table()
        lines = [f"<{type(self).__name__} {self._heading()}: {len(table)} row(s)>"]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table = self._table()
        head = f"<b>{html.escape(type(self).__name__)}</b> <code>{html.escape(self._heading())}"
        head += f"</code>: {len(table):,} row(s)"
        warned = "".join(f"<br>⚠ {html.escape(w)}" for w in self.warnings)
        shown = table.head(SHOWN_ROWS).to_html(index=False, max_cols=20)
        more = f"<i>… {len(table) - SHOWN_ROWS:,} more row(s) in .table</i>"
        return head + warned + shown + (more if len(table) > SHOWN_ROWS else "")


@dataclass(frozen=True, kw_only=True, repr=False)
class TableResult(Result):
    """A result that is a table and nothing more (a diagnostic whose implementation returned a
    bare DataFrame is wrapped in one by ``Spec.run``)."""

    table: pd.DataFrame
