"""Controls the explorers share, built one way: typed text, the Run button, the window-size
picker and the Vega charts."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from diaglab.charts._common import message_chart
from diaglab.explorers._vega import Chart

FREQS = ("1h", "6h", "1D", "7D", "W", "M")
WINDOW_HINT = "everything, or 2026-02-10 .. 2026-03-02"
SLICE_HINT = "e.g. region = 'north' AND income < 30000"
CHART_ACTIONS = {"export": True, "source": False, "compiled": False, "editor": False}


def text_box(
    description: str, placeholder: str, *, width: str = "330px", label_width: str = "70px"
) -> w.Text:
    """A text control that reports its value on Enter or blur, not on every keystroke."""
    return w.Text(
        description=description,
        placeholder=placeholder,
        continuous_update=False,
        layout=w.Layout(width=width),
        style={"description_width": label_width},
    )


def freq_picker(value: str = "1D") -> w.Dropdown:
    return w.Dropdown(
        options=FREQS,
        value=value,
        description="every",
        layout=w.Layout(width="130px"),
        style={"description_width": "44px"},
    )


def run_button() -> w.Button:
    return w.Button(
        description="Run",
        icon="refresh",
        button_style="primary",
        tooltip="re-read the store and recompute",
        layout=w.Layout(width="90px", flex="0 0 auto"),  # never squeezed in a narrow row
    )


def vega_chart(message: str, css_class: str, *, brush: bool = False, actions: Any = None) -> Any:
    """A JupyterChart showing ``message`` until its first chart. With ``brush``, a brushed
    interval reports once the drag pauses (100 ms), not on every mouse move; the coordinator's
    debounce then coalesces what a longer drag sends."""
    options: dict[str, Any] = {"renderer": "svg"}
    if actions is not None:
        options["actions"] = actions
    timing: dict[str, Any] = {"debounce_wait": 100, "max_wait": False} if brush else {}
    widget = Chart(message_chart(message), embed_options=options, **timing)
    widget.add_class(css_class)
    return widget
