"""One shared selection that linked explorers read and write (``dl.link``, ``dl.panel``).

A :class:`Selection` holds what a person is looking at: the model and version, the reference
and the window analysed, a slice and a prediction. Every explorer declares how its own traits
map onto it (``Explorer.selection_traits``, e.g. the SliceExplorer's ``selected_slice`` is the
selection's ``slice``); an explorer without a trait for some part simply ignores that part.

Data flow (after Mosaic's coordinator): a change in one explorer (a brush, a click, a typed filter)
sets the selection, which sets the matching traits of every linked explorer at once, so every
view that depends on it is marked "updating" at once and the header and the views never disagree.
The queries are the selection's :class:`~diaglab.explorers.coordinator.Coordinator`'s business:
it re-queries exactly the views whose request changed, after a quiet period (``debounce``, 150 ms
by default, the first change of a burst at once), supersedes and interrupts stale work.
"""

from __future__ import annotations

import contextlib
import html
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import traitlets

from diaglab.errors import FilterError, InputError
from diaglab.explorers._windows import (
    OptionalWindowTrait,
    WindowTrait,
    format_window,
    parse_window,
)
from diaglab.explorers.coordinator import Coordinator, Timer, thread_timer
from diaglab.queries.filters import Slice
from diaglab.queries.window import Window

NAMES = ("model", "version", "reference", "window", "slice", "prediction_id")
DEBOUNCE_S = 0.15


def as_slice(value: Any) -> Slice | str | None:
    """A slice value as a dl.Slice when it is a conjunction, else the filter text; blank is None."""
    if value is None:
        return None
    if isinstance(value, Slice):
        return value or None
    text = str(value).strip()
    if not text:
        return None
    try:
        return Slice.of(text) or None
    except FilterError:
        return text  # OR / NOT filters stay text: a valid where=, not a slice


def _slice_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.expression if isinstance(value, Slice) else str(value)


def equivalent(a: Any, b: Any) -> bool:
    """Equal, or the same slice written two ways (text vs dl.Slice)."""
    if a == b:
        return True
    if isinstance(a, Slice | str) and isinstance(b, Slice | str):
        return as_slice(a) == as_slice(b)
    return False


class Selection(traitlets.HasTraits):
    """What linked explorers look at, shared: change it here or in any explorer.

    Parameters
    ----------
    model, version, reference, window, slice, prediction_id : optional
        Initial values (see the traits).
    debounce : float or None
        Seconds of quiet before the explorers' queries run (default 0.15; the first change of a
        burst runs at once). None runs them only on :meth:`flush` (for scripts that want to
        apply many changes by hand).
    timer : callable
        The coordinator's debounce timer (tests pass a manual one).
    coordinator : Coordinator, optional
        The coordinator the linked explorers share (a panel's); by default a new one.

    Examples
    --------
    >>> sel = Selection(model="credit", debounce=None)
    >>> sel.window = ("2026-02-10", "2026-03-02")
    >>> sel.slice = "region = 'north'"
    >>> sel.to_json()["slice"]
    "region = 'north'"
    """

    model = traitlets.Unicode(None, allow_none=True)
    """The model (str) or None."""
    version = traitlets.Unicode(None, allow_none=True)
    """One model version (str), or None for all versions."""
    reference = OptionalWindowTrait(None, allow_none=True)
    """A production reference window (dl.Window), or None for the registered reference."""
    window = WindowTrait(Window())
    """The period analysed (dl.Window; ``Window()`` is everything). Accepts (start, end)."""
    slice = traitlets.Union(
        [traitlets.Instance(Slice), traitlets.Unicode()], default_value=None, allow_none=True
    )
    """The slice (dl.Slice; filter text that is not a conjunction stays text), or None."""
    prediction_id = traitlets.Unicode(None, allow_none=True)
    """The prediction opened in the inspector (str), or None."""

    def __init__(
        self,
        *,
        debounce: float | None = DEBOUNCE_S,
        timer: Timer = thread_timer,
        coordinator: Coordinator | None = None,
        **values: Any,
    ) -> None:
        unknown = set(values) - set(NAMES)
        if unknown:
            raise TypeError(
                f"unknown selection part(s) {sorted(unknown)}; known: {', '.join(NAMES)}"
            )
        super().__init__()
        self.coordinator = coordinator or Coordinator(debounce=debounce, timer=timer)
        self._lock = threading.RLock()
        self._pending: set[str] = set()
        self._holding = 0
        self._explorers: list[weakref.ref[Any]] = []
        for name, value in values.items():
            setattr(self, name, value)
        self._known: set[str] = set(values)  # parts set so far (the others follow explorers)
        self.observe(self._changed, names=list(NAMES))

    @traitlets.validate("slice")
    def _valid_slice(self, proposal: Any) -> Slice | str | None:
        return as_slice(proposal["value"])

    @traitlets.validate("version", "prediction_id")
    def _blank_is_none(self, proposal: Any) -> str | None:
        value = proposal["value"]
        return None if value is None or not str(value).strip() else str(value).strip()

    # -- explorers ----------------------------------------------------------------------------

    @property
    def explorers(self) -> list[Any]:
        """The explorers linked to this selection (those still alive)."""
        return [e for e in (ref() for ref in self._explorers) if e is not None]

    def link(self, explorer: Any, *, adopt: bool = False) -> None:
        """Link ``explorer``: it follows this selection and its changes set it.

        ``adopt=True`` first takes the explorer's own values (for the first explorer of a
        ``dl.link``); otherwise the explorer is brought to this selection's values, except for
        parts no one has set yet (e.g. the model, when the first explorer has none), which are
        taken from it.
        """
        if any(e is explorer for e in self.explorers):
            return
        mapping = _mapping(explorer)
        old = getattr(explorer, "_shared_selection", None)
        if old is not None and old is not self:
            old.unlink(explorer)
        explorer._shared_selection = self
        self._explorers.append(weakref.ref(explorer))
        self.coordinator.adopt(explorer)
        with self.hold():  # parts nobody set yet are taken from the explorer
            for name, trait in mapping.items():
                if adopt or name not in self._known:
                    self._set_from_explorer(name, getattr(explorer, trait))
                    self._known.add(name)
        handler = _ExplorerHandler(self, explorer, mapping)
        explorer._selection_handler = handler
        explorer.observe(handler, names=list(mapping.values()))
        values = {n: getattr(self, n) for n in mapping}
        with self.coordinator.hold():
            self._push_to(explorer, values)

    def unlink(self, explorer: Any) -> None:
        """Stop linking ``explorer`` (it keeps its current values)."""
        self._explorers = [r for r in self._explorers if r() is not None and r() is not explorer]
        handler = getattr(explorer, "_selection_handler", None)
        if handler is not None:
            with contextlib.suppress(ValueError):
                explorer.unobserve(handler, names=list(handler.mapping.values()))
            explorer._selection_handler = None
        if getattr(explorer, "_shared_selection", None) is self:
            explorer._shared_selection = None

    def _set_from_explorer(self, name: str, value: Any) -> None:
        if name == "slice":
            value = as_slice(value)
        if not equivalent(getattr(self, name), value):
            setattr(self, name, value)

    # -- pushing changes ----------------------------------------------------------------------

    @property
    def debounce(self) -> float | None:
        """Seconds of quiet before the explorers' queries run (the coordinator's)."""
        return self.coordinator.debounce

    def _changed(self, change: Any) -> None:
        with self._lock:
            self._known.add(change["name"])
            self._pending.add(change["name"])
            if self._holding:
                return
        self._push()

    @contextlib.contextmanager
    def hold(self) -> Iterator[Selection]:
        """Changes made inside reach the explorers together, after the block, as one request."""
        with self._lock:
            self._holding += 1
        with self.coordinator.hold():
            try:
                yield self
            finally:
                with self._lock:
                    self._holding -= 1
                    held = self._holding
                if not held:
                    self._push()

    def _push(self) -> None:
        """Set the pending parts on every linked explorer (their views turn "updating")."""
        with self._lock:
            names, self._pending = self._pending, set()
            if not names:
                return
            values = {n: getattr(self, n) for n in names}
        with self.coordinator.hold():
            for explorer in self.explorers:
                self._push_to(explorer, values)

    def flush(self) -> None:
        """Run the explorers' queries for the changes so far now (the debounce timer does it
        after the quiet period)."""
        self._push()
        self.coordinator.flush()

    def _push_to(self, explorer: Any, values: dict[str, Any]) -> None:
        if explorer.closed:
            return  # a closed explorer: nothing to compute, nothing to show
        mapping = _mapping(explorer)
        wanted = {
            trait: _for_trait(explorer, trait, values[name])
            for name, trait in mapping.items()
            if name in values
        }
        wanted = {t: v for t, v in wanted.items() if not equivalent(getattr(explorer, t), v)}
        if wanted:
            explorer._set_traits(wanted)

    def wait(self, timeout: float | None = 30.0) -> Selection:
        """Run what is pending, then wait until every linked explorer's views are fresh."""
        self.flush()
        self.coordinator.wait(None, timeout)
        return self

    # -- state --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The selection as JSON (windows as ``start .. end`` text, the slice as filter text)."""
        return {
            "model": self.model,
            "version": self.version,
            "reference": format_window(self.reference) or None,
            "window": format_window(self.window),
            "slice": _slice_text(self.slice),
            "prediction_id": self.prediction_id,
        }

    def update(self, data: dict[str, Any]) -> Selection:
        """Set the parts in ``data`` (as :meth:`to_json` writes them), pushed as one change."""
        if "current" in data and "window" not in data:  # panel states saved before 0.2
            data = {("window" if k == "current" else k): v for k, v in data.items()}
        unknown = set(data) - set(NAMES)
        if unknown:
            raise InputError(f"unknown selection part(s) {sorted(unknown)}; known: {NAMES}")
        with self.hold():
            for name, value in data.items():
                if name in ("window", "reference"):
                    value = _window(value)
                    if name == "window" and value is None:
                        value = Window()
                setattr(self, name, value)
        return self

    def describe_html(self) -> str:
        """One line of HTML for a panel's header."""
        parts = [
            f"model <b>{html.escape(self.model or '–')}</b>",
            f"version {html.escape(self.version or 'all')}",
            f"window <b>{html.escape(format_window(self.window) or 'everything')}</b>",
            "reference " + html.escape(format_window(self.reference) or "registered"),
            "slice "
            + (
                f"<code>{html.escape(_slice_text(self.slice) or '')}</code>"
                if self.slice is not None
                else "all rows"
            ),
            f"prediction {html.escape(self.prediction_id or '–')}",
        ]
        return " · ".join(parts)

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self.to_json().items() if v)
        return f"<diaglab.Selection {body}>"


class _ExplorerHandler:
    """Observes one explorer's mapped traits and sets the selection from them."""

    def __init__(self, selection: Selection, explorer: Any, mapping: dict[str, str]) -> None:
        self.selection = weakref.ref(selection)
        self.mapping = mapping
        self.by_trait = {trait: name for name, trait in mapping.items()}

    def __call__(self, change: Any) -> None:
        selection = self.selection()
        if selection is None:
            return
        name = self.by_trait.get(change["name"])
        if name is not None:
            try:
                selection._set_from_explorer(name, change["new"])
            except Exception as exc:
                change["owner"]._show_error(exc)


def _mapping(explorer: Any) -> dict[str, str]:
    mapping = dict(getattr(type(explorer), "selection_traits", {}) or {})
    bad = set(mapping) - set(NAMES)
    if bad:
        raise TypeError(f"{type(explorer).__name__}.selection_traits names unknown parts {bad}")
    return {n: t for n, t in mapping.items() if explorer.has_trait(t)}


def _for_trait(explorer: Any, trait: str, value: Any) -> Any:
    """A selection value as the explorer's trait takes it (a dl.Slice trait gets no text)."""
    kind = explorer.traits()[trait]
    if isinstance(kind, traitlets.Instance) and kind.klass is Slice:
        return value if isinstance(value, Slice) else None
    if isinstance(kind, traitlets.Unicode) and isinstance(value, Slice):
        return value.expression
    return value


def _window(value: Any) -> Window | None:
    if value is None or isinstance(value, Window):
        return value
    if isinstance(value, dict):
        return Window(value.get("start"), value.get("end"))
    if isinstance(value, str):
        return parse_window(value)
    return Window.of(value)


def link(*explorers: Any, selection: Selection | None = None, **kwargs: Any) -> Selection:
    """Link explorers through one shared selection; returns it.

    The first explorer's values win (unless a ``selection`` is given): brushing a window in one
    sets it in all, choosing a slice filters the others, a clicked prediction opens in the
    inspector.

    Examples
    --------
    >>> drift = dl.DriftExplorer(store, "credit")             # doctest: +SKIP
    >>> slices = dl.SliceExplorer(store, "credit")            # doctest: +SKIP
    >>> sel = dl.link(drift, slices)                          # doctest: +SKIP
    >>> sel.slice = "region = 'north'"  # both recompute     # doctest: +SKIP
    """
    if not explorers:
        raise TypeError("dl.link(a, b, ...) needs at least one explorer")
    for e in explorers:
        if not hasattr(e, "coordinator"):
            raise TypeError(f"dl.link links diaglab explorers, not {type(e).__name__}")
    adopt = selection is None
    sel = selection or Selection(**kwargs)
    for i, e in enumerate(explorers):
        sel.link(e, adopt=adopt and i == 0)
    return sel


__all__ = ["Selection", "link"]
