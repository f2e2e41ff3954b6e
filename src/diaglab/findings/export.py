"""``dl.export(findings, path)``: HTML, Markdown, JSON, Parquet or PDF by the path's suffix.

The path is used exactly as given; files beside it (a Markdown report's charts, as PNG) go into
``<name>_files/`` next to it, under names made from the finding's position and a slug of its
title, so no title can place a file anywhere else. Tracking servers (``mlflow=``, ``wandb=``)
are in :mod:`diaglab.findings.tracking`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from diaglab.errors import DiaglabError, InputError
from diaglab.findings.evidence import evidence
from diaglab.findings.finding import Finding, bundle, now_iso, read_bundle, svg_image
from diaglab.findings.html import report_html, wide

SUFFIXES = (".html", ".md", ".json", ".parquet", ".pdf")
MD_ROWS = 20


class MissingExtraError(DiaglabError, ImportError):
    """An optional package (or program) that an export needs is not installed."""


def as_findings(findings: Any) -> list[Finding]:
    """A list of Finding from a Finding, a list of them, dl.findings(...) or a bundle dict."""
    if isinstance(findings, Finding):
        return [findings]
    if isinstance(findings, dict):
        return read_bundle(findings)
    if isinstance(findings, Iterable) and not isinstance(findings, str | bytes):
        items = list(findings)
        bad = [type(x).__name__ for x in items if not isinstance(x, Finding)]
        if not bad:
            return items
        raise InputError(f"export takes findings; got {', '.join(sorted(set(bad)))}")
    raise InputError(f"export takes a Finding or a list of findings, not {type(findings).__name__}")


def slug(text: str, *, limit: int = 40) -> str:
    """A file-name-safe slug: letters, digits, ``-`` and ``_`` only (never a path)."""
    out = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")[:limit].strip("-_")
    return out or "finding"


def file_names(findings: Sequence[Finding]) -> list[str]:
    """One unique, safe base name per finding: ``01-income-drifted``."""
    width = max(2, len(str(len(findings))))
    return [f"{i + 1:0{width}d}-{slug(f.title)}" for i, f in enumerate(findings)]


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing anything that would resolve outside ``folder``."""
    target = (folder / name).resolve()
    if target.parent != folder.resolve():
        raise InputError(f"refusing to write {name!r} outside {folder}")
    return target


def export(
    findings: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    mlflow: Any = None,
    wandb: Any = None,
    title: str = "diaglab findings",
) -> Any:
    """Write findings to ``path`` by its suffix, and/or log them to MLflow or W&B.

    Parameters
    ----------
    findings : Finding, list of Finding, or ``dl.findings(store)``
    path : str or Path, optional
        ``.html`` (self-contained, interactive offline, static SVG fallback), ``.md`` (charts as
        SVG files in ``<name>_files/`` beside it), ``.json`` (the findings bundle,
        ``application/vnd.diaglab.findings+json``), ``.parquet`` (the evidence rows, one row per
        table row, with ``finding_id``), ``.pdf`` (printed from the HTML by headless Chromium).
    mlflow : run id, mlflow Run, ``{"tracking_uri": ..., "experiment": ...}`` or True
        Log each finding's claimed numbers as metrics, its table, chart and JSON as artifacts.
    wandb : wandb Run, dict of ``wandb.init`` arguments, or True
        The same for a Weights & Biases run (offline mode works: ``WANDB_MODE=offline``).

    Returns
    -------
    Path, or the tracking run id(s) when only ``mlflow=``/``wandb=`` is given; with several,
    a dict ``{"path": ..., "mlflow": run_id, "wandb": run_id}``.
    """
    items = as_findings(findings)
    if path is None and mlflow is None and wandb is None:
        raise InputError(
            "export needs a path (.html, .md, .json, .parquet, .pdf), mlflow= or wandb="
        )
    out: dict[str, Any] = {}
    if path is not None:
        out["path"] = write(items, Path(path), title=title)
    if mlflow is not None:
        from diaglab.findings.tracking import to_mlflow

        out["mlflow"] = to_mlflow(items, mlflow)
    if wandb is not None:
        from diaglab.findings.tracking import to_wandb

        out["wandb"] = to_wandb(items, wandb)
    return next(iter(out.values())) if len(out) == 1 else out


def write(items: Sequence[Finding], path: Path, *, title: str = "diaglab findings") -> Path:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"cannot export to {path.name!r}: use one of {', '.join(SUFFIXES)} (or mlflow=/wandb=)"
        )
    path = path.expanduser()
    if not path.parent.is_dir():
        raise InputError(f"the folder {path.parent} does not exist")
    if suffix == ".html":
        _atomic_text(path, report_html(items, title=title))
    elif suffix == ".json":
        _atomic_text(path, json.dumps(bundle(items), indent=1, ensure_ascii=False))
    elif suffix == ".md":
        _markdown(items, path, title)
    elif suffix == ".parquet":
        _parquet(items, path)
    else:
        _pdf(items, path, title)
    return path


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# -- Markdown -----------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    """Text for a Markdown line: no raw HTML, no link or emphasis syntax that changes meaning."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([`*_\[\]<>|#!])", r"\\\1", text)
    return text.replace("\n", " ")


_HREF = re.compile(r"""\s[\w.-]*:?href\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)


# A nested SVG (data:image/svg+xml) would be drawn with its own references.
_RASTER_DATA = tuple(f"data:image/{t}" for t in ("png", "jpeg", "gif", "webp"))


def chart_png(svg: str) -> bytes | None:
    """A finding's chart as PNG (None when the text is not an SVG document or does not render).

    A Markdown report's chart is a file a reader may open in a browser, where an SVG would run
    any script it holds; a PNG holds none. Every reference other than ``#fragment`` and an
    inline raster image (``data:image/png``...) is removed before drawing, or
    ``<image href="/home/me/...">`` in a tampered finding would copy a local image into the
    report.
    """
    text = svg.strip()
    if not text.lower().startswith(("<svg", "<?xml")):
        return None

    def local_only(m: re.Match[str]) -> str:
        value = m.group(1)[1:-1].strip().lower()
        return m.group(0) if value.startswith(("#", *_RASTER_DATA)) else ""

    try:
        import vl_convert as vlc

        return bytes(vlc.svg_to_png(_HREF.sub(local_only, text), scale=2))
    except Exception:  # no vl-convert, or an SVG it cannot draw: the caller inlines svg_image
        return None


def _markdown(items: Sequence[Finding], path: Path, title: str) -> None:
    folder_name = f"{slug(path.stem, limit=60)}_files"
    folder = path.parent / folder_name
    names = file_names(items)
    lines = [f"# {_md_escape(title)}", "", f"{len(items)} finding(s), generated {now_iso()}.", ""]
    made_folder = False
    for f, name in zip(items, names, strict=True):
        meta = " · ".join(
            _md_escape(str(x))
            for x in (f.explorer, f.model, f.model_version, f.author, f.created_at)
            if x
        )
        lines += [f"## {_md_escape(f.title)}", "", f"*{meta}*", ""]
        if f.note:
            lines += [_md_escape(f.note), ""]
        if f.chart_svg:
            if not made_folder:
                folder.mkdir(exist_ok=True)
                made_folder = True
            png = chart_png(f.chart_svg)
            if png is not None:
                target = inside(folder, f"{name}.png")
                target.write_bytes(png)
                lines += [f"![chart: {_md_escape(f.title)}]({folder_name}/{target.name})", ""]
            elif image := svg_image(f.chart_svg, alt=f"chart: {f.title}"):
                lines += [image, ""]
        ev = evidence(f, max_rows=MD_ROWS)
        if ev.columns:
            lines.append("| " + " | ".join(_md_escape(c) for c in ev.columns) + " |")
            lines.append("|" + "---|" * len(ev.columns))
            for cells in ev.rows:
                lines.append("| " + " | ".join(_md_escape(v) for v in cells) + " |")
            notes = []
            if ev.total_rows > len(ev.rows):
                notes.append(f"first {len(ev.rows)} of {ev.total_rows:,} rows")
            if ev.hidden_columns:
                notes.append(f"{ev.hidden_columns} more columns in the JSON and Parquet exports")
            if notes:
                lines.append(f"\n*{'; '.join(notes)}*")
            lines.append("")
        if f.query.get("call"):
            lines += ["```python", str(f.query["call"]).replace("```", "` ` `"), "```", ""]
        lines += [f"<sub>finding {f.id} · sha256 {f.hash[:16]}</sub>", ""]
    _atomic_text(path, "\n".join(lines))


# -- Parquet ----------------------------------------------------------------------------------


def _parquet(items: Sequence[Finding], path: Path) -> None:
    """The evidence rows of every finding in one file: ``finding_id``, ``finding_title``,
    ``row`` (position in the finding's table), then the union of the tables' columns. Values
    of columns whose types differ between findings are stored as text."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    frames = []
    for f in items:
        df = f.frame()
        df = df.map(lambda v: json.dumps(v) if isinstance(v, list | dict) else v)
        df.insert(0, "row", range(len(df)))
        df.insert(0, "finding_title", f.title)
        df.insert(0, "finding_id", f.id)
        frames.append(df)
    if not frames:
        table = pa.table({"finding_id": pa.array([], pa.string())})
    else:
        merged = pd.concat(frames, ignore_index=True, sort=False)
        for c in merged.columns:
            kinds = {type(v) for v in merged[c].dropna()}
            if not (kinds <= {int, float} or kinds == {bool} or kinds == {str}):
                merged[c] = merged[c].map(lambda v: None if _missing(v) else str(v))
        table = pa.Table.from_pandas(merged, preserve_index=False)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


# -- PDF --------------------------------------------------------------------------------------

_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    env = os.environ.get("DIAGLAB_CHROMIUM")
    if env:
        return env if shutil.which(env) or Path(env).is_file() else None
    for name in _CHROMIUMS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _pdf(items: Sequence[Finding], path: Path, title: str) -> None:
    chromium = find_chromium()
    if chromium is None:
        raise MissingExtraError(
            "exporting .pdf prints the HTML report with headless Chromium, and no chromium is "
            f"on PATH (looked for {', '.join(_CHROMIUMS)}; or set DIAGLAB_CHROMIUM). "
            "Export .html and print it from a browser instead."
        )
    with tempfile.TemporaryDirectory(prefix="diaglab-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        # The static SVGs print; scripts are left out so printing does not race the charts.
        text = report_html(items, title=title, interactive=False, landscape=wide(items))
        page.write_text(text, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        cmd = [
            chromium,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
        except subprocess.TimeoutExpired as exc:
            raise InputError(f"{chromium} did not print the PDF within 180 s") from exc
        if not out.is_file() or out.stat().st_size == 0:
            raise InputError(
                f"{chromium} did not write a PDF (exit {done.returncode}): {done.stderr[-500:]}"
            )
        shutil.move(str(out), path)
