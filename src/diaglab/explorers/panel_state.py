"""A panel's saved state: the shared selection, each explorer's own options and the active tab,
kept in the store as ``panels/<model>/<name>.json`` (``p.save(name)``, ``dl.panel(store, model,
state=name)``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import traitlets

from diaglab.errors import InputError, unknown
from diaglab.explorers._base import Explorer
from diaglab.explorers._windows import parse_window
from diaglab.queries.window import Window
from diaglab.store import layout

STATE_FORMAT = 1
# options restored from a saved state: simple traits that are not part of the selection
_OPTION_TRAITS = (traitlets.Unicode, traitlets.Int, traitlets.Float, traitlets.Bool, traitlets.List)


def check_state_name(name: object) -> str:
    """``name`` if it is a safe panel-state name (it becomes a file name in the store)."""
    return layout.check_file_name("panel state name", name)


def saved_states(store: Any, model: str) -> list[str]:
    """Names of the panel states saved for ``model``."""
    d = layout.panel_dir(Path(store.path), model)
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


def write_state(store: Any, model: str, name: str, state: dict[str, Any]) -> Path:
    """Write ``state`` as ``name`` (atomically: a reader never sees half a file); its path."""
    check_state_name(name)
    d = layout.panel_dir(Path(store.path), model)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{name}.json"
    tmp = d / f".{name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(state, indent=1, default=str))
    os.replace(tmp, path)
    return path


def read_state(store: Any, model: str, name: str) -> dict[str, Any]:
    """The state saved as ``name`` for ``model``, checked to be a panel state of that model."""
    check_state_name(name)
    path = layout.panel_dir(Path(store.path), model) / f"{name}.json"
    if not path.is_file():
        raise unknown(f"saved panel state of model {model!r}:", name, saved_states(store, model))
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise InputError(f"panel state {name!r} ({path}) is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        raise InputError(f"panel state {name!r} ({path}) is not a format-1 panel state")
    if data.get("model") != model:
        raise InputError(f"panel state {name!r} is of model {data.get('model')!r}, not {model!r}")
    return data


def apply_options(explorer: Explorer, options: dict[str, Any]) -> None:
    """Set the explorer's own options (traits outside the selection) saved in a state."""
    linked = set(explorer.selection_traits.values()) | {"model"}
    values: dict[str, Any] = {}
    for name, value in options.items():
        if name in linked or not explorer.has_trait(name):
            continue
        trait = explorer.traits()[name]
        if isinstance(trait, _OPTION_TRAITS) and value is not None:
            values[name] = value
        elif _is_window_trait(trait):
            values[name] = _window_of(value)
    if values:
        explorer._set_traits(values)


def _is_window_trait(trait: Any) -> bool:
    return type(trait).__name__ in ("WindowTrait", "OptionalWindowTrait")


def _window_of(value: Any) -> Window | None:
    if isinstance(value, dict):
        return Window(value.get("start"), value.get("end"))
    if isinstance(value, str):
        return parse_window(value)
    return None if value is None else Window.of(value)
