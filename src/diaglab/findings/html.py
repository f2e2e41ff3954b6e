"""The HTML report: one self-contained file, interactive offline, readable without scripts.

Each finding is a section: title, who and when, the note, the chart, the evidence table (first
rows), and the query (the ``dl.`` call, folded Ibis and SQL). The chart is its static SVG in the
page; a script then replaces it with the interactive Vega-Lite view, drawn by the vega-embed
bundle inlined once (from vl-convert: no CDN, works offline). Where scripts don't run (a mail
client, GitHub's file view, a print), the SVG stays. Every text from a finding is escaped; specs
are embedded as JSON data blocks that cannot close their ``<script>`` element.

A finding may come from someone else (a shared store, a bundle sent by mail), so nothing in it
is allowed to run: the SVG is shown as an ``<img>`` (a browser runs no script in an image); a
spec's ``usermeta`` is dropped, since vega-embed lets ``usermeta.embedOptions`` override the
page's options (re-enabling "View Source" with a spec-chosen ``sourceHeader``); Vega expressions
are interpreted (``ast: true``), never compiled with ``Function``; and a Content-Security-Policy
allows only this page's own two scripts (by hash), no other script, no network, no frames.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from collections.abc import Sequence
from typing import Any

from diaglab.findings.evidence import evidence
from diaglab.findings.finding import Finding, canonical_json, now_iso, svg_image

NONE = "'none'"
PORTRAIT_COLUMNS = 6
_NUMBER = re.compile(r"^[<>]?-?[\d,.]+(e-?\d+)?( ?%| ms| days)?$")
TABLE_ROWS = 50
QUERY_CHARS = 20_000

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:24px auto;
padding:0 16px;color:#222}
h1{font-size:22px} h2{font-size:18px;margin:0 0 4px}
.finding{border-left:4px solid #4c78a8;padding:8px 16px;margin:24px 0;background:#fafbfc}
.meta{color:#555;font-size:12px;margin-bottom:8px}
.note{white-space:pre-wrap}
.chart{overflow-x:auto;margin:8px 0}
.chart img{max-width:100%;height:auto}
.evidence{overflow-x:auto;max-width:100%}
table.diaglab-table{border-collapse:collapse}
table.diaglab-table td,table.diaglab-table th{border:1px solid #ddd;padding:2px 6px;text-align:left;
white-space:nowrap}
table.diaglab-table td.num{text-align:right;font-variant-numeric:tabular-nums}
.more{color:#555;font-size:12px}
pre{white-space:pre-wrap;font-size:11px;background:#f3f3f3;padding:6px}
@media print{h2,.finding .meta,.note{break-after:avoid-page}.chart,tr{break-inside:avoid-page}
.chart img{max-height:120mm;width:auto}details{display:none}}
"""


@functools.cache
def vega_bundle() -> str:
    """vega, vega-lite and vega-embed as one script (~0.9 MB), built offline by vl-convert."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    snippet = (
        "window.vegaEmbed = vegaEmbed;\n"
        # vl-convert's bundle binds `vega` to null: reading a property of it threw on every
        # page load (caught by the browser tests' page-error check since issue 18)
        "window.vegaExpressionInterpreter = vega ? vega.expressionInterpreter : undefined;\n"
    )
    return str(vlc.javascript_bundle(snippet, vl_version=vl_version_for_vl_convert()))


def _json_block(value: Any) -> str:
    # "</" cannot appear inside the block, so no value can end the <script> element early.
    return canonical_json(value).replace("</", "<\\/").replace("<!--", "<\\!--")


_EMBED = (
    "(function(){var specs=JSON.parse(document.getElementById('diaglab-specs').textContent);"
    "Object.keys(specs).forEach(function(id){var el=document.getElementById(id);"
    "if(!el||!window.vegaEmbed)return;var spec=specs[id];delete spec.usermeta;"
    "var box=document.createElement('div');"
    "window.vegaEmbed(box,spec,{actions:false,renderer:'svg',ast:true,"
    "expr:window.vegaExpressionInterpreter})"
    ".then(function(){el.replaceChildren(box);})"
    ".catch(function(e){console.warn('diaglab chart',id,e);});});})();"
)


def without_usermeta(spec: Any) -> Any:
    """A Vega-Lite spec without its top-level ``usermeta``, where vega-embed reads options that
    override the embedding page's."""
    if isinstance(spec, dict):
        return {k: v for k, v in spec.items() if k != "usermeta"}
    return spec


def csp(scripts: Sequence[str]) -> str:
    """The Content-Security-Policy of a report whose only scripts are ``scripts`` (inline)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )
    return (
        "default-src 'none'; "
        f"script-src {hashes or NONE}; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:; "
        "connect-src 'none'; frame-src 'none'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def wide(findings: Sequence[Finding]) -> bool:
    """Whether a finding's evidence table needs a landscape page to print whole."""
    return any(len(evidence(f, max_rows=0).columns) > PORTRAIT_COLUMNS for f in findings)


def report_html(
    findings: Sequence[Finding],
    *,
    title: str = "diaglab findings",
    interactive: bool = True,
    landscape: bool = False,
) -> str:
    """The report of ``findings`` as one HTML document (no external resources); printed on
    landscape pages with ``landscape=True``."""
    esc = html.escape
    sections = [_section(i, f) for i, f in enumerate(findings)]
    models = sorted({f.model for f in findings if f.model})
    body = "".join(sections)
    specs = {f"chart-{i}": without_usermeta(f.chart) for i, f in enumerate(findings) if f.chart}
    code = [vega_bundle(), _EMBED] if interactive and specs else []
    scripts = ""
    if code:
        scripts = (
            f"<script type='application/json' id='diaglab-specs'>{_json_block(specs)}</script>"
            + "".join(f"<script>{c}</script>" for c in code)
        )
    head = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{csp(code)}\">"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta name='generator' content='diaglab'>"
        f"<title>{esc(title)}</title><style>{_CSS}"
        + ("@page{size:A4 landscape;margin:10mm}" if landscape else "@page{margin:12mm}")
        + "</style></head><body>"
        f"<h1>{esc(title)}</h1><p class='meta'>{len(findings)} finding(s)"
        + (f" on {esc(', '.join(models))}" if models else "")
        + f" · generated {esc(now_iso())}</p>"
    )
    return head + body + scripts + "</body></html>"


def _section(i: int, f: Finding) -> str:
    esc = html.escape
    meta = " · ".join(
        esc(str(x))
        for x in (
            f.explorer,
            f.model and f"model {f.model}",
            f.model_version and f"version {f.model_version}",
            f.author and f"by {f.author}",
            f.created_at,
        )
        if x
    )
    sel = {k: v for k, v in (f.selection or {}).items() if v is not None and k != "model"}
    parts = [
        f"<section class='finding' id='finding-{i}' data-finding-id='{esc(f.id)}'>",
        f"<h2>{esc(f.title)}</h2><div class='meta'>{meta}</div>",
    ]
    if sel:
        parts.append(
            "<div class='meta'>"
            + " · ".join(f"{esc(str(k))}: {esc(str(v))}" for k, v in sel.items())
            + "</div>"
        )
    if f.note:
        parts.append(f"<p class='note'>{esc(f.note)}</p>")
    if f.chart:
        svg = svg_image(f.chart_svg, alt=f"chart: {f.title}") if f.chart_svg else ""
        fallback = svg or "<p><i>(chart: needs scripts to draw)</i></p>"
        parts.append(f"<div class='chart' id='chart-{i}'>{fallback}</div>")
    parts.append(evidence_html(f))
    parts.append(_query_html(f))
    parts.append(
        f"<div class='meta'>finding {esc(f.id)} · sha256 {esc(f.hash[:16])}…"
        + (f" · after {esc(f.prev_hash[:16])}…" if f.prev_hash else "")
        + "</div></section>"
    )
    return "".join(parts)


def _numeric(text: str) -> bool:
    return bool(_NUMBER.match(text))


def evidence_html(f: Finding) -> str:
    """The finding's curated evidence table, scrolling inside its card when it is wider."""
    esc = html.escape
    ev = evidence(f, max_rows=TABLE_ROWS)
    if not ev.columns:
        return "<p><i>no table</i></p>"
    head = "".join(f"<th>{esc(c)}</th>" for c in ev.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{esc(v)}</td>" if _numeric(v) else f"<td>{esc(v)}</td>" for v in row
        )
        + "</tr>"
        for row in ev.rows
    )
    notes = []
    if ev.total_rows > len(ev.rows):
        notes.append(f"first {len(ev.rows)} of {ev.total_rows:,} rows")
    if ev.hidden_columns:
        notes.append(f"{ev.hidden_columns} more columns in the JSON and Parquet exports")
    more = f"<p class='more'>{esc('; '.join(notes))}</p>" if notes else ""
    return (
        "<div class='evidence'><table class='diaglab-table' style='font-size:12px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}"
    )


def _query_html(f: Finding) -> str:
    esc = html.escape
    q = f.query or {}
    out = []
    if q.get("call"):
        out.append(f"<pre>{esc(str(q['call']))}</pre>")
    for kind, label in (("sql", "SQL"), ("ibis", "Ibis expression")):
        text = q.get(kind)
        if text:
            text = str(text)
            if len(text) > QUERY_CHARS:
                text = text[:QUERY_CHARS] + f"\n… ({len(str(q[kind])):,} characters in the JSON)"
            out.append(f"<details><summary>{label}</summary><pre>{esc(text)}</pre></details>")
    if f.claim:
        out.append(
            "<details><summary>claim (what recheck compares)</summary>"
            f"<pre>{esc(json.dumps(f.claim, indent=1))}</pre></details>"
        )
    return "".join(out)
