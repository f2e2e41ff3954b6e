"""One client lifecycle: stale work superseded and interrupted, views 'updating' until fresh,
every view of a panel carrying the header's scope after a sequence of selections."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
import ipywidgets as w
import numpy as np
import pandas as pd
import pytest
import traitlets

import diaglab as dl
from conftest import START
from diaglab.explorers._base import Explorer
from diaglab.explorers.coordinator import Coordinator, Job
from diaglab.queries.window import format_window
from test_selection import build_store

NORTH = dl.Slice.of("region = 'north'")
SOUTH = dl.Slice.of("region = 'south'")


class FakeStore:
    """Stands in for a store: ``interrupter()`` hands the worker a function that records the
    call and, like DuckDB, makes the running query raise."""

    def __init__(self) -> None:
        self.interrupts = 0
        self.stop = threading.Event()

    def interrupter(self) -> Any:
        def interrupt() -> None:
            self.interrupts += 1
            self.stop.set()

        return interrupt

    def refresh(self, **_: Any) -> None:
        return None


class Toy(Explorer):
    """One view showing ``x``: its query for ``slow`` blocks until interrupted or released."""

    x = traitlets.Int(0)

    def __init__(self, store: Any, *, slow: int, raise_on_interrupt: bool, **kw: Any) -> None:
        super().__init__(store)
        self.slow, self.raise_on_interrupt = slow, raise_on_interrupt
        self.started = threading.Event()
        self.release = threading.Event()
        self.shown: list[int] = []
        self.view = w.HTML("")
        self.client(
            "view", request=lambda: self.x, run=self._run, show=self._show, views=[self.view]
        )
        self.observe(lambda _c: self.update(), names="x")
        self.start()

    def _run(self, job: Job) -> int:
        if job.key == self.slow:
            self.started.set()
            while not self.release.is_set():
                if self.raise_on_interrupt and self.store.stop.is_set():
                    raise RuntimeError("INTERRUPT Error: Interrupted!")
                threading.Event().wait(0.005)
        return int(job.key)

    def _show(self, value: int) -> None:
        self.shown.append(value)
        self.view.value = str(value)


@pytest.mark.parametrize("raise_on_interrupt", [True, False])
def test_a_slow_stale_query_is_interrupted_and_its_result_never_shown(
    raise_on_interrupt: bool,
) -> None:
    store = FakeStore()
    toy = Toy(store, slow=1, raise_on_interrupt=raise_on_interrupt).wait(30)
    assert toy.shown == [0] and toy.view.value == "0"
    toy.x = 1
    assert toy.started.wait(30)  # the query of x = 1 is under way
    # "updating" until fresh: the explorer marks the view, whose rule dims it
    assert "diaglab-updating-view" in toy._dom_classes and "diaglab-busy" in toy._dom_classes
    assert "diaglab-view-view" in toy.view._dom_classes and toy.busy
    assert ".diaglab-updating-view .diaglab-view-view" in toy.updating.value
    toy.x = 2  # supersedes it
    assert (
        store.interrupts >= 1
    )  # the engine was told to stop the stale query (again while it runs)
    toy.release.set()  # a query that ignored the interrupt finishes anyway
    toy.wait(30)
    assert toy.shown == [0, 2]  # the result of x = 1 was never shown
    assert toy.view.value == "2" and "diaglab-updating-view" not in toy._dom_classes
    assert "diaglab-busy" not in toy._dom_classes
    assert toy.last_error is None  # an interrupted query's error is nobody's business
    toy.close()


def test_a_queued_stale_request_never_starts() -> None:
    coordinator = Coordinator(debounce=None)
    with coordinator.building():
        toy = Toy(FakeStore(), slow=-1, raise_on_interrupt=False)
    ran: list[int] = []
    real = toy._run
    toy.coordinator.clients[0].run = lambda job: ran.append(job.key) or real(job)
    for x in (1, 2, 3):
        toy.x = x  # nothing submitted until flush (debounce=None)
    coordinator.wait(None, 30)
    assert ran == [3] and toy.shown == [3]
    toy.close()
    coordinator.close()


def test_the_engine_query_of_a_superseded_view_is_interrupted(tmp_path: Path) -> None:
    store = dl.open(tmp_path / "store")
    errors: list[BaseException] = []

    class Counting(Explorer):
        x = traitlets.Int(0)

        def __init__(self) -> None:
            super().__init__(store)
            self.started = threading.Event()
            self.client("count", request=lambda: self.x, run=self._run, show=lambda _v: None)
            self.observe(lambda _c: self.update(), names="x")
            self.start()

        def _run(self, job: Job) -> int:
            if job.key != 1:
                return 0
            self.started.set()
            try:  # minutes of work unless interrupted
                self.store.ibis.con.execute(
                    "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3"
                ).fetchall()
            except BaseException as exc:
                errors.append(exc)
                raise
            return 1

    ex = Counting().wait(30)
    ex.x = 1
    assert ex.started.wait(30)
    ex.x = 2
    ex.wait(60)
    assert len(errors) == 1 and isinstance(errors[0], duckdb.InterruptException)
    assert ex.last_error is None
    assert store.ibis.con.execute("SELECT 42").fetchall() == [(42,)]  # the next query runs
    ex.close()
    store.close()


# -- a panel: every view carries the header's scope ---------------------------------------------


def _spans(n: int = 140) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    start = START + pd.to_timedelta(np.arange(n) * 144, unit="min")  # across the 14 days
    duration = pd.to_timedelta(rng.integers(5, 500, n), unit="ms")
    return pd.DataFrame(
        {
            "trace_id": [f"{i + 1:032x}" for i in range(n)],
            "span_id": [f"{i + 1:016x}" for i in range(n)],
            "name": "predict",
            "start": start,
            "end": start + duration,
            "status": np.where(rng.random(n) < 0.2, "error", "ok"),
        }
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = build_store(tmp_path_factory.mktemp("coordinator") / "store")
    s.log_spans(_spans())
    s.refresh(progress=False)
    yield s
    s.close()


def _inside(ts: Any, window: dl.Window) -> bool:
    t = pd.to_datetime(pd.Series(ts), utc=True)
    return bool(((t >= window.start) & (t < window.end)).all())


def _check_scope(panel: Any, store: dl.Store, window: dl.Window, where: dl.Slice) -> None:
    """Every view of the panel is fresh and shows the header's window and slice."""
    header = panel.selection_html.value
    assert format_window(window) in header and where.expression.split()[0] in header
    assert all(c.fresh for c in panel.coordinator.clients), panel.coordinator.clients
    drift, slices = panel.explorers["drift"], panel.explorers["slices"]
    inspector, traces = panel.explorers["inspector"], panel.explorers["traces"]
    assert drift.report is not None and drift.report.window == window
    assert drift.spec.scope.where == where
    assert slices.selected_slice == where and slices.spec.scope.window == window
    rows = slices.rows
    assert rows is not None and len(rows) and _inside(rows["timestamp"], window)
    assert set(rows["region"]) == {where.conditions[0].value}
    worst = inspector.worst_errors
    assert worst is not None and len(worst) and _inside(worst["timestamp"], window)
    table = store.table("credit").to_pandas()
    in_slice = set(table.loc[table["region"] == where.conditions[0].value, "prediction_id"])
    assert set(worst["prediction_id"]) <= in_slice
    assert traces.traces is not None and len(traces.traces)
    assert _inside(traces.traces["start"], window)
    if "metrics" in panel.explorers:
        assert panel.explorers["metrics"].spec.scope.where == where


def test_every_view_of_a_panel_follows_a_sequence_of_selections(store: dl.Store) -> None:
    panel = dl.panel(store, "credit")
    try:
        panel.wait(180)
        drift, slices = panel.explorers["drift"], panel.explorers["slices"]
        slices.selected_slice = NORTH  # a slice picked in the Slices tab
        panel.wait(180)
        first = dl.Window("2026-01-03", "2026-01-06")
        drift.window = first  # then a period brushed in the Drift tab
        panel.wait(180)
        _check_scope(panel, store, first, NORTH)
        slices.selected_slice = SOUTH  # another slice, then another period
        second = dl.Window("2026-01-08", "2026-01-12")
        drift.window = second
        panel.wait(180)
        _check_scope(panel, store, second, SOUTH)
    finally:
        panel.close()


def test_a_background_view_waits_for_every_other_job_and_nobody_waits_for_it() -> None:
    store = FakeStore()
    toy = Toy(store, slow=1, raise_on_interrupt=False).wait(30)
    began, finish = threading.Event(), threading.Event()

    def ahead(job: Job) -> str:
        began.set()
        assert finish.wait(30)
        return "loaded"

    toy.x = 1
    assert toy.started.wait(30)  # a foreground query under way on one worker
    loading = toy.client("ahead", request=lambda: "model", run=ahead, show=lambda _r: None,
                         background=True)  # fmt: skip
    toy.update()
    assert not began.wait(0.3)  # the second worker is free, yet it does not start
    toy.release.set()
    assert began.wait(30)  # once nothing else is queued or running
    toy.wait(30)  # returns while the background view still runs
    assert not loading.fresh and not toy.busy and "diaglab-busy" not in toy._dom_classes
    finish.set()
    for _ in range(3000):
        if loading.fresh:
            break
        threading.Event().wait(0.01)
    assert loading.fresh and toy.shown == [0, 1]
    toy.close()
