"""Tampered findings from issue 16: charts and specs that tried to run script in the notebook's
HTML fallback, the HTML export and the extension. Each payload sets ``window.__pwned`` (or calls
``alert``) if it ever runs; the tests load them in Python and in a real browser."""

from __future__ import annotations

from typing import Any

import diaglab as dl

PWN = "window.top.__pwned=(window.top.__pwned||0)+1;alert(1)"

SVG_PAYLOADS = {
    "svg-onload": f"<svg/onload={PWN}>",
    "animate-onbegin": (
        "<svg xmlns='http://www.w3.org/2000/svg'><animate onbegin='"
        + PWN
        + "' attributeName='x' dur='1s'/></svg>"
    ),
    "foreignobject-iframe": (
        "<svg xmlns='http://www.w3.org/2000/svg'><foreignObject width='100' height='100'>"
        "<iframe xmlns='http://www.w3.org/1999/xhtml' srcdoc='&lt;script&gt;"
        + PWN
        + "&lt;/script&gt;'></iframe></foreignObject></svg>"
    ),
    "newline-before-equals": f"<svg onload\n={PWN}><rect width='9' height='9'/></svg>",
    "onerror-spaced": (
        f"<svg xmlns='http://www.w3.org/2000/svg'><image href='x' onError ='{PWN}'/></svg>"
    ),
}

# vega-embed reads usermeta.embedOptions over the page's own options: this re-enabled the
# actions menu with a sourceHeader whose script ran from "View Source".
USERMETA_SPEC: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"a": 1, "b": 2}, {"a": 2, "b": 3}]},
    "mark": "bar",
    "encoding": {
        "x": {"field": "a", "type": "ordinal"},
        "y": {"field": "b", "type": "quantitative"},
    },
    "usermeta": {
        "embedOptions": {
            "actions": True,
            "sourceHeader": f"<script>{PWN}</script><img src=x onerror='{PWN}'>",
            "sourceFooter": f"<script>{PWN}</script>",
            "loader": {"baseURL": "https://attacker.invalid/"},
            "ast": False,
        }
    },
}


def tampered_findings() -> list[dl.Finding]:
    """One finding per SVG payload, and one whose Vega-Lite spec carries the usermeta payload."""
    out = [
        dl.Finding(id=f"xss-{name}", title=f"payload {name}", chart={"mark": "bar"}, chart_svg=svg)
        for name, svg in SVG_PAYLOADS.items()
    ]
    out.append(dl.Finding(id="xss-usermeta", title="usermeta payload", chart=USERMETA_SPEC))
    return out
