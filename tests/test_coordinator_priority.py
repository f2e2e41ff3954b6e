"""The coordinator's order of work (``explorers/schedule.py``): after a change, the active tab's
views run first and its first view alone; other tabs' running queries are preempted and run
again after; a tab brought to the front goes first. Order of execution only, never timings."""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as w
import pytest
import traitlets

import diaglab as dl
from diaglab.explorers._base import Explorer
from diaglab.explorers.coordinator import Coordinator, Job

NORTH = dl.Slice.of("region = 'north'")


class Gate:
    """Every job's start, in order; a job of a key in ``held`` blocks until released or, when
    the engine is told to stop it (its store's interrupter), raises as DuckDB does."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.running: set[str] = set()
        self.beside: dict[str, set[str]] = {}  # job -> the jobs running when it started
        self.lock = threading.Condition()
        self.released: set[str] = set()
        self.interrupted: list[str] = []

    def run(self, name: str, stop: threading.Event) -> None:
        with self.lock:
            self.started.append(name)
            self.beside[name] = set(self.running)
            self.running.add(name)
            self.lock.notify_all()
        try:
            while True:
                with self.lock:
                    if name in self.released:
                        return
                    if stop.is_set():
                        stop.clear()
                        self.interrupted.append(name)
                        raise RuntimeError("INTERRUPT Error: Interrupted!")
                    self.lock.wait(0.005)
        finally:
            with self.lock:
                self.running.discard(name)
                self.lock.notify_all()

    def release(self, *names: str) -> None:
        with self.lock:
            self.released.update(names)
            self.lock.notify_all()

    def wait_started(self, name: str, count: int = 1) -> None:
        with self.lock:
            assert self.lock.wait_for(lambda: self.started.count(name) >= count, 30), (
                f"{name} never started; started: {self.started}"
            )


class Engine:
    """A store stand-in whose ``interrupter()``, like DuckDB's, stops the query of the worker
    thread that asked for it (:attr:`stop` is that thread's)."""

    def __init__(self) -> None:
        self._stops: dict[int, threading.Event] = {}

    @property
    def stop(self) -> threading.Event:
        return self._stops.setdefault(threading.get_ident(), threading.Event())

    def interrupter(self) -> Any:
        return self.stop.set

    def refresh(self, **_: Any) -> None:
        return None


class Tab(Explorer):
    """A tab with a cheap first view (rank 0) and a second one (rank 1), both showing ``x``."""

    x = traitlets.Int(0)

    def __init__(self, name: str, gate: Gate) -> None:
        super().__init__(Engine())
        self.name, self.gate = name, gate
        self.shown: dict[str, int] = {}
        for view, rank in (("first", 0), ("second", 1)):
            self.client(
                view,
                request=lambda: self.x,
                run=lambda job, view=view: self._run(view, job),
                show=lambda value, view=view: self.shown.__setitem__(view, value),
                views=[w.HTML()],
                rank=rank,
            )
        self.observe(lambda _c: self.update(), names="x")
        self.start()

    def _run(self, view: str, job: Job) -> int:
        if job.key:  # the first request (x = 0) runs unheld
            self.gate.run(f"{self.name}.{view}", self.store.stop)
        return int(job.key)


@pytest.fixture
def tabs() -> Any:
    gate = Gate()
    coordinator = Coordinator(debounce=0, workers=2)
    with coordinator.building():
        a, b = Tab("a", gate), Tab("b", gate)
    coordinator.wait(None, 30)
    yield gate, coordinator, a, b
    gate.release(*(f"{t}.{v}" for t in "ab" for v in ("first", "second")))
    coordinator.close()


def _change(coordinator: Coordinator, *tabs: Tab) -> None:
    with coordinator.hold():  # one selection pushed to every tab
        for tab in tabs:
            tab.x += 1


def _idle_worker_starts_nothing(gate: Gate) -> None:
    with gate.lock:  # a free worker would have started a second job by now
        gate.lock.wait_for(lambda: len(gate.started) > 1, 0.3)
        assert len(gate.started) == 1, gate.started


def _idle_worker_starts_nothing_beside(gate: Gate, name: str) -> None:
    with gate.lock:
        count = len(gate.started)
        gate.lock.wait_for(lambda: len(gate.started) > count, 0.3)
        assert gate.running == {name} and len(gate.started) == count, gate.started


def test_the_active_tabs_first_view_runs_alone_then_its_others_then_other_tabs(tabs) -> None:
    gate, coordinator, a, b = tabs
    coordinator.focus = {id(b)}
    _change(coordinator, a, b)
    gate.wait_started("b.first")
    _idle_worker_starts_nothing(gate)  # two workers, yet b.first alone
    gate.release("b.first")
    gate.wait_started("b.second")
    assert gate.beside["b.second"] == set()  # the tab's second view after its first
    gate.release("b.second")
    gate.wait_started("a.first")
    gate.wait_started("a.second")  # out of focus: both workers, by rank
    assert gate.started == ["b.first", "b.second", "a.first", "a.second"]
    gate.release("a.first", "a.second")
    coordinator.wait(None, 30)
    assert a.shown == b.shown == {"first": 1, "second": 1}


def test_another_tabs_running_query_is_preempted_and_runs_again_after(tabs) -> None:
    gate, coordinator, a, b = tabs
    coordinator.focus = {id(b)}
    _change(coordinator, a)  # only tab a changes: it runs, out of focus
    gate.wait_started("a.first")
    gate.wait_started("a.second")
    _change(coordinator, b)  # a selection the active tab shows
    gate.wait_started("b.first")
    with gate.lock:  # told to stop, in the engine (a stopping query may end beside b.first)
        assert gate.lock.wait_for(lambda: len(gate.interrupted) == 2, 30)
    assert sorted(gate.interrupted) == ["a.first", "a.second"]
    assert gate.beside["b.first"] <= {"a.first", "a.second"}
    _idle_worker_starts_nothing_beside(gate, "b.first")
    assert not a.coordinator.clients[0].fresh and "diaglab-updating-first" in a._dom_classes
    gate.release("b.first")
    gate.wait_started("b.second")
    gate.release("b.second")
    gate.wait_started("a.first", 2)  # queued again, each with the same request
    gate.wait_started("a.second", 2)
    gate.release("a.first", "a.second")
    coordinator.wait(None, 30)
    assert a.shown == {"first": 1, "second": 1} and a.last_error is None  # nothing failed
    assert coordinator.preemptions == 2
    assert all(c.fresh for c in coordinator.clients)


def test_a_preempted_query_that_finishes_anyway_is_shown_not_run_again(tabs) -> None:
    gate, coordinator, a, b = tabs
    gate.run = _ignoring_interrupts(gate)  # type: ignore[method-assign]
    coordinator.focus = {id(b)}
    _change(coordinator, a)
    gate.wait_started("a.first")
    gate.wait_started("a.second")
    _change(coordinator, b)
    gate.release("a.first", "a.second", "b.first", "b.second")
    coordinator.wait(None, 30)
    assert sorted(gate.started) == ["a.first", "a.second", "b.first", "b.second"]
    assert a.shown == b.shown == {"first": 1, "second": 1}


def _ignoring_interrupts(gate: Gate) -> Any:
    original = gate.run

    def run(name: str, stop: threading.Event) -> None:
        return original(name, threading.Event())

    return run


def test_a_tab_brought_to_the_front_goes_first_and_is_updating_until_fresh(tabs) -> None:
    gate, coordinator, a, b = tabs
    coordinator.focus = {id(a)}
    _change(coordinator, a, b)
    gate.wait_started("a.first")
    assert "diaglab-updating-first" in b._dom_classes  # not shown yet, and says so
    coordinator.focus = {id(b)}  # the person switches to tab b
    gate.wait_started("b.first")
    with gate.lock:
        assert gate.lock.wait_for(lambda: gate.interrupted == ["a.first"], 30)
    _idle_worker_starts_nothing_beside(gate, "b.first")
    gate.release("b.first", "b.second")
    gate.wait_started("a.first", 2)
    assert gate.started.index("b.second") < len(gate.started) - 1
    gate.release("a.first", "a.second")
    coordinator.wait(None, 30)
    assert a.shown == b.shown == {"first": 1, "second": 1}
    assert "diaglab-updating-first" not in b._dom_classes


def test_a_panel_picks_a_slice_its_rows_first_and_alone_then_the_rest(
    sample_store: dl.Store,
) -> None:
    panel = dl.panel(sample_store, "credit", explorers=["drift", "slices", "inspector"])
    try:
        panel.wait(180)
        panel.show("slices")
        log: list[tuple[str, str, str]] = []  # (event, tab, view)
        for client in panel.coordinator.clients:
            client.run = _logged(client, log)
        panel.selection.slice = NORTH
        panel.wait(180)
        starts = [(tab, view) for event, tab, view in log if event == "start"]
        assert starts[0] == ("SliceExplorer", "rows"), starts
        assert log[1] == ("end", "SliceExplorer", "rows")  # nothing ran beside it
        tabs = [tab for tab, _ in starts]
        assert tabs.index("DriftExplorer") > max(
            i for i, t in enumerate(tabs) if t == "SliceExplorer"
        )
        assert {"DriftExplorer", "PredictionInspector"} <= set(tabs)
        assert all(c.fresh or c.background for c in panel.coordinator.clients)
    finally:
        panel.close()


def _logged(client: Any, log: list[tuple[str, str, str]]) -> Any:
    run, tab = client.run, type(client.owner).__name__

    def logged(job: Job) -> Any:
        log.append(("start", tab, client.name))
        try:
            return run(job)
        finally:
            log.append(("end", tab, client.name))

    return logged
