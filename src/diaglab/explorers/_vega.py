"""Altair charts as widgets that share one chart runtime per page.

``alt.JupyterChart.enable_offline()`` puts the whole of Vega-Embed, Vega-Lite and Vega (~1 MB)
into every chart widget's state: an executed notebook with a panel weighed 12 MB. Here the
library lives once, in a :class:`VegaRuntime` model, and each :class:`Chart` carries a small
front end (``_vega.js``) that imports it from there; the bundle is built by vl-convert, so
nothing is fetched from a CDN and a saved notebook draws again with the kernel stopped.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
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
