"""One lifecycle for every view of an explorer or a panel: clients, requests, one coordinator.

After Mosaic's coordinator (``MosaicClient``: prepare → query → result → update; one coordinator
running the queries of every client, a selection whose predicate filters them). In diaglab:

- A :class:`Client` is one view (a chart, a table, a page of rows, a list). It declares
  ``request()``: a hashable key derived from its explorer's state (a spec, or a tuple of the
  values its query depends on; None when there is nothing to show), ``run(job)``: the query, on a
  worker thread, reading only ``job.key``, and ``show(result)``: the rendering.
- The :class:`Coordinator` re-derives the keys after every change (``update``); exactly the
  clients whose key changed are stale. A stale client's views are dimmed and not clickable at
  once (see ``UPDATING`` below) until a result *of the current key* is shown: a result of an
  older key is never shown.
- A new key supersedes the client's queued and running jobs: a queued job never starts, a running
  one is interrupted in the engine (``store.interrupter()``, DuckDB's ``interrupt()``) and its
  result dropped.
- Requests are submitted after a quiet period (``debounce``): the first change of a burst at once,
  the rest once the burst pauses, so a dragged brush runs the first and the last window only.
  :meth:`Coordinator.hold` batches changes made together (a selection pushed to several traits).
- Jobs run on a few worker threads (``workers``), in the order :mod:`.schedule` decides: the
  explorers in :attr:`Coordinator.focus` (the panel's active tab) first and alone, its first view
  before the rest; other tabs' running jobs are preempted (interrupted and queued again) while
  the active tab's wait. Each thread queries through its own cursor (``store.ibis``), so no lock
  is held around a query.

Explorers create their clients in ``__init__`` (``Explorer.client``); a panel or ``dl.link``
shares one coordinator among its explorers.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import re
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any

from diaglab.explorers import schedule
from diaglab.explorers.schedule import Job, Superseded

# A stale view is marked on its explorer's root element: ``diaglab-updating-<client>`` (waiting
# for the result of its current request) or ``diaglab-stale-<client>`` (that request failed; the
# error is under the widget), with ``diaglab-busy`` while any view updates. The view itself
# carries ``diaglab-view-<client>`` from the start and is never re-classed: Vega's embed code
# rewrites its element's classes as it redraws, which would undo a class toggled on a chart.
UPDATING = "diaglab-updating"
FAILED = "diaglab-stale"
BUSY = "diaglab-busy"
VIEW = "diaglab-view"
WORKER = "diaglab-worker"
IDLE_EXIT_S = 30.0  # a worker with nothing to do for this long ends (a new one starts on demand)
REINTERRUPT_S, REINTERRUPTS = 0.05, 100  # a superseded job's query is interrupted for up to 5 s

Timer = Callable[[float, Callable[[], None]], Any]

_NO_KEY = object()  # a client that has not requested anything yet
_current: contextvars.ContextVar[Coordinator | None] = contextvars.ContextVar(
    "diaglab_coordinator", default=None
)


def thread_timer(delay: float, fire: Callable[[], None]) -> threading.Timer:
    """The default debounce timer: ``fire()`` on a daemon thread after ``delay`` seconds."""
    timer = threading.Timer(delay, fire)
    timer.daemon = True
    timer.name = "diaglab-debounce"
    timer.start()
    return timer


class Client:
    """One view whose content is the result of a query derived from its explorer's state.

    Parameters
    ----------
    owner : Explorer
        The explorer the view belongs to (its lock guards rendering, its error area shows errors).
    name : str
        What the view is, as a person reads it in "updating rows, chart".
    request : callable
        ``request() -> key``: a hashable key of everything the query depends on, or None when
        there is nothing to show. Called on the thread that changed the state.
    run : callable
        ``run(job) -> result``: the query, on a worker thread, reading only ``job.key``.
    show : callable
        ``show(result)``: draw the result (called only while ``job.key`` is still current).
    clear : callable, optional
        ``clear()``: empty the view when ``request()`` returns None.
    views : sequence of widgets
        The widgets dimmed while the client is stale (class ``diaglab-view-<name>``).
    rank : int
        Order among an explorer's clients (lower first): cheap views a person waits on first.
    preview : bool
        A cheap early answer that another client of the same explorer also delivers (and then
        settles, see :meth:`Coordinator.settle`): out of focus it waits for those and is not run.
    background : bool
        Work ahead of need that draws nothing (loading a model): it starts only while no other
        job is queued or running, and nobody waits for it (:meth:`Coordinator.busy`).
    """

    def __init__(
        self,
        owner: Any,
        name: str,
        *,
        request: Callable[[], Hashable | None],
        run: Callable[[Job], Any],
        show: Callable[[Any], None],
        clear: Callable[[], None] | None = None,
        views: Sequence[Any] = (),
        rank: int = 0,
        preview: bool = False,
        background: bool = False,
    ) -> None:
        self.owner, self.name = owner, name
        self.request, self.run, self.show, self.clear = request, run, show, clear
        self.views = tuple(views)
        self.rank, self.preview, self.background = rank, preview, background
        self.slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        for view in self.views:
            view.add_class(f"{VIEW}-{self.slug}")
        self.key: Any = _NO_KEY
        self.failed = False
        self.generation = 0  # bumped on every request: a forced re-request of one key differs
        self.shown = -1  # the generation whose result is shown

    @property
    def fresh(self) -> bool:
        """True when the view shows the result of its current request (or has nothing to show)."""
        return self.key is None or (self.key is not _NO_KEY and self.shown == self.generation)

    def current(self, job: Job) -> bool:
        """Whether ``job`` computes the client's current request."""
        return not job.cancelled and job.generation == self.generation

    def _mark(self, cls: str | None) -> None:
        for name in (UPDATING, FAILED):
            if name == cls:
                self.owner.add_class(f"{name}-{self.slug}")
            else:
                self.owner.remove_class(f"{name}-{self.slug}")

    def css(self) -> str:
        """The style rule dimming this client's views while stale."""
        views = f".{VIEW}-{self.slug}"
        return (
            f".{UPDATING}-{self.slug} {views}, .{FAILED}-{self.slug} {views} "
            "{opacity: .4; pointer-events: none; transition: opacity .15s}"
        )

    def __repr__(self) -> str:
        state = "fresh" if self.fresh else "failed" if self.failed else "updating"
        return f"<Client {type(self.owner).__name__}.{self.name} {state}>"


class Coordinator:
    """Runs the queries of every client of one or more explorers; see the module docstring.

    Parameters
    ----------
    debounce : float or None
        Seconds of quiet before the requests of a burst are submitted; the first change of a
        burst is submitted at once. ``0`` submits every change at once; None submits only on
        :meth:`flush` (scripts and tests that want to apply many changes by hand).
    timer : callable
        ``timer(delay, fire)`` starting a cancellable timer (tests pass a manual one).
    clock : callable
        Monotonic seconds (tests pass a manual one).
    workers : int
        Worker threads (each queries through its own cursor).
    """

    def __init__(
        self,
        *,
        debounce: float | None = 0.0,
        timer: Timer = thread_timer,
        clock: Callable[[], float] = time.monotonic,
        workers: int = 2,
    ) -> None:
        self.debounce = debounce
        self.workers = workers
        self._focus: frozenset[int] = frozenset()
        self.preemptions = 0  # jobs stopped for the active tab's and queued again
        self.submissions = 0  # how many times requests were submitted (one per burst)
        self._timer_factory, self._clock = timer, clock
        self._timer: Any = None
        self._last_submit = -float("inf")
        self._cond = threading.Condition(threading.RLock())
        self._clients: list[Client] = []
        self._dirty: dict[Client, bool] = {}  # stale clients not submitted yet -> force
        self._queue: list[Job] = []
        self._running: dict[Client, Job] = {}
        self._threads: list[threading.Thread] = []
        self._holding = 0
        self._closed = False
        self._seq = itertools.count()

    # -- clients ------------------------------------------------------------------------------

    @property
    def focus(self) -> frozenset[int]:
        """The ``id()`` of the explorers shown (the panel's active tab): their jobs go first and
        alone (see :mod:`diaglab.explorers.schedule`); empty for no preference."""
        return self._focus

    @focus.setter
    def focus(self, explorers: Any) -> None:
        with self._cond:
            self._focus = frozenset(explorers)
            self._preempt()
            self._cond.notify_all()

    @property
    def clients(self) -> list[Client]:
        """The clients connected, in the order they joined."""
        with self._cond:
            return list(self._clients)

    def connect(self, client: Client) -> Client:
        """Add ``client``; it is requested on the next :meth:`update` of its explorer."""
        with self._cond:
            self._clients.append(client)
        return client

    def disconnect(self, owner: Any, *, wait: bool = True) -> list[Client]:
        """Remove ``owner``'s clients: queued jobs dropped, a running one interrupted (and, with
        ``wait``, waited for, so the store can be closed after). Returns the clients removed."""
        with self._cond:
            gone = [c for c in self._clients if c.owner is owner]
            for c in gone:
                self._supersede(c)
                self._dirty.pop(c, None)
            self._clients = [c for c in self._clients if c.owner is not owner]
            self._cond.notify_all()
            if wait and not threading.current_thread().name.startswith(WORKER):
                self._cond.wait_for(lambda: not any(c in self._running for c in gone), 60)
        return gone

    def adopt(self, owner: Any) -> None:
        """Move ``owner``'s clients here from the coordinator it had (``dl.link``); they are
        requested again here."""
        old = owner.coordinator
        if old is self:
            return
        moved = old.disconnect(owner)
        owner.coordinator = self
        for c in moved:
            if not c.fresh:  # its job was dropped there: requested again here
                c.key = _NO_KEY
            self.connect(c)
        if not old.clients:
            old.close()
        self.update(owner)

    # -- requests -----------------------------------------------------------------------------

    def update(self, owner: Any, *, force: bool = False) -> None:
        """Derive the requests of ``owner``'s clients again; those whose key changed (every one
        with ``force``) become stale and are submitted (see ``debounce``)."""
        with owner.lifecycle_lock, self._cond:
            if self._closed:
                return
            changed = False
            for client in [c for c in self._clients if c.owner is owner]:
                try:
                    key = client.request()
                except Exception as exc:  # an impossible state: said under the explorer
                    self._supersede(client)
                    client.key, client.failed = _NO_KEY, True
                    client._mark(FAILED)
                    owner._show_error(exc)
                    continue
                if key == client.key and not (force and key is not None):
                    continue
                self._supersede(client)
                client.key, client.failed = key, False
                client.generation += 1
                if key is None:
                    self._dirty.pop(client, None)
                    client._mark(None)
                    if client.clear is not None:
                        client.clear()
                    continue
                client._mark(UPDATING)
                self._dirty[client] = force or self._dirty.get(client, False)
                changed = True
            owner._lifecycle_changed()
            if changed:
                self._schedule()

    def settle(self, client: Client, key: Hashable) -> None:
        """Take ``key`` as ``client``'s request, already shown: its view was drawn from a result
        at hand (the drift table's report holds every row), so nothing runs for it and it is not
        "updating"."""
        owner = client.owner
        with owner.lifecycle_lock, self._cond:
            self._supersede(client)
            self._dirty.pop(client, None)
            client.key, client.failed = key, False
            client.generation += 1
            client.shown = client.generation
            client._mark(None)
            owner._lifecycle_changed()

    def refresh(self, owner: Any) -> None:
        """Request every client of ``owner`` again, re-reading the store first (Run)."""
        self.update(owner, force=True)

    def _schedule(self) -> None:
        if self._holding:
            return
        if threading.current_thread().name.startswith(WORKER):
            self.flush()  # a follow-up of a result shown (the card's context): no one is typing
            return
        if self.debounce is None:
            return
        now = self._clock()
        quiet = now - self._last_submit >= self.debounce and self._timer is None
        if quiet or self.debounce == 0:
            self._last_submit = now
            self.flush()
            return
        if self._timer is not None:
            with contextlib.suppress(Exception):
                self._timer.cancel()
        self._timer = self._timer_factory(float(self.debounce), self._fire)

    def _fire(self) -> None:
        with self._cond:
            self._timer = None
            self._last_submit = self._clock()
        self.flush()

    @contextlib.contextmanager
    def hold(self) -> Iterator[Coordinator]:
        """Changes made inside are submitted together, once, after the block."""
        with self._cond:
            self._holding += 1
        try:
            yield self
        finally:
            with self._cond:
                self._holding -= 1
                if not self._holding and self._dirty:
                    self._schedule()

    def flush(self) -> None:
        """Submit the stale clients now (the debounce timer calls this)."""
        with self._cond:
            if self._timer is not None:
                with contextlib.suppress(Exception):
                    self._timer.cancel()
                self._timer = None
            if not self._dirty or self._closed:
                return
            dirty, self._dirty = self._dirty, {}
            self.submissions += 1
            for client, force in dirty.items():
                self._queue.append(Job(client, client.key, force=force, seq=next(self._seq)))
            self._preempt()
            self._start_workers()
            self._cond.notify_all()

    def _supersede(self, client: Client) -> None:
        """Drop ``client``'s queued job and interrupt its running one (under ``_cond``)."""
        self._queue = [j for j in self._queue if j.client is not client]
        job = self._running.get(client)
        if job is not None and not job.cancelled:
            job.cancelled = True
            self._interrupt(job, REINTERRUPTS)

    def _preempt(self) -> None:
        """Stop the running jobs the active tab's queued ones may not run beside (under
        ``_cond``); each is queued again when it ends (:meth:`_requeue`)."""
        for job in schedule.preempted(self._queue, list(self._running.values()), self._focus):
            job.preempted = True
            self.preemptions += 1
            self._interrupt(job, REINTERRUPTS)

    def _requeue(self, job: Job) -> None:
        """Queue a preempted job's request again, in its old place (under ``_cond``)."""
        client = job.client
        if client.current(job) and client.shown != job.generation and client in self._clients:
            again = Job(client, job.key, force=job.force, seq=job.seq)
            self._queue.append(again)

    def _interrupt(self, job: Job, left: int) -> None:
        """Interrupt ``job``'s query while it still runs (under ``_cond``): an interrupt that
        lands between two queries (or before the first) stops nothing, so it is repeated a few
        times; the job's thread starts nothing else before it ends, so only it can be hit."""
        if self._running.get(job.client) is not job:
            return
        if job.interrupt is not None:
            with contextlib.suppress(Exception):
                job.interrupt()
        if left > 0:
            timer = threading.Timer(REINTERRUPT_S, self._reinterrupt, (job, left - 1))
            timer.daemon = True
            timer.start()

    def _reinterrupt(self, job: Job, left: int) -> None:
        with self._cond:
            self._interrupt(job, left)

    # -- workers ------------------------------------------------------------------------------

    def _start_workers(self) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        wanted = min(self.workers, len(self._queue) + len(self._running))
        while len(self._threads) < wanted:
            thread = threading.Thread(
                target=self._work, name=f"{WORKER}-{next(self._seq)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _next(self) -> Job | None:
        """The job to run next (the focused explorers' first, then by rank and age), or None
        when the coordinator closes or stays idle (under ``_cond``)."""
        deadline = time.monotonic() + IDLE_EXIT_S
        while True:
            if self._closed:
                return None
            job = schedule.next_job(self._queue, list(self._running.values()), self._focus)
            if job is not None:
                self._queue.remove(job)
                self._running[job.client] = job
                return job
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._cond.wait(left)

    def _work(self) -> None:
        while True:
            with self._cond:
                job = self._next()
                if job is None:
                    me = threading.current_thread()
                    self._threads = [t for t in self._threads if t is not me]
                    return
            try:
                self._run(job)
            finally:
                with self._cond:
                    if self._running.get(job.client) is job:
                        del self._running[job.client]
                    if job.preempted:
                        self._requeue(job)
                    job.client.owner._lifecycle_changed()
                    self._cond.notify_all()

    def _run(self, job: Job) -> None:
        client, owner = job.client, job.client.owner
        try:
            interrupter = getattr(owner.store, "interrupter", None)
            stop = interrupter() if interrupter is not None else None
            with self._cond:
                job.interrupt = stop
                if job.cancelled or job.preempted:
                    return
            if job.force:
                owner.store.refresh(progress=False)
            result = client.run(job)
        except Exception as exc:
            with owner.lifecycle_lock, self._cond:
                if not client.current(job) or job.preempted:
                    return  # superseded or preempted: an interrupted query's error means nothing
                client.failed = True
                client._mark(FAILED)
                owner._show_error(exc)
            return
        with owner.lifecycle_lock:
            with self._cond:
                if not client.current(job):
                    return
            try:
                client.show(result)
            except Exception as exc:
                client.failed = True
                client._mark(FAILED)
                owner._show_error(exc)
                return
            with self._cond:
                if client.current(job):
                    client.shown, client.failed = job.generation, False
                    client._mark(None)
                    if not any(c.failed for c in self._clients if c.owner is owner):
                        owner._clear_error()
            self.update(owner)  # a result may be what another view's request derives from

    # -- waiting and closing ------------------------------------------------------------------

    def busy(self, owner: Any = None) -> bool:
        """True while a client (of ``owner``, or any) is stale and not failed."""
        with self._cond:
            return any(self._pending(c) for c in self._clients if owner is None or c.owner is owner)

    def _pending(self, c: Client) -> bool:
        return not c.background and (c in self._running or (not c.fresh and not c.failed))

    def wait(self, owner: Any = None, timeout: float | None = None) -> Coordinator:
        """Submit what is stale, then block until every client (of ``owner``, or all) is fresh
        or failed. Raises TimeoutError after ``timeout`` seconds."""
        self.flush()
        with self._cond:
            done = self._cond.wait_for(lambda: not self.busy(owner), timeout)
        if not done:
            who = type(owner).__name__ if owner is not None else "the coordinator"
            stale = [c.name for c in self._clients if self._pending(c)]
            raise TimeoutError(f"{who} still computing after {timeout} s: {', '.join(stale)}")
        return self

    def close(self) -> None:
        """Drop every job, interrupt those running and end the workers."""
        with self._cond:
            self._closed = True
            if self._timer is not None:
                with contextlib.suppress(Exception):
                    self._timer.cancel()
            for c in list(self._running):
                self._supersede(c)
            self._queue.clear()
            self._dirty.clear()
            self._cond.notify_all()
        me = threading.current_thread()
        for t in list(self._threads):
            if t is not me:
                t.join(60)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- the coordinator explorers join when they are built -----------------------------------

    @staticmethod
    def current() -> Coordinator | None:
        """The coordinator explorers built now join (inside :meth:`building`), or None."""
        return _current.get()

    @contextlib.contextmanager
    def building(self) -> Iterator[Coordinator]:
        """Explorers built inside join this coordinator (a panel's), and nothing is submitted
        before the block ends."""
        token = _current.set(self)
        try:
            with self.hold():
                yield self
        finally:
            _current.reset(token)


__all__ = ["Client", "Coordinator", "Job", "Superseded"]
