"""Controls the explorers share, built one way: typed text, the Run button, the window-size
picker and the Vega charts; how a control shows a trait and sets it (:class:`Binding`); and the
parameter descriptions the explorers' docstrings share (:func:`shared_doc`)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import ipywidgets as w

from diaglab.charts._common import message_chart
from diaglab.explorers._vega import Chart
from diaglab.queries.window import Window, format_window, parse_window

T = TypeVar("T")

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
        layout=w.Layout(width=width, max_width="100%"),  # no wider than a narrow box
        style={"description_width": label_width},
    )


NARROW = "190px"


W = TypeVar("W", bound=w.DOMWidget)


def styled(widget: W, css_class: str) -> W:
    """``widget`` with the CSS class that tests, the page's styles and the bench find it by."""
    widget.add_class(css_class)
    return widget


def action_button(
    description: str, *, icon: str, tooltip: str, css_class: str, on_click: Callable[[Any], Any]
) -> w.Button:
    """A button of a panel's header that runs ``on_click``."""
    # never squeezed below its label in a narrow header (the row wraps instead)
    layout = w.Layout(width="100px", flex="0 0 auto")
    button = w.Button(description=description, icon=icon, tooltip=tooltip, layout=layout)
    button.on_click(on_click)
    return styled(button, css_class)


def model_picker(models: list[str]) -> w.Dropdown:
    return w.Dropdown(options=models, description="model", layout=w.Layout(width=NARROW))


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


def picked_row(change: Any) -> int | None:
    """The row a click on a chart's point selection names (its ``key`` field), or None."""
    value = change["new"].value
    key = value[0].get("key") if value and isinstance(value, list) else None
    return None if key is None else int(key)


def _same(value: Any) -> Any:
    return value


def _text_or_none(value: Any) -> Any:
    return value or None


def shown_or_blank(value: Any) -> str:
    return "" if value is None else str(value)


def stripped(text: str) -> str | None:
    return text.strip() or None


@dataclass(frozen=True)
class Binding:
    """A control that shows a trait and sets it: ``show(trait value)`` is what the control
    displays, ``read(control value)`` the trait's value a person's edit sets. An edit equal to
    what the control already shows is the echo of the state, not a new value (a ``dl.Slice`` is
    shown as its text and must stay a Slice)."""

    control: str
    trait: str
    read: Callable[[Any], Any] = _same
    show: Callable[[Any], Any] = _same


def window_or_everything(text: str) -> Window:
    return parse_window(text) or Window()


MODEL = Binding("model_picker", "model")
VERSION = Binding("version_picker", "version", read=_text_or_none, show=shown_or_blank)
FREQ = Binding("freq_picker", "freq")
WINDOW = Binding("window_text", "window", read=window_or_everything, show=format_window)
REFERENCE = Binding("reference_text", "reference", read=parse_window, show=format_window)
WHERE = Binding("where_text", "where", read=_text_or_none, show=shown_or_blank)
METRICS = Binding("metric_picker", "metrics", read=list, show=tuple)


PARAMETERS = {
    "store": "store : diaglab.Store",
    "model": """model : str, optional
    The model; may be omitted when the store holds only one.""",
    "window": """window : dl.Window or (start, end), optional
    The period judged; default: everything logged.""",
    "reference": """reference : dl.Window or (start, end), optional
    A production window to compare with; default: the registered reference.""",
    "where": """where : str or dl.Slice, optional
    A slice filter, e.g. ``"region = 'north'"``.""",
    "version": """version : str, optional
    Only this model version's predictions.""",
}
_PLACEHOLDER = re.compile(r"^( *)\{(\w+)\}$", re.M)
_PARAMETERS = re.compile(r"^( *)Parameters\n *-+\n", re.M)


def shared_doc(cls: T) -> T:
    """Open a class docstring's Parameters with ``store`` and ``model``, and fill its
    ``{name}`` lines with the shared description ``PARAMETERS[name]``, indented as they are."""
    doc = _PARAMETERS.sub(r"\g<0>\1{store}\n\1{model}\n", cls.__doc__ or "", count=1)
    cls.__doc__ = _PLACEHOLDER.sub(lambda m: textwrap.indent(PARAMETERS[m[2]], m[1]), doc)
    return cls
