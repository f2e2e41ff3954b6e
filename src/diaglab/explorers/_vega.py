"""Altair charts as widgets that share one chart runtime per page.

``alt.JupyterChart.enable_offline()`` puts the whole of Vega-Embed, Vega-Lite and Vega (~1 MB)
into every chart widget's state: an executed notebook with a panel weighed 12 MB. Here the
library lives once, in a :class:`VegaRuntime` model, and each :class:`Chart` carries a small
front end (``_vega.js``) that imports it from there; the bundle is built by vl-convert, so
nothing is fetched from a CDN and a saved notebook draws again with the kernel stopped.

A :class:`Chart` sends its chart's spec without Altair's schema validation (a ``to_dict()`` checks
the whole spec against the Vega-Lite schema, on the kernel's thread, at every redraw). The specs
are diaglab's own chart code's, whose every shape the tests draw with validation on: they set
``DIAGLAB_VALIDATE_CHARTS=1`` (tests/conftest.py), which every :class:`Chart` then honours.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import altair as alt
import anywidget
import traitlets
from ipywidgets import widget_serialization

_HERE = Path(__file__).parent
# vegaEmbed and lodashDebounce are the names vl-convert's bundler provides (help(javascript_bundle))
_SNIPPET = "export { vegaEmbed, lodashDebounce };"
_LOCK = threading.Lock()
_RUNTIME: VegaRuntime | None = None


class VegaRuntime(anywidget.AnyWidget):
    """The chart library, held once per kernel and shared by every :class:`Chart`.

    Attributes
    ----------
    source : str
        An ES module exporting ``vegaEmbed`` and ``lodashDebounce``, gzip-compressed and
        base64-encoded (0.4 MB stored instead of 0.9 MB; browsers inflate it natively).
    version : str
        A digest of ``source``: two runtimes with the same source load it once per page.
    """

    _esm = "export default {};"
    source = traitlets.Unicode("").tag(sync=True)
    version = traitlets.Unicode("").tag(sync=True)

    @property
    def module(self) -> str:
        """The ES module's text."""
        return gzip.decompress(base64.b64decode(self.source)).decode()


def runtime() -> VegaRuntime:
    """The kernel's one :class:`VegaRuntime`, built on first use (~2 s for vl-convert)."""
    global _RUNTIME
    with _LOCK:
        if _RUNTIME is None or _RUNTIME.comm is None:  # none yet, or closed
            from altair.utils._importers import import_vl_convert, vl_version_for_vl_convert

            source = import_vl_convert().javascript_bundle(
                _SNIPPET, vl_version=vl_version_for_vl_convert()
            )
            raw = source.encode()
            packed = base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode()
            digest = hashlib.sha256(raw).hexdigest()[:16]
            _RUNTIME = VegaRuntime(source=packed, version=digest)
        return _RUNTIME


def validating() -> bool:
    """Whether charts are validated when drawn (``DIAGLAB_VALIDATE_CHARTS=1``: the tests)."""
    return os.environ.get("DIAGLAB_VALIDATE_CHARTS", "") == "1"


@functools.cache
def _unvalidated_class(cls: Any) -> type:
    """A subclass of an Altair top-level chart class whose ``to_dict`` skips validation unless
    asked for it."""

    def to_dict(self: Any, validate: bool = False, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = cls.to_dict(self, validate, **kwargs)
        return out

    return type(cls.__name__, (cls,), {"to_dict": to_dict, "__module__": cls.__module__})


def unvalidated(chart: Any) -> Any:
    """A shallow copy of ``chart`` that draws without schema validation (:class:`Chart`)."""
    if chart is None or validating() or not isinstance(chart, alt.TopLevelMixin):
        return chart
    copy: Any = chart.copy(deep=False)  # type: ignore[attr-defined]
    kind: Any = type(chart)
    object.__setattr__(copy, "__class__", _unvalidated_class(kind))  # past Altair's setattr
    return copy


class Chart(alt.JupyterChart):
    """An ``altair.JupyterChart`` (same ``chart``, ``selections`` and ``params``) whose
    front end imports the chart library from the shared :func:`runtime`."""

    _esm = (_HERE / "_vega.js").read_text()
    # A chart is drawn to the width of its box (_vega.js fits it); should it still come out
    # wider (a plot at its smallest), it scrolls inside its own box rather than being cut.
    _css = """
    .diaglab-chart-host { display: block; min-width: 0; max-width: 100%; }
    .vega-embed { overflow-x: auto; max-width: 100%; }
    .vega-embed .chart-wrapper { width: max-content; }
    .vega-embed details[title="Click to view actions"] { position: sticky; }
    """
    _runtime = traitlets.Instance(VegaRuntime).tag(sync=True, **widget_serialization)

    def __init__(self, chart: Any, **kwargs: Any) -> None:
        super().__init__(chart, _runtime=runtime(), **kwargs)

    @traitlets.validate("chart")
    def _skip_validation(self, proposal: Any) -> Any:
        return unvalidated(proposal["value"])
