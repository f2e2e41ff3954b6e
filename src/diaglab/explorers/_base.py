"""The base every explorer shares: run work off the UI thread, show progress and errors, capture.

An explorer's lifecycle (DESIGN.md, after Mosaic's client): read its selection → build the query →
run it (:meth:`Explorer._submit`, on a worker thread, with a progress bar) → render the result →
:meth:`Explorer.capture` it as a finding. Errors raised in callbacks or in the worker are shown
under the widget (after lonboard's ``_exception_display``) and kept in ``last_error``; never lost.

Subclasses implement :meth:`data`, :attr:`spec` and :attr:`state`.
"""

from __future__ import annotations

import contextlib
import functools
import html
import math
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import ipywidgets as w
import pandas as pd
import traitlets

from diaglab.errors import DiaglabError, unknown
from diaglab.explorers._controls import FREQS
from diaglab.queries.filters import Slice
from diaglab.queries.filters import where as apply_where
from diaglab.specs.scope import Scope, where_text

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

# One store connection is not safe to query from two threads at once (DuckDB); explorers of one
# process take turns.
_QUERY_LOCK = threading.Lock()
_WORKER = "diaglab-explorer"


def resolve_model(store: Any, model: str | None) -> str:
    """``model``, checked against the store; the store's only model when None."""
    models = store.models()
    if model is None:
        if len(models) != 1:
            raise unknown("model (pass model=...)", None, models)
        return str(models[0])
    if model not in models:
        raise unknown("model", model, models)
    return model


RENAMED = {"current": "window"}  # explorers' arguments before issue 17


def refuse_renamed(explorer: str, given: dict[str, Any]) -> None:
    """A TypeError for arguments an explorer no longer takes, naming today's name."""
    if not given:
        return
    name = next(iter(given))
    if name in RENAMED:
        raise TypeError(f"{explorer}() has no argument {name!r} any more: it is {RENAMED[name]!r}")
    raise TypeError(f"{explorer}() got an unexpected keyword argument {name!r}")


def scope_state(scope: Scope) -> dict[str, Any]:
    """A scope as an explorer's JSON state: ``where`` as filter text, readable in a saved panel."""
    out = scope.to_json()
    if scope.where is not None:
        out["where"] = where_text(scope.where)
    return out


def checked_where(store: Any, model: str, value: Any) -> Any:
    """A where= value parsed and checked against the model's columns now, so a typo is reported
    before any work starts; blank text and an empty slice are None."""
    if isinstance(value, str):
        value = value.strip() or None
    if value is None or (isinstance(value, Slice) and not value):
        return None
    apply_where(store.table(model), value)
    return value


def enable_offline_charts() -> None:
    """Build the page's one chart runtime (Vega-Embed bundled by vl-convert, no CDN), so
    charts draw without network. Once per process: ~2 s; a no-op afterwards."""
    from diaglab.explorers._vega import runtime

    runtime()


def error_html(exc: BaseException) -> str:
    """An error as HTML: its type and message, plus a folded traceback when it is unexpected."""
    name = type(exc).__name__
    message = html.escape(str(exc)) or "(no message)"
    body = f"<b>{html.escape(name)}</b>: {message}"
    if not isinstance(exc, DiaglabError):
        frames = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-6)
        body += (
            "<details><summary>traceback</summary><pre style='white-space:pre-wrap;"
            f"font-size:11px'>{html.escape(''.join(frames))}</pre></details>"
        )
    return (
        "<div style='color:#8a1c1c;background:#fdecea;border-left:3px solid #d64541;"
        f"padding:4px 8px;margin:2px 0'>{body}</div>"
    )


def json_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: NaN as None, timestamps as ISO text, tuples as lists."""
    out: list[dict[str, Any]] = []
    for rec in table.to_dict(orient="records"):
        out.append({str(k): _plain(v) for k, v in rec.items()})
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    if isinstance(v, pd.Timestamp | datetime):
        return v.isoformat()
    if hasattr(v, "item") and not isinstance(v, str | bytes):  # numpy scalars
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


class Explorer(w.VBox):
    """Base of diaglab's explorers: an ipywidgets ``VBox`` with progress, errors and capture.

    Attributes
    ----------
    progress : ipywidgets.IntProgress
        Visible while work runs; CSS class ``diaglab-progress``.
    status : ipywidgets.HTML
        One line on what is shown or being computed; CSS class ``diaglab-status``.
    error_area : ipywidgets.HTML
        The latest error, under the widget; CSS class ``diaglab-error``.
    last_error : BaseException or None
        The latest error raised in a callback or in background work (None after a success).
    """

    explorer_name: ClassVar[str] = "Explorer"

    def __init__(self, store: Any, **kwargs: Any) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_WORKER)
        # a second lane for small follow-up queries (a page of rows) that must not supersede
        # the main computation
        self._side_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_WORKER)
        self._futures: list[Future[None]] = []
        self._generation = 0
        self._side_generation = 0
        self.last_error: BaseException | None = None
        self.progress = w.IntProgress(
            value=0,
            min=0,
            max=1,
            bar_style="info",
            layout=w.Layout(width="140px", display="none"),
        )
        self.progress.add_class("diaglab-progress")
        self.status = w.HTML("")
        self.status.add_class("diaglab-status")
        self.error_area = w.HTML("")
        self.error_area.add_class("diaglab-error")
        super().__init__(**kwargs)
        self.add_class("diaglab-explorer")

    # -- errors -----------------------------------------------------------------------------

    def _show_error(self, exc: BaseException) -> None:
        self.last_error = exc
        self.error_area.value = error_html(exc)

    def _clear_error(self) -> None:
        self.last_error = None
        self.error_area.value = ""

    @staticmethod
    def _guard(fn: F) -> F:
        """Decorate a widget callback so that what it raises is shown under the widget."""

        @functools.wraps(fn)
        def wrapper(self: Explorer, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except Exception as exc:
                self._show_error(exc)
                return None

        return wrapper  # type: ignore[return-value]

    # -- running work -----------------------------------------------------------------------

    def _submit(
        self,
        label: str,
        work: Callable[[Callable[[str], None]], R],
        done: Callable[[R], None],
        *,
        steps: int = 1,
    ) -> Future[None]:
        """Run ``work(step)`` on the explorer's worker thread, then ``done(result)``.

        ``step(text)`` advances the progress bar and shows ``text``. A newer submission
        supersedes an older one: the older result is dropped and, if it had not started, it never
        runs. Errors from either function are shown under the widget.
        """
        with self._lock:
            self._generation += 1
            generation = self._generation
            self.progress.max = max(steps, 1)
            self.progress.value = 0
            self.progress.layout.display = ""
            self.status.value = _busy(label)

        def current() -> bool:
            return generation == self._generation

        def step(text: str) -> None:
            if current():
                self.progress.value = min(self.progress.value + 1, self.progress.max)
                self.status.value = _busy(text)

        def job() -> None:
            if not current():
                return
            try:
                with _QUERY_LOCK:
                    result = _patiently(lambda: work(step))
            except Exception as exc:
                with self._lock:
                    if current():
                        self._show_error(exc)
                        self.status.value = "not updated: see the error below"
                        self.progress.layout.display = "none"
                return
            with self._lock:
                if not current():
                    return
                try:
                    done(result)
                    self._clear_error()
                except Exception as exc:
                    self._show_error(exc)
                finally:
                    self.progress.value = self.progress.max
                    self.progress.layout.display = "none"

        future = self._executor.submit(job)
        self._futures = [f for f in self._futures if not f.done()] + [future]
        return future

    def _submit_side(self, work: Callable[[], R], done: Callable[[R], None]) -> Future[None]:
        """Run ``work()`` on the side lane, then ``done(result)``; a newer side job supersedes an
        older one, and errors are shown under the widget. Main-lane work is not affected."""
        with self._lock:
            self._side_generation += 1
            generation = self._side_generation

        def job() -> None:
            if generation != self._side_generation:
                return
            try:
                with _QUERY_LOCK:
                    result = _patiently(work)
                with self._lock:
                    if generation == self._side_generation:
                        done(result)
            except Exception as exc:
                with self._lock:
                    self._show_error(exc)

        future = self._side_executor.submit(job)
        self._futures = [f for f in self._futures if not f.done()] + [future]
        return future

    def wait(self, timeout: float | None = None) -> Explorer:
        """Block until the work submitted so far has finished (for scripts and tests)."""
        while True:
            pending = [f for f in self._futures if not f.done()]
            if not pending:
                return self
            finished, _ = wait_futures(pending, timeout=timeout)
            if timeout is not None and len(finished) < len(pending):
                raise TimeoutError(f"{self.explorer_name} still computing after {timeout} s")

    @property
    def busy(self) -> bool:
        """True while submitted work has not finished."""
        return any(not f.done() for f in self._futures)

    def close(self) -> None:
        """Drop queued work, wait for a query under way (so the store can be closed after),
        and close the widget."""
        # absent when __init__ failed early; whatever finishes now is not rendered
        self._generation = getattr(self, "_generation", 0) + 1
        self._side_generation = getattr(self, "_side_generation", 0) + 1
        in_worker = threading.current_thread().name.startswith(_WORKER)  # e.g. GC there
        for name in ("_executor", "_side_executor"):
            executor = getattr(self, name, None)  # absent when __init__ failed early
            if executor is not None:
                executor.shutdown(wait=not in_worker, cancel_futures=True)
        super().close()

    @traitlets.validate("freq")
    def _valid_freq(self, proposal: Any) -> str:
        """An explorer's ``freq`` (when it has one) is one of the window sizes it offers."""
        value = proposal["value"]
        if value not in FREQS:
            raise unknown("freq", value, FREQS)
        return str(value)

    def _wire(self, name: str, *controls: str) -> None:
        """Observe each control's value with its ``_on_<control>`` method, run ``_on_run`` on
        the Run button, and mark the status line ``diaglab-<name>-status``."""
        for control in controls:
            getattr(self, control).observe(getattr(self, f"_on_{control}"), names="value")
        self.run_button.on_click(self._on_run)
        self.status.add_class(f"diaglab-{name}-status")

    # -- what subclasses provide -------------------------------------------------------------

    def data(self) -> pd.DataFrame:
        """The result table behind what the explorer shows."""
        raise NotImplementedError

    @property
    def spec(self) -> Any:
        """The spec (``dl.Spec``) of what the explorer shows: ``explorer.spec.run(store)``
        recomputes ``data()``, ``explorer.spec.call()`` is the ``dl.`` call that does it."""
        raise NotImplementedError

    @property
    def state(self) -> dict[str, Any]:
        """The explorer's selection and view (the spec's scope plus what is on screen, e.g. the
        selected feature) as JSON-safe values."""
        raise NotImplementedError

    @property
    def store(self) -> Any:
        """The store explored (read-only)."""
        return self._store

    def chart_json(self) -> dict[str, Any] | None:
        """The Vega-Lite spec of the chart shown, or None."""
        chart = getattr(self, "chart", None)
        spec = getattr(chart, "spec", None)
        return None if spec is None else dict(spec)

    # -- shared selection (diaglab.explorers.selection: dl.link, dl.panel) -------------------

    selection_traits: ClassVar[dict[str, str]] = {}
    """How this explorer's traits map onto a shared Selection: ``{part: trait}``, parts among
    model, version, reference, current, slice, prediction_id; parts not named are ignored."""

    def _selection_batch(self) -> contextlib.AbstractContextManager[None]:
        """Values a shared selection pushes are set inside this, so that several of them give
        one computation; explorers that batch their refreshes override it."""
        return contextlib.nullcontext()

    @property
    def selection(self) -> Any:
        """The shared dl.Selection this explorer is linked to (``dl.link``), or None."""
        return getattr(self, "_shared_selection", None)

    # -- capture ----------------------------------------------------------------------------

    def capture(self, title: str, note: str = "", author: str | None = None) -> Any:
        """Record what the explorer shows as a :class:`diaglab.Finding`, stored in the store.

        The finding holds the title, note, author (``DIAGLAB_AUTHOR``, git's user.name or the
        OS user unless given), the selection, the query (the ``dl.`` call, and the Ibis
        expressions and SQL recorded while it runs again), the table, the chart spec with a
        static SVG, the store's watermark, the model version and the claim ``recheck``
        compares. Returns the stored (hash-chained) finding.
        """
        from diaglab.findings.capture import from_explorer

        if not isinstance(title, str) or not title.strip():
            raise TypeError("capture(title, note='') needs a non-empty title")
        table = self.data()  # waits for a computation under way; raises when nothing is shown
        with _QUERY_LOCK:
            return _patiently(lambda: from_explorer(self, title, note, author, table=table))


def _patiently(run: Callable[[], R], *, tries: int = 20) -> R:
    """``run()``, retried while the store's connection is busy with a query of another thread.

    DuckDB refuses (rather than queues) a second concurrent call on one connection, e.g. when a
    notebook cell queries the store while an explorer computes in the background.
    """
    for attempt in range(tries):
        try:
            return run()
        except Exception as exc:
            if "connection is busy" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(min(0.05 * 2**attempt, 1.0))
    raise AssertionError("unreachable")


def _busy(text: str) -> str:
    return f"<span style='color:#555'>⏳ {html.escape(text)}</span>"
