"""``dl.panel(store, model)``: every explorer of a model in tabs, linked by one shared selection.

Layout: a header (the shared selection in one line; a title and note and a Capture button that
captures the active tab's explorer; a format, an optional file name and an Export button that
writes what was captured in this panel as one report), then one tab per explorer: drift, slices,
the prediction inspector, and the metrics and trace explorers when they are available. Brushing a
window in the drift (or metrics) chart sets the current window everywhere; picking a slice in the
slice explorer filters the drift (and metrics) and lists the slice's rows; picking a prediction
there opens it in the inspector.

Exports go into one folder (``export_dir``, by default ``findings/`` beside the notebook, i.e. in
the kernel's working directory), which must stay inside the notebook's or the store's directory;
a typed file name is checked like a state name and never leaves that folder.

A panel's state (the selection and each explorer's options) is saved in the store
(``p.save(name)``: ``panels/<model>/<name>.json``) and restored by ``dl.panel(store, model,
state=name)``.
"""

from __future__ import annotations

import html
import importlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ipywidgets as w

from diaglab.errors import InputError, unknown
from diaglab.explorers._base import Explorer, error_html, resolve_model
from diaglab.explorers._controls import action_button, shared_doc, styled
from diaglab.explorers.panel_state import (
    STATE_FORMAT,
    apply_options,
    check_state_name,
    read_state,
    saved_states,
    write_state,
)
from diaglab.explorers.selection import DEBOUNCE_S, Selection
from diaglab.findings.export import export as export_findings
from diaglab.findings.export import inside
from diaglab.queries.scope import threshold_text
from diaglab.store.layout import check_file_name

# formats the Export button offers: one file each, no service needed (.parquet holds only the
# evidence rows, .pdf needs a browser: both stay available through dl.export)
EXPORT_FORMATS = ("html", "md", "json")
EXPORT_FOLDER = "findings"

# tab key -> (module, class, title); later explorers are optional (included when importable)
EXPLORERS: tuple[tuple[str, str, str, str], ...] = (
    ("drift", "diaglab.diagnostics.drift.explorer", "DriftExplorer", "Drift"),
    ("slices", "diaglab.diagnostics.slices.explorer", "SliceExplorer", "Slices"),
    ("metrics", "diaglab.diagnostics.metrics.explorer", "MetricsExplorer", "Metrics"),
    ("inspector", "diaglab.diagnostics.explain.explorer", "PredictionInspector", "Prediction"),
    ("traces", "diaglab.diagnostics.traces.explorer", "TraceExplorer", "Traces"),
    ("fairness", "diaglab.diagnostics.fairness.explorer", "FairnessExplorer", "Fairness"),
    ("why", "diaglab.diagnostics.change.explorer", "ChangeExplorer", "Why"),
)
OPTIONAL = frozenset({"metrics", "traces", "fairness", "why"})  # fairness: binary models only
STORE_WIDE = frozenset({"traces"})  # traces span every model of the store: no model argument


def check_export_name(name: object, fmt: str) -> str:
    """``name`` (without a trailing ``.<fmt>``) if it is a safe export file name."""
    if isinstance(name, str) and name.lower().endswith(f".{fmt}"):
        name = name[: -len(fmt) - 1]
    return check_file_name("export file name", name, hint=" (no folders)")


def export_folder(store: Any, folder: str | os.PathLike[str] | None = None) -> Path:
    """The folder panel exports go to: ``folder`` (relative to the working directory, the
    notebook's), by default ``findings/`` there; refused unless it is inside the working
    directory or the store's directory."""
    cwd = Path.cwd().resolve()
    target = (cwd / EXPORT_FOLDER if folder is None else cwd / Path(folder).expanduser()).resolve()
    bases = [cwd, Path(store.path).resolve()]
    if not any(target == b or b in target.parents for b in bases):
        raise InputError(
            f"the export folder {target} is outside the notebook's directory ({cwd}) and the "
            f"store's ({bases[1]}); pick a folder inside one of them"
        )
    return target


@shared_doc
class Panel(w.VBox):
    """The explorers of one model, in tabs, sharing one :class:`~diaglab.explorers.selection.
    Selection`.

    Parameters
    ----------
    state : str, optional
        The name of a state saved with :meth:`save`, restored after the explorers are built.
    explorers : sequence of str, optional
        Which tabs (keys of ``EXPLORERS``: drift, slices, metrics, inspector, traces,
        fairness); default all that are available.
    debounce : float or None
        Seconds of quiet before a selection change is pushed to the explorers.
    trust : bool
        Passed to the inspector (pickled models need it).
    export_dir : str or Path, optional
        Where the Export button writes: a folder inside the notebook's directory (the working
        directory) or the store's; default ``findings/`` in the working directory. Created on
        the first export.

    Attributes
    ----------
    selection : Selection
        The shared selection: set its parts from Python, or read what a person picked.
    explorers : dict of str to Explorer
        The explorers shown, by tab key.
    unavailable : dict of str to str
        Optional explorers left out, and why.

    Examples
    --------
    >>> p = dl.panel(store, "credit")                    # doctest: +SKIP
    >>> p.selection.slice = "region = 'north'"          # doctest: +SKIP
    >>> p.save("north")                                  # doctest: +SKIP
    >>> dl.panel(store, "credit", state="north")         # doctest: +SKIP
    """

    def __init__(
        self,
        store: Any,
        model: str | None = None,
        *,
        state: str | None = None,
        explorers: list[str] | tuple[str, ...] | None = None,
        debounce: float | None = DEBOUNCE_S,
        trust: bool = False,
        export_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        model = resolve_model(store, model)
        self.export_dir = export_folder(store, export_dir)
        keys = [k for k, *_ in EXPLORERS]
        wanted = list(keys if explorers is None else explorers)
        for k in wanted:
            if k not in keys:
                raise unknown("panel explorer", k, keys)
        saved = read_state(store, model, state) if state is not None else None
        super().__init__()
        self.store = store
        self.model = model
        self.selection = Selection(model=model, debounce=debounce)
        self.explorers: dict[str, Explorer] = {}
        self.unavailable: dict[str, str] = {}
        titles: list[str] = []
        pages: list[w.Widget] = []
        self.coordinator = self.selection.coordinator
        try:
            # built in the panel's coordinator: one lifecycle, nothing queried before each
            # explorer carries the shared selection
            with self.coordinator.building():
                for key, module, cls_name, title in EXPLORERS:
                    if key not in wanted:
                        continue
                    made = self._make(key, module, cls_name, store, model, trust=trust)
                    if made is None:
                        pages.append(w.HTML(f"<i>{html.escape(self.unavailable[key])}</i>"))
                    else:
                        self.explorers[key] = made
                        pages.append(made)
                    titles.append(title)
                for explorer in self.explorers.values():
                    self.selection.link(explorer)
        except Exception:
            self.close()
            raise
        pages = self._with_links(pages, [k for k, *_ in EXPLORERS if k in wanted])
        self.tabs = w.Tab(children=pages)
        for i, title in enumerate(titles):
            self.tabs.set_title(i, title)
        self.tabs.add_class("diaglab-panel-tabs")
        self._tab_keys = [k for k, *_ in EXPLORERS if k in wanted]
        self._build_header()
        self.children = [self.header, self.tabs]
        self.add_class("diaglab-panel")
        self.tabs.observe(self._focus, names="selected_index")
        self._focus()
        self.selection.observe(self._show_selection, names=list(self.selection.trait_names()))
        self._show_selection()
        if saved is not None:
            self.restore(saved)

    # -- building -----------------------------------------------------------------------------

    def _make(
        self, key: str, module: str, cls_name: str, store: Any, model: str, *, trust: bool
    ) -> Explorer | None:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError) as exc:
            if key not in OPTIONAL:
                raise
            self.unavailable[key] = f"{cls_name} is not available in this installation ({exc})"
            return None
        kwargs: dict[str, Any] = {"trust": trust} if key == "inspector" else {}
        args = (store,) if key in STORE_WIDE else (store, model)
        try:
            explorer: Explorer = cls(*args, **kwargs)
        except Exception as exc:
            if key not in OPTIONAL:
                raise
            self.unavailable[key] = f"{cls_name} could not open model {model!r}: {exc}"
            return None
        return explorer

    def _with_links(self, pages: list[w.Widget], keys: list[str]) -> list[w.Widget]:
        """One click between drift and slices: above the Drift tab, "the slices it hurts"
        (the Slices tab grouped by the drifted feature); above the Slices tab, "its drift"
        (the Drift tab scoped to the selected slice)."""
        drift, slices = self.explorers.get("drift"), self.explorers.get("slices")
        if drift is None or slices is None:
            return pages
        self.to_slices = w.Button(icon="arrow-right", layout=w.Layout(width="auto"))
        self.to_slices.add_class("diaglab-panel-to-slices")
        self.to_slices.on_click(lambda _b: self._guarded(self.slices_by))
        self.to_drift = w.Button(icon="arrow-right", layout=w.Layout(width="auto"))
        self.to_drift.add_class("diaglab-panel-to-drift")
        self.to_drift.on_click(lambda _b: self._guarded(self.drift_of_slice))
        drift.observe(self._show_links, names="feature")
        slices.observe(self._show_links, names="selected_slice")
        self._show_links()
        out = list(pages)
        for key, link in (("drift", self.to_slices), ("slices", self.to_drift)):
            at = keys.index(key)
            out[at] = w.VBox([w.HBox([link], layout=w.Layout(justify_content="flex-end")), out[at]])
        return out

    def _show_links(self, change: Any = None) -> None:
        feature = self.explorers["drift"].feature
        usable = feature is not None and feature in self.explorers["slices"].by_picker.options
        self.to_slices.disabled = not usable
        self.to_slices.description = (
            f"slices by {feature}" if usable else "slices by a drifted input feature"
        )
        self.to_slices.tooltip = "the Slices tab grouped by this feature: where it hurts"
        chosen = self.explorers["slices"].selected_slice
        self.to_drift.disabled = chosen is None
        self.to_drift.description = "drift in this slice" if chosen else "drift in a picked slice"
        self.to_drift.tooltip = "the Drift tab scoped to " + (str(chosen) if chosen else "it")

    def _guarded(self, action: Any) -> None:
        try:
            action()
        except Exception as exc:  # shown under the header, as every explorer shows its own
            self.export_status.value = error_html(exc)

    def slices_by(self, feature: str | None = None) -> Explorer:
        """The Slices tab grouped by ``feature`` (default: the Drift tab's feature), shown."""
        feature = feature or self.explorers["drift"].feature
        slices = self.explorers["slices"]
        if feature not in slices.by_picker.options:
            raise unknown("feature to slice by", feature, list(slices.by_picker.options))
        slices.by = [feature]
        return self.show("slices")

    def drift_of_slice(self) -> Explorer:
        """The Drift tab scoped to the Slices tab's selected slice, shown."""
        chosen = self.explorers["slices"].selected_slice
        if chosen is None:
            raise InputError("pick a slice in the Slices tab first (a bar or a slice found)")
        self.selection.slice = chosen
        return self.show("drift")

    def _build_header(self) -> None:
        self.selection_html = w.HTML("")
        self.selection_html.add_class("diaglab-panel-selection")
        self.title_text = w.Text(
            placeholder="finding title", layout=w.Layout(width="260px"), continuous_update=True
        )
        self.title_text.add_class("diaglab-panel-title")
        self.note_text = w.Text(
            placeholder="note (optional)", layout=w.Layout(width="320px"), continuous_update=True
        )
        self.note_text.add_class("diaglab-panel-note")
        self.capture_button = action_button(
            "Capture",
            icon="camera",
            tooltip="capture what the active tab shows as a finding",
            css_class="diaglab-panel-capture",
            on_click=self._on_capture,
        )
        self.capture_status = styled(w.HTML(""), "diaglab-panel-capture-status")
        self.captured: list[Any] = []
        self.export_format = w.Dropdown(
            options=list(EXPORT_FORMATS), value=EXPORT_FORMATS[0], layout=w.Layout(width="80px")
        )
        self.export_format.add_class("diaglab-panel-export-format")
        self.export_name = w.Text(
            placeholder="file name (optional)", layout=w.Layout(width="200px")
        )
        self.export_name.add_class("diaglab-panel-export-name")
        self.export_button = action_button(
            "Export",
            icon="download",
            tooltip="write the findings captured in this panel as one report",
            css_class="diaglab-panel-export",
            on_click=self._on_export,
        )
        self.export_status = styled(w.HTML(""), "diaglab-panel-export-status")
        self.exported: list[Path] = []
        self.header = w.VBox(
            [
                self.selection_html,
                w.HBox(
                    [self.title_text, self.note_text, self.capture_button],
                    layout=w.Layout(align_items="center"),
                ),
                self.capture_status,
                w.HBox(
                    [self.export_format, self.export_name, self.export_button],
                    layout=w.Layout(align_items="center"),
                ),
                self.export_status,
            ],
            layout=w.Layout(border_bottom="1px solid #ddd", padding="2px 0 6px 0"),
        )
        self.header.add_class("diaglab-panel-header")

    def _show_selection(self, change: Any = None) -> None:
        cut = threshold_text(self.store.schema(self.model), None, self.selection.version)
        self.selection_html.value = (
            f"<div style='font-size:12px'>{self.selection.describe_html()}"
            + (f" · decided at <b>{html.escape(cut)}</b>" if cut else "")
            + "</div>"
        )

    def _focus(self, change: Any = None) -> None:
        """The active tab's views are queried first."""
        active = self.active
        self.coordinator.focus = set() if active is None else {id(active)}

    # -- the active explorer and capture ------------------------------------------------------

    @property
    def active(self) -> Explorer | None:
        """The explorer of the tab shown (None for a tab whose explorer is unavailable)."""
        index = self.tabs.selected_index or 0
        return self.explorers.get(self._tab_keys[index])

    def show(self, key: str) -> Explorer:
        """Bring the tab ``key`` (drift, slices, ...) to the front; returns its explorer."""
        if key not in self.explorers:
            raise unknown("panel tab", key, list(self.explorers))
        self.tabs.selected_index = self._tab_keys.index(key)
        return self.explorers[key]

    def capture(self, title: str, note: str = "") -> Any:
        """Capture what the active tab shows (``explorer.capture(title, note)``)."""
        explorer = self.active
        if explorer is None:
            raise InputError("the active tab has no explorer to capture")
        result = explorer.capture(title, note)
        self.captured.append(result)
        return result

    def _on_capture(self, _button: Any = None) -> None:
        title = self.title_text.value.strip()
        try:
            if not title:
                raise InputError("type a title for the finding first")
            result = self.capture(title, self.note_text.value)
        except Exception as exc:
            self.capture_status.value = error_html(exc)
            return
        ident = result.get("id") if isinstance(result, dict) else getattr(result, "id", None)
        name = type(self.active).__name__
        self.capture_status.value = (
            f"<span style='color:#2e7d32'>captured “{html.escape(title)}” from {name}"
            + (f" ({html.escape(str(ident))})" if ident else "")
            + "</span>"
        )
        self.title_text.value = ""
        self.note_text.value = ""

    # -- export -------------------------------------------------------------------------------

    def export(self, fmt: str = "html", name: str | None = None) -> Path:
        """Write the findings captured in this panel (:attr:`captured`) as one report.

        Parameters
        ----------
        fmt : {"html", "md", "json"}
            HTML report, Markdown (charts in ``<name>_files/`` beside it) or the findings bundle.
        name : str, optional
            The file name, without folders; default ``<model>-findings-<UTC time>``.

        Returns
        -------
        Path
            The file written, in :attr:`export_dir`.
        """
        if fmt not in EXPORT_FORMATS:
            raise unknown("export format", fmt, list(EXPORT_FORMATS))
        if not self.captured:
            raise InputError("nothing captured in this panel yet: type a title and press Capture")
        if name is None or not name.strip():
            name = f"{self.model}-findings-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        name = check_export_name(name.strip(), fmt)
        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the export folder {self.export_dir}: {exc}") from exc
        target = inside(self.export_dir, f"{name}.{fmt}")
        try:
            path = Path(
                export_findings(
                    list(self.captured), target, title=f"{self.model}: findings from the panel"
                )
            )
        except OSError as exc:
            raise InputError(f"could not write {target}: {exc}") from exc
        self.exported.append(path)
        return path

    def _on_export(self, _button: Any = None) -> None:
        fmt = self.export_format.value
        try:
            path = self.export(fmt, self.export_name.value)
        except Exception as exc:
            self.export_status.value = error_html(exc)
            return
        href = Path(os.path.relpath(path, Path.cwd())).as_posix()
        n = len(self.captured)
        self.export_status.value = (
            f"<span style='color:#2e7d32'>exported {n} finding{'s' if n != 1 else ''} to "
            f"<a class='diaglab-panel-export-link' href='{html.escape(href, quote=True)}' "
            "target='_blank' rel='noopener' style='text-decoration:underline'>"
            f"{html.escape(href)}</a></span>"
        )

    # -- state --------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The panel's state as JSON: the selection, each explorer's options, the active tab."""
        explorers: dict[str, Any] = {}
        for key, explorer in self.explorers.items():
            try:
                explorers[key] = explorer.state
            except NotImplementedError:
                continue
        return {
            "format": STATE_FORMAT,
            "model": self.model,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "selection": self.selection.to_json(),
            "explorers": explorers,
            "tab": self._tab_keys[self.tabs.selected_index or 0],
        }

    def save(self, name: str) -> Path:
        """Save the state in the store as ``panels/<model>/<name>.json``; returns the path."""
        return write_state(self.store, self.model, name, self.state())

    def restore(self, state: dict[str, Any] | str) -> Panel:
        """Apply a state (a dict from :meth:`state`, or the name of a saved one)."""
        if isinstance(state, str):
            state = read_state(self.store, self.model, state)
        for key, options in (state.get("explorers") or {}).items():
            explorer = self.explorers.get(key)
            if explorer is not None and isinstance(options, dict):
                apply_options(explorer, options)
        selection = dict(state.get("selection") or {})
        selection.pop("model", None)
        self.selection.update(selection)
        tab = state.get("tab")
        if tab in self.explorers:
            self.show(tab)
        return self

    # -- lifecycle ----------------------------------------------------------------------------

    def wait(self, timeout: float | None = 60.0) -> Panel:
        """Push pending selection changes and wait for every explorer's work."""
        self.selection.wait(timeout)
        return self

    def close(self) -> None:
        for explorer in getattr(self, "explorers", {}).values():
            explorer.close()
        coordinator = getattr(self, "coordinator", None)
        if coordinator is not None:
            coordinator.close()
        super().close()

    def __repr__(self) -> str:
        return f"<diaglab.Panel {self.model!r}: {', '.join(self.explorers)}; {self.selection!r}>"


def panel(store: Any, model: str | None = None, **kwargs: Any) -> Panel:
    """All of a model's explorers in tabs, linked through one shared selection; see :class:`Panel`.

    Examples
    --------
    >>> p = dl.panel(store, "credit")  # displays in the notebook         # doctest: +SKIP
    >>> p.selection.window = ("2026-02-10", "2026-03-02")  # every tab follows  # doctest: +SKIP
    """
    return Panel(store, model, **kwargs)


__all__ = [
    "Panel",
    "check_export_name",
    "check_state_name",
    "export_folder",
    "panel",
    "saved_states",
]
