"""The Why tab's redraw after a brush (issue 19), in real JupyterLab and Debian's Chromium.

``python -m bench.why_tab [--workdir DIR] [--size 10M] [--repeat 3] [--no-record]``
``PYTHONPATH=TREE/src:. python -m bench.why_tab --store /tmp/diaglab/credit-10M --label TREE``

With ``--store``, the notebook opens a copy of that store (:func:`bench.explain_change.store_copy`,
made once in the workdir; the explorer keeps counts in it) at its model; run once per source tree
(the kernels inherit ``PYTHONPATH``), ``--label`` naming it in the results.

One notebook shows ``dl.ChangeExplorer`` (what the panel's Why tab holds) on the store of
:mod:`bench.explain_change` (built there if missing), with its periods. Two interactions, each a
trusted drag on the window's metric-over-time chart, each repeated ``--repeat`` times:

- **new pair**: the window brushed to a pair of periods not seen before; the waterfall waits for a
  new ``explain_change``;
- **seen pair**: the window brushed back to a pair drawn before; the explorer's cache answers.

Measured inside the page as :mod:`bench.panel` does: the ``pointerup`` event's ``timeStamp`` to the
first animation frame where the summary differs from before the drag, the waterfall has its bars
and no view of the explorer is updating.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from bench._common import machine, parse_size
from bench.browser import _shutdown_kernels, notebook_page, serving
from bench.explain_change import REFERENCE, WINDOW, prepare, store_copy
from bench.panel import ARM_JS, READ_JS

ROOT = Path(__file__).parents[1]
HERE = Path(__file__).parent
ARTIFACTS = ROOT / "test-artifacts" / "bench-why"

NOTEBOOK = f"""import os
import diaglab as dl

store = dl.open(os.environ["DIAGLAB_STORE"])
ex = dl.ChangeExplorer(store, MODEL, reference={REFERENCE!r}, window={WINDOW!r})
ex"""

HELPERS_JS = r"""() => {
    const q = (s) => document.querySelector('.diaglab-change ' + s);
    const H = {
        summary() { return ((q('.diaglab-change-summary') || {}).textContent || '').trim(); },
        bars() { return document.querySelectorAll(
            '.diaglab-change-chart svg .mark-rect path').length; },
        drawn() {
            const root = document.querySelector('.diaglab-change');
            return !!root && !root.classList.contains('diaglab-updating-waterfall');
        },
        quiet() {
            const root = document.querySelector('.diaglab-change');
            return !!root && ![...root.classList].some(c => c.startsWith('diaglab-updating-')) &&
                !root.classList.contains('diaglab-busy');
        },
    };
    window.__dl = H;
}"""

# fractions of the window chart's width dragged across, after the reference (the first fifth of
# the days), each about as long as the reference (a fifth: 2M rows at 10M); each a new pair.
# Wider windows at 10M end in DuckDB's OutOfMemoryException (the bins' exact quantiles over
# every numeric feature at once, at the store's 1.2 GB memory limit): see bench/RESULTS.md.
BRUSHES = ((0.76, 0.96), (0.70, 0.90), (0.79, 0.99), (0.73, 0.93), (0.67, 0.87))
AWAY = ((0.62, 0.82), (0.64, 0.84), (0.66, 0.86), (0.68, 0.88), (0.61, 0.81))
"""Where each round brushes between its new pair and the way back: pairs no other brush draws."""


def _drag(page: Any, lo: float, hi: float) -> Any:
    line = page.locator(".diaglab-change-window svg .mark-line").first
    line.scroll_into_view_if_needed()
    box = line.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] * 0.5

    def act() -> None:
        page.mouse.move(box["x"] + box["width"] * lo, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * hi, y, steps=12)
        page.mouse.up()

    return act


def _clear(page: Any) -> None:
    """Double-click the window chart: Vega clears its brush, so the next drag draws a new one
    (a drag starting inside a brush would move it, to another pair of periods)."""
    box = page.locator(".diaglab-change-window svg .mark-line").first.bounding_box()
    assert box is not None
    page.mouse.dblclick(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    time.sleep(0.5)


def _measure(page: Any, lo: float, hi: float, stale_after_s: float) -> dict[str, float | None]:
    """Milliseconds from the drag's ``pointerup`` to the first frame with a new summary and the
    waterfall drawn (``first``), and with every view fresh (``redrawn``: the found slices too)."""
    _clear(page)
    before = page.evaluate("() => window.__dl.summary()")
    changed = f"H.summary() !== {json.dumps(before)} && H.bars() > 0"
    preds = {"first": f"{changed} && H.drawn()", "redrawn": f"{changed} && H.quiet()"}
    page.evaluate(ARM_JS, {"event": "pointerup", "preds": preds})
    _drag(page, lo, hi)()
    deadline = time.monotonic() + stale_after_s
    got: dict[str, Any] = {"hit": {}}
    while time.monotonic() < deadline:
        time.sleep(0.05)
        got = page.evaluate(READ_JS)
        if "redrawn" in got["hit"]:
            break
    return {k: (round(float(got["hit"][k]), 1) if k in got["hit"] else None) for k in preds}


def _settle(page: Any, timeout_s: float) -> None:
    page.wait_for_function("() => window.__dl.quiet()", timeout=timeout_s * 1000, polling=200)
    time.sleep(0.5)


def run(
    store: Path, repeat: int, timeout_s: float, stale_after_s: float, model: str = "m"
) -> dict[str, Any]:
    source = NOTEBOOK.replace("MODEL", repr(model))
    with serving(store, "why") as (_h, lab, context, url):
        page = notebook_page(lab, context, "bench-why.ipynb", source, timeout_s=timeout_s)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        runs: dict[str, list[float | None]] = {
            "new pair, first draw": [],
            "new pair, every view": [],
            "seen pair": [],
        }
        try:
            started = time.perf_counter()
            lab.open(page, "bench-why.ipynb")
            lab.run_all(page)
            page.locator(".diaglab-change-chart svg .mark-rect path").first.wait_for(
                timeout=timeout_s * 1000
            )
            page.evaluate(HELPERS_JS)
            _settle(page, timeout_s)
            opened_s = round(time.perf_counter() - started, 1)
            for i in range(repeat):
                lo, hi = BRUSHES[i % len(BRUSHES)]
                new = _measure(page, lo, hi, stale_after_s)
                runs["new pair, first draw"].append(new["first"])
                runs["new pair, every view"].append(new["redrawn"])
                _settle(page, timeout_s)
                # away to another new pair, then back to the one just drawn
                nlo, nhi = AWAY[i % len(AWAY)]
                _measure(page, nlo, nhi, stale_after_s)
                _settle(page, timeout_s)
                runs["seen pair"].append(_measure(page, lo, hi, stale_after_s)["redrawn"])
                _settle(page, timeout_s)
                print(json.dumps({k: v[-1] for k, v in runs.items()}), flush=True)
        finally:
            page.screenshot(path=str(ARTIFACTS / "why-last.png"))
            page.close()
            _shutdown_kernels(url, lab.token)
    return {"opened_s": opened_s, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.why_tab")
    parser.add_argument("--workdir", default=str(HERE / "data"))
    parser.add_argument("--size", default="10M")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--stale-after", type=float, default=300)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--store", default=None, help="a store with a registered reference")
    parser.add_argument("--label", default="this tree", help="the source tree, for the results")
    args = parser.parse_args()
    model = "m"
    if args.store is not None:
        path, model = store_copy(Path(args.store), Path(args.workdir))
    else:
        path = prepare(parse_size(args.size), Path(args.workdir))
    before = machine()
    out = run(path, args.repeat, args.timeout, args.stale_after, model)
    after = machine()

    def cell(values: list[float | None]) -> str:
        shown = ", ".join("stale" if v is None else f"{v:,.0f}" for v in values)
        done = [v for v in values if v is not None]
        med = f"**{statistics.median(done):,.0f}**" if len(done) == len(values) else "—"
        return f"{shown} | {med}"

    text = "\n".join(
        [
            "",
            f"### The Why tab's redraw after a brush ({args.size} rows; `python -m bench.why_tab"
            + (f" --store {args.store}`; {args.label}, model `{model}`)" if args.store else "`)"),
            "",
            f"{before['date']}; {before['cpu']}, {before['cores']} cores; load average "
            f"{before['load_avg']} before, {after['load_avg']} after. `dl.ChangeExplorer` (the "
            "panel's Why tab) in JupyterLab and Debian's Chromium; from the drag's `pointerup` "
            "to the first frame with the new summary, the waterfall's bars and no view updating. "
            f"Notebook opened and first waterfall drawn in {out['opened_s']} s.",
            "",
            "| brush of the window | runs (ms) | median (ms) |",
            "|---|---|---|",
            f"| to a pair of periods not seen before: summary and waterfall drawn | "
            f"{cell(out['runs']['new pair, first draw'])} |",
            f"| to a pair of periods not seen before: every view fresh (found slices too) | "
            f"{cell(out['runs']['new pair, every view'])} |",
            f"| back to a pair drawn before (the explorer's cache) | "
            f"{cell(out['runs']['seen pair'])} |",
        ]
    )
    print(text)
    if not args.no_record:
        with open(HERE / "RESULTS.md", "a") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
