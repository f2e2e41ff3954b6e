"""The Drift explorer's two clients: a new window shows the selected row from a query of that one
column (cheap, first), and the whole table after; both agree with ``dl.drift``."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

import diaglab as dl
from diaglab import format as fmt
from diaglab.diagnostics.drift.spec import DriftSpec

BEFORE = ("2026-01-12", "2026-01-26")
AFTER = ("2026-02-10", "2026-03-02")


@pytest.fixture
def drift(sample_store: Any) -> Any:
    ex = dl.DriftExplorer(sample_store, "credit", window=BEFORE).wait()
    ex.feature = "income"
    yield ex.wait()
    ex.close()


@pytest.fixture
def ran(drift: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...] | None]:
    """The ``features`` of every drift spec run once ``drift`` is drawn (None: every column)."""
    runs: list[tuple[str, ...] | None] = []
    original = DriftSpec.run

    def spy(spec: DriftSpec, store: Any, **options: Any) -> Any:
        runs.append(spec.features)
        return original(spec, store, **options)

    monkeypatch.setattr(DriftSpec, "run", spy)
    return runs


def test_a_new_window_queries_the_selected_column_alone_and_the_table(
    drift: Any, sample_store: Any, ran: list[tuple[str, ...] | None]
) -> None:
    drift.window = AFTER
    drift.wait()
    assert len(ran) == 2 and set(ran) == {("income",), None}  # one column; every column
    client = next(c for c in drift.coordinator.clients if c.name == "selected feature")
    assert client.fresh and client.key == replace(drift.spec, features=("income",))

    direct = dl.drift(sample_store, "credit", window=AFTER).table.set_index("feature")
    assert "[2026-02-10, 2026-03-02)" in drift.window_label.value
    assert f"{int(direct['n_current'].max()):,} predictions" in drift.window_label.value
    assert f"{fmt.count(direct.loc['income', 'n_current'])} current" in drift.feature_label.value
    subtitle = json.dumps(drift.chart_json()["title"])
    assert fmt.number(direct.loc["income", "effect"]) in subtitle


def test_picking_a_row_after_the_table_runs_no_query(
    drift: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[Any] = []
    monkeypatch.setattr(DriftSpec, "run", lambda spec, store, **o: ran.append(spec))
    drift.feature = "age"
    assert not drift.busy  # nothing to wait for: the table's report holds the row
    drift.wait()
    assert ran == []
    assert "age" in drift.feature_label.value
    drift.feature = "prediction"
    drift.wait()
    assert ran == [] and "prediction" in drift.feature_label.value


def test_out_of_focus_the_table_alone_runs_and_settles_the_selected_row(
    drift: Any, ran: list[tuple[str, ...] | None]
) -> None:
    drift.coordinator.focus = {id(object())}  # another tab is shown
    drift.window = AFTER
    drift.wait()
    assert ran == [None]  # the table; its report holds the selected row
    client = next(c for c in drift.coordinator.clients if c.name == "selected feature")
    assert client.fresh and client.key == replace(drift.spec, features=("income",))
    assert "[2026-02-10, 2026-03-02)" in drift.window_label.value
    drift.coordinator.focus = {id(drift)}
    drift.window = BEFORE
    drift.wait()
    assert len(ran) == 3 and set(ran[1:]) == {("income",), None}  # in focus, the row runs again
