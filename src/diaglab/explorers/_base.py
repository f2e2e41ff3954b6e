"""The base every explorer shares: its clients' lifecycle, progress and errors, capture.

An explorer is a set of views, each a :class:`~diaglab.explorers.coordinator.Client` declared in
``__init__`` with :meth:`Explorer.client` (what its query depends on, the query, the rendering);
a trait change calls :meth:`Explorer.update`, and the explorer's
:class:`~diaglab.explorers.coordinator.Coordinator` (its own, or the panel's it was built in)
re-queries exactly the views whose request changed. Errors raised in callbacks or in a query are
shown under the widget (after lonboard's ``_exception_display``) and kept in ``last_error``.

Subclasses implement :meth:`data`, :attr:`spec` and :attr:`state`.
"""

from __future__ import annotations

import contextlib
import functools
import html
import math
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import ipywidgets as w
import pandas as pd
import traitlets

from diaglab.errors import DiaglabError, InputError, unknown
from diaglab.explorers._controls import FREQS, Binding, shared_doc
from diaglab.explorers.coordinator import BUSY, Client, Coordinator
from diaglab.queries.filters import Slice
from diaglab.queries.filters import where as apply_where
from diaglab.specs.scope import Scope, where_text

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


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


def prepare(explorer: str, store: Any, model: str | None, renamed: dict[str, Any]) -> str:
    """What every explorer's ``__init__`` does first: refuse arguments renamed since issue 17,
    resolve the model and build the page's chart runtime. Returns the model."""
    refuse_renamed(explorer, renamed)
    model = resolve_model(store, model)
    enable_offline_charts()
    return model


def one_of(what: str, value: Any, valid: Sequence[str]) -> str:
    """``value`` if it is one of ``valid``, else an UnknownNameError naming ``what``."""
    if value not in valid:
        raise unknown(what, value, list(valid))
    return str(value)


def all_of(what: str, values: Sequence[str], valid: Sequence[str]) -> list[str]:
    """``values`` without repeats, each one of ``valid``; an InputError when there is none."""
    out = list(dict.fromkeys(values))
    if not out:
        raise InputError(f"choose at least one {what} among {', '.join(valid)}")
    for value in out:
        one_of(what, value, valid)
    return out


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
    """Base of diaglab's explorers: an ipywidgets ``VBox`` of clients, with progress and errors.

    Attributes
    ----------
    coordinator : Coordinator
        Runs the explorer's queries (shared with the other explorers of a panel or ``dl.link``).
    progress : ipywidgets.IntProgress
        Visible while a view is updating; CSS class ``diaglab-progress``.
    updating : ipywidgets.HTML
        Which views are updating ("⏳ updating rows"); CSS class ``diaglab-updating-note``.
    status : ipywidgets.HTML
        One line on what is shown or being computed; CSS class ``diaglab-status``.
    error_area : ipywidgets.HTML
        The latest error, under the widget; CSS class ``diaglab-error``.
    last_error : BaseException or None
        The latest error raised in a callback or in a query (None after a success).
    """

    explorer_name: ClassVar[str] = "Explorer"

    def __init__(self, store: Any, **kwargs: Any) -> None:
        self._store = store
        self.lifecycle_lock = threading.RLock()
        """Held while a view renders and while requests are derived: never both at once."""
        self._lock = self.lifecycle_lock
        shared = Coordinator.current()
        self.coordinator = shared if shared is not None else Coordinator()
        self._private = self.coordinator if shared is None else None
        self._started = False
        self._closed = False
        self.last_error: BaseException | None = None
        self.progress = w.IntProgress(
            value=0,
            min=0,
            max=1,
            bar_style="info",
            layout=w.Layout(width="140px", display="none"),
        )
        self.progress.add_class("diaglab-progress")
        self.updating = w.HTML("")
        self.updating.add_class("diaglab-updating-note")
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

    # -- the lifecycle (diaglab.explorers.coordinator) ----------------------------------------

    def client(self, name: str, *, part: str | None = None, **options: Any) -> Client:
        """Declare one view of this explorer: ``request``, ``run``, ``show`` and optionally
        ``clear``, ``views``, ``rank`` (see :class:`~diaglab.explorers.coordinator.Client`); it
        is first requested by :meth:`start`. With ``part``, the ones not given are the methods
        ``_<part>_request``, ``_run_<part>``, ``_show_<part>`` and ``_clear_<part>`` (if any)."""
        if part is not None:
            for option, method in (
                ("request", f"_{part}_request"),
                ("run", f"_run_{part}"),
                ("show", f"_show_{part}"),
                ("clear", f"_clear_{part}"),
            ):
                if option not in options and (option != "clear" or hasattr(self, method)):
                    options[option] = getattr(self, method)
        made = Client(self, name, **options)
        self._css = getattr(self, "_css", "") + made.css()
        return self.coordinator.connect(made)

    @contextlib.contextmanager
    def building(self) -> Iterator[None]:
        """Set the traits and declare the views inside, then request every view (:meth:`start`);
        an error inside closes the explorer (its coordinator's threads) and propagates."""
        try:
            yield
        except BaseException:
            self.close()
            raise
        self.start()

    refresh_on: ClassVar[tuple[str, ...]] = ()
    """Traits whose change is shown in the controls and re-derives the views' requests, from
    :meth:`start` on (while building, the subclass shows its controls once at the end)."""

    def start(self) -> None:
        """Request every view for the first time (the end of a subclass's ``__init__``)."""
        self._started = True
        if self.refresh_on:
            self.observe(self._refresh, names=list(self.refresh_on))
        self.update()

    def _refresh(self, _change: Any = None) -> None:
        self._sync_controls()
        self.update()

    def update(self, *, force: bool = False) -> None:
        """Derive the views' requests from the traits again: exactly those that changed are
        re-queried (all with ``force``, re-reading the store first)."""
        if self._started and not self._closed:
            self.coordinator.update(self, force=force)

    def batch(self) -> contextlib.AbstractContextManager[Any]:
        """Traits set inside give one round of queries, after the block."""
        return self.coordinator.hold()

    def _lifecycle_changed(self) -> None:
        """Show which views are updating (called by the coordinator, under its lock)."""
        mine = [
            c
            for c in self.coordinator.clients
            if c.owner is self and c.key is not None and not c.background
        ]
        stale = [c for c in mine if not c.fresh and not c.failed]
        if stale:
            self.progress.max = max(len(mine), 1)
            self.progress.value = len(mine) - len(stale)
            self.progress.layout.display = ""
            names = ", ".join(dict.fromkeys(c.name for c in stale))
            self.updating.value = self._style() + _busy(f"updating {names}")
            self.add_class(BUSY)
        else:
            self.progress.layout.display = "none"
            self.updating.value = self._style()
            self.remove_class(BUSY)
            if any(c.failed for c in mine):
                self.status.value = "not updated: see the error below"

    def _lifecycle_step(self, client: Client, text: str) -> None:
        """Say what a view's query is doing (the status line keeps saying what is shown)."""
        self.updating.value = self._style() + _busy(text)

    def _style(self) -> str:
        """Stale views are dimmed and not clickable until fresh; the rule travels with the
        widget (it works without the extension)."""
        return f"<style>{getattr(self, '_css', '')}</style>"

    def wait(self, timeout: float | None = None) -> Explorer:
        """Block until every view is fresh (or failed) (for scripts and tests)."""
        self.coordinator.wait(self, timeout)
        return self

    def _when_fresh(self, read: Callable[[], R | None], what: str, hint: str = "") -> R:
        """``read()`` once every view is fresh; an InputError saying why there is nothing (the
        last error, or ``what`` not computed yet) instead of None."""
        self.wait()
        value = read()
        if value is None:
            raise InputError(
                f"no {what}: {self.last_error}" if self.last_error else f"no {what} yet{hint}"
            )
        return value

    @property
    def busy(self) -> bool:
        """True while a view is updating."""
        return self.coordinator.busy(self)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return getattr(self, "_closed", True)

    def close(self) -> None:
        """Drop queued work, interrupt a query under way and wait for it (so the store can be
        closed after), and close the widget."""
        if getattr(self, "_closed", True):
            super().close()
            return
        self._closed = True
        coordinator = self.coordinator
        coordinator.disconnect(self)
        if coordinator is self._private:
            coordinator.close()
        super().close()

    @traitlets.validate("freq")
    def _valid_freq(self, proposal: Any) -> str:
        """An explorer's ``freq`` (when it has one) is one of the window sizes it offers."""
        return one_of("freq", proposal["value"], FREQS)

    bindings: ClassVar[tuple[Binding, ...]] = ()
    """The controls that show a trait and set it (:class:`~diaglab.explorers._controls.Binding`),
    in the order :meth:`_sync_controls` fills them."""

    def _wire(self, name: str, *controls: str) -> None:
        """Observe each binding's control, and each other control's value with its
        ``_on_<control>`` method; run ``_on_run`` on the Run button, and mark the status line
        ``diaglab-<name>-status``."""
        for binding in self.bindings:
            getattr(self, binding.control).observe(
                functools.partial(self._on_bound, binding), names="value"
            )
        for control in controls:
            getattr(self, control).observe(getattr(self, f"_on_{control}"), names="value")
        self.run_button.on_click(self._on_run)
        self.status.add_class(f"diaglab-{name}-status")

    _loading = False
    """True while an explorer fills its own controls: their callbacks then set nothing."""

    @_guard
    def _on_bound(self, binding: Binding, change: Any) -> None:
        """A person's edit of a bound control sets its trait (not the echo of what it shows)."""
        if not self._loading and change["new"] != binding.show(getattr(self, binding.trait)):
            setattr(self, binding.trait, binding.read(change["new"]))

    def _set_traits(self, values: dict[str, Any]) -> None:
        """Set these traits with one round of queries after; an error is shown under the
        explorer (the others linked with it still follow)."""
        try:
            with self.batch():
                for name, value in values.items():
                    setattr(self, name, value)
        except Exception as exc:
            self._show_error(exc)

    @_guard
    def _on_run(self, _button: Any = None) -> None:
        """The Run button: set the traits from the text typed in the boxes, then recompute
        every view from fresh data."""
        self._clear_error()
        with self.batch():
            self._apply_typed()
            if self.last_error is None:
                self.update(force=True)

    def _lay_out(self, controls: list[Any], *body: Any) -> None:
        """The explorer's rows: its control rows, the status line (progress, which views are
        updating, what is shown), the error area, then ``body``."""
        status = w.HBox(
            [self.progress, self.updating, self.status], layout=w.Layout(align_items="center")
        )
        for row in controls:  # a row of controls wraps in a narrow box rather than being cut
            if isinstance(row, w.HBox) and not row.layout.flex_flow:
                row.layout.flex_flow = "row wrap"
        self.children = [w.VBox(controls), status, self.error_area, *body]

    def _sync_controls(self) -> None:
        """Show the state in the bound controls (their callbacks then see no change)."""
        for binding in self.bindings:
            getattr(self, binding.control).value = binding.show(getattr(self, binding.trait))

    def _apply_typed(self) -> None:
        """Set the traits from the bound text boxes' text, typed but not yet entered (Run)."""
        for binding in self.bindings:
            control = getattr(self, binding.control)
            if isinstance(control, w.Text):
                self._on_bound(binding, {"new": control.value})

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
        return from_explorer(self, title, note, author, table=table)


class ScopedExplorer(Explorer):
    """An explorer of one model's predictions, optionally a slice of them (``where``), linked
    to a panel's model, window and slice. A subclass's docstring gets the shared parameter
    descriptions (:func:`~diaglab.explorers._controls.shared_doc`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        shared_doc(cls)

    selection_traits: ClassVar[dict[str, str]] = {
        "model": "model",
        "window": "window",
        "slice": "where",
    }

    model = traitlets.Unicode(help="The model explored (str).")
    """The model explored (str)."""
    where = traitlets.Union(
        [traitlets.Unicode(), traitlets.Instance(Slice)], default_value=None, allow_none=True
    )
    """The slice filter: a filter string, a dl.Slice, or None."""

    @traitlets.validate("model")
    def _valid_model(self, proposal: Any) -> str:
        return resolve_model(self._store, proposal["value"])

    @traitlets.validate("where")
    def _valid_where(self, proposal: Any) -> str | Slice | None:
        return checked_where(self._store, self.model, proposal["value"])


def _busy(text: str) -> str:
    return f"<span style='color:#555'>⏳ {html.escape(text)}</span>"
