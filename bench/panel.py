"""Panel response benchmark (issue 17): in ``dl.panel``, from a person's action to fresh views.

``python -m bench.panel --sizes sample,1M [--repeat 3] [--label NAME] [--no-record]``

JupyterLab and Debian's Chromium start as in :mod:`bench.browser` (loopback only, every other
request aborted). One notebook shows ``dl.panel(store, "credit")``. Three interactions, each a
trusted input event from Playwright, each repeated ``--repeat`` times:

=============== ========================================== =====================================
interaction     the action                                 the first fresh result
=============== ========================================== =====================================
slice → rows    Slices tab: click a found slice (another    the rows table names the clicked
                each time)                                 slice and its count, not "updating"
brush → tab     Drift tab: drag across the over-time chart the drift window line and the
                (another period each time)                 selected row's chart show the
                                                           header's new window, not "updating"
                                                           (the table: in "all tabs fresh")
open prediction Slices tab: pick a row of the slice        the card's header names that
                                                           prediction (its logged row and
                                                           decision); "card": its explanation
=============== ========================================== =====================================

"All tabs fresh" is the first moment every view agrees with the header: no view "updating", no
progress bar, the drift tab on the header's slice and window, and after a brush the Slices rows,
the worst-errors list and the trace list inside the new window; after opening a prediction, its
neighbours filled in. A view that never agrees (a stale view) is reported as such after
``--stale-after`` seconds.

Measured inside the page: a capturing listener takes the action's event ``timeStamp``
(``performance.now()``'s clock); a ``requestAnimationFrame`` loop evaluates the predicates every
frame and keeps the first frame each holds. The same script measures any revision: run it once with
``PYTHONPATH`` on this tree and once on a baseline's ``src`` (``--label``); kernels inherit it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import machine
from bench.browser import _shutdown_kernels, notebook_page, serving, store_for

ROOT = Path(__file__).parents[1]
HERE = Path(__file__).parent
ARTIFACTS = ROOT / "test-artifacts" / "bench-panel"

NOTEBOOK = """import os
import diaglab as dl

store = dl.open(os.environ["DIAGLAB_STORE"])
panel = dl.panel(store, "credit")
panel.selection.window = ("2026-02-10", "2026-03-02")
panel.wait()
panel"""

# helpers the predicates use, installed once per page
HELPERS_JS = r"""() => {
    const q = (s) => document.querySelector('.diaglab-panel ' + s);
    const qa = (s) => [...document.querySelectorAll('.diaglab-panel ' + s)];
    // widgets show spaces as non-breaking ones, and a slice's numbers with thousands commas
    const plain = (t) => t.replace(/\u00a0/g, ' ').replace(/(\d),(?=\d{3})/g, '$1');
    const text = (s) => plain((q(s) || {}).textContent || '');
    const day = (t) => new Date(t.replace(' ', 'T') + (t.length <= 16 ? ':00Z' : 'Z'));
    const H = {
        q, qa, text, plain,
        headerWindow() {
            const m = text('.diaglab-panel-selection').match(
                /window (\d{4}-\d\d-\d\d) \.\. (\d{4}-\d\d-\d\d)/);
            return m ? [m[1], m[2]] : null;
        },
        headerSlice() {
            const c = q('.diaglab-panel-selection code');
            return c ? plain(c.textContent).trim() : null;
        },
        inWindow(stamps) {
            const w = H.headerWindow();
            if (!w || !stamps.length) return false;
            const lo = new Date(w[0] + 'T00:00:00Z'), hi = new Date(w[1] + 'T00:00:00Z');
            return stamps.every(s => { const t = day(s); return t >= lo && t < hi; });
        },
        quiet() {
            return !q('.diaglab-busy') &&
                qa('.diaglab-progress').every(p => getComputedStyle(p).display === 'none');
        },
        driftOn() {  // the drift tab's window line and selected row show the header's scope
            const w = H.headerWindow(), label = text('.diaglab-drift-window');
            const code = q('.diaglab-drift-window code');
            const slice = H.headerSlice();
            // the window line and the selected row's chart are one view (the "selected
            // feature" client, or before it existed the "drift" client, whose line kept the
            // old window until the whole report was shown); the table is in H.quiet()
            return !!w && label.includes('[' + w[0] + ', ' + w[1] + ')') &&
                (code ? plain(code.textContent).trim() : null) === slice &&
                !q('.diaglab-drift.diaglab-updating-selected-feature') &&
                !q('.diaglab-updating-drift .diaglab-view-drift.diaglab-drift-window');
        },
        rowsOn(pred) {
            const label = text('.diaglab-slices-selected');
            return label.includes(pred) && /\d predictions/.test(label) &&
                qa('.diaglab-slices-rows tr.diaglab-slices-row').length > 0 &&
                !q('.diaglab-slices.diaglab-updating-rows');
        },
        rowsInWindow() {
            const w = H.headerWindow();
            return !!w && text('.diaglab-slices-selected').includes(w[0] + ' .. ' + w[1]) &&
                !q('.diaglab-slices.diaglab-updating-rows');
        },
        worstInWindow() {  // the worst errors' table: a pick button, the id, the time, …
            return H.inWindow(qa('.diaglab-inspector-worst tbody tr')
                .map(tr => tr.querySelectorAll('td')[2].textContent.trim()));
        },
        tracesInWindow() {  // the trace list's table: a pick button, id, root span, ms, start, …
            const rows = qa('.diaglab-trace-list tbody tr')
                .map(tr => tr.textContent.replace(/\u00a0/g, ' '));
            const stamps = rows.map(t => (t.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/) || [''])[0]);
            return stamps.every(s => s) && H.inWindow(stamps);
        },
        headerOf(pid) {  // the card's header: the prediction's logged row and decision
            return text('.diaglab-inspector-summary').includes('prediction ' + pid + ' ') &&
                !q('.diaglab-inspector.diaglab-updating-header');
        },
        cardOf(pid) {
            return text('.diaglab-inspector-status').trim() === 'prediction ' + pid &&
                !q('.diaglab-inspector.diaglab-updating-prediction');
        },
        contextDone() {
            const n = text('.diaglab-inspector-neighbors');
            return n && !n.includes('finding similar') &&
                !text('.diaglab-inspector-counterfactual').includes('searching');
        },
    };
    window.__dl = H;
}"""

ARM_JS = """({event, preds}) => {
    const old = window.__dlBench;
    if (old) { old.done = true; old.stop(); }
    const b = {t0: null, hit: {}, done: false};
    const fns = Object.fromEntries(Object.entries(preds).map(
        ([k, src]) => [k, new Function('H', 'return (' + src + ');')]));
    const onEvent = (e) => { if (b.t0 === null) b.t0 = e.timeStamp; };
    window.addEventListener(event, onEvent, {capture: true});  // before Vega's handlers
    b.stop = () => window.removeEventListener(event, onEvent, {capture: true});
    const tick = () => {
        if (b.done) return;
        if (b.t0 !== null) {
            const now = performance.now();
            for (const [k, f] of Object.entries(fns)) {
                if (k in b.hit) continue;
                let ok = false;
                try { ok = !!f(window.__dl); } catch (e) { ok = false; }
                if (ok) b.hit[k] = now - b.t0;
            }
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    window.__dlBench = b;
}"""

READ_JS = "() => { const b = window.__dlBench; return {t0: b.t0, hit: {...b.hit}}; }"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _tab(page: Any, title: str) -> None:
    page.locator(".diaglab-panel .lm-TabBar-tab", has_text=title).click()


def _settle(page: Any, timeout_s: float) -> None:
    """Wait until no view is updating and no progress bar shows (between interactions)."""
    page.wait_for_function("() => window.__dl.quiet()", timeout=timeout_s * 1000, polling=200)
    time.sleep(0.5)


def _measure(
    page: Any, event: str, preds: dict[str, str], act: Any, stale_after_s: float
) -> dict[str, Any]:
    page.evaluate(ARM_JS, {"event": event, "preds": preds})
    act()
    deadline = time.monotonic() + stale_after_s
    got: dict[str, Any] = {}
    while time.monotonic() < deadline:
        time.sleep(0.1)
        got = page.evaluate(READ_JS)
        if all(k in got["hit"] for k in preds):
            break
    return {k: (round(got["hit"][k], 1) if k in got.get("hit", {}) else None) for k in preds}


def slice_pick(page: Any, i: int, stale_after_s: float) -> dict[str, Any]:
    _tab(page, "Slices")
    found = page.locator(".diaglab-panel .diaglab-slices-found button")
    before = page.evaluate("() => window.__dl.headerSlice()")
    button = found.nth(i % found.count())
    # the found list shows numbers formatted (31,000): the header's slice text is compared
    picked = f"(H.headerSlice() !== {json.dumps(before)} && H.rowsOn(H.headerSlice()))"
    preds = {"first": picked, "all": f"{picked} && H.driftOn() && H.quiet()"}
    return _measure(page, "click", preds, button.click, stale_after_s)


BRUSHES = ((0.15, 0.40), (0.50, 0.80), (0.30, 0.55), (0.60, 0.90), (0.10, 0.30))


def brush(page: Any, i: int, stale_after_s: float) -> dict[str, Any]:
    _tab(page, "Drift")
    line = page.locator(".diaglab-panel .diaglab-drift-chart svg .mark-line").first
    line.scroll_into_view_if_needed()
    box = line.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] * 0.5
    lo, hi = BRUSHES[i % len(BRUSHES)]

    def act() -> None:
        page.mouse.move(box["x"] + box["width"] * lo, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * hi, y, steps=12)
        page.mouse.up()

    before = page.evaluate("() => JSON.stringify(window.__dl.headerWindow())")
    moved = f"JSON.stringify(H.headerWindow()) !== {json.dumps(before)} && H.driftOn()"
    parts = {
        "rows": "H.rowsInWindow()",
        "worst": "H.worstInWindow()",
        "traces": "H.tracesInWindow()",
        "quiet": "H.quiet()",
    }
    preds = {
        "first": moved,
        "all": " && ".join([moved, *parts.values()]),
        # each part on its own (after the move): which view a stale "all" waits on
        **{name: f"{moved} && {part}" for name, part in parts.items()},
    }
    return _measure(page, "pointerup", preds, act, stale_after_s)


def open_prediction(page: Any, i: int, stale_after_s: float) -> dict[str, Any]:
    _tab(page, "Slices")
    picker = page.locator(".diaglab-panel .diaglab-slices-row-picker select")
    labels = picker.evaluate("s => [...s.options].map(o => o.textContent)")
    index = 1 + i % (len(labels) - 1)  # option 0 is "open a prediction…"
    pid = labels[index].replace("\xa0", " ").split(" · ")[0]  # "<id> · score <s>"
    preds = {
        "first": f"H.headerOf({json.dumps(pid)})",
        "card": f"H.cardOf({json.dumps(pid)})",
        "all": f"H.cardOf({json.dumps(pid)}) && H.contextDone() && H.quiet()",
    }
    return _measure(page, "change", preds, lambda: picker.select_option(index=index), stale_after_s)


INTERACTIONS = {
    "slice → rows": slice_pick,
    "brush → tab": brush,
    "open prediction": open_prediction,
}

# -- headless: which view is fresh when, in the kernel's process (no browser) ---------------------

HEADLESS_WINDOWS = (
    ("2026-01-20", "2026-02-03"),
    ("2026-02-14", "2026-02-26"),
    ("2026-01-08", "2026-01-22"),
    ("2026-02-20", "2026-03-01"),
)
FIRST = {  # the view a person waits on first: (explorer, client)
    "slice → rows": ("SliceExplorer", "rows"),
    "brush → tab": ("DriftExplorer", "selected feature"),
    "open prediction": ("PredictionInspector", "header"),
}


def _fresh_times(panel: Any, change: Any, timeout_s: float) -> dict[str, Any]:
    """Apply ``change()`` and poll every view: when each was last made fresh by a new request
    (ms from the change; a view asked again after its first answer counts at its last; its
    first answer is in ``first``), and
    the process CPU seconds (DuckDB's threads included) until no view was updating."""
    clients = [c for c in panel.coordinator.clients if not c.background]
    name = {id(c): f"{type(c.owner).__name__}.{c.name}" for c in clients}
    seen = {id(c): (c.key, c.generation) for c in clients}
    waiting = {id(c) for c in clients if not c.fresh}
    got: dict[str, float] = {}
    first: dict[str, float] = {}
    c0, t0 = time.process_time(), time.perf_counter()
    change()
    while time.perf_counter() < t0 + timeout_s:
        now = round((time.perf_counter() - t0) * 1000, 1)
        for c in clients:
            if (c.key, c.generation) != seen[id(c)]:
                seen[id(c)] = (c.key, c.generation)
                waiting.add(id(c))
            if id(c) in waiting and (c.fresh or c.failed):
                waiting.discard(id(c))
                got[name[id(c)]] = now
                first.setdefault(name[id(c)], now)
        if not waiting and not panel.coordinator.busy():
            break
        time.sleep(0.002)
    cpu = time.process_time() - c0
    stale = sorted(name[i] for i in waiting)
    return {"views": got, "first": first, "cpu_s": round(cpu, 2), "stale": stale}


def run_headless(store: Path, repeat: int, timeout_s: float, wait_s: float) -> list[Any]:
    """The three interactions on ``dl.panel`` in this process, each ``repeat`` times: per view
    the ms from the change to fresh, the first view's, the last view's and the CPU."""
    import diaglab as dl

    opened = time.perf_counter()
    store_ = dl.open(store)
    panel = dl.panel(store_, "credit")
    panel.selection.window = ("2026-02-10", "2026-03-02")
    panel.wait(wait_s)
    out: list[dict[str, Any]] = []
    ready_s = round(time.perf_counter() - opened, 1)
    slices = panel.explorers["slices"]
    found = list(slices._found["slice"]) if slices._found is not None else []
    try:
        for name in INTERACTIONS:
            runs = []
            for i in range(repeat):
                if name == "slice → rows":
                    panel.show("slices")
                    pick = found[(i + 1) % len(found)]
                    act: Any = lambda pick=pick: setattr(slices, "selected_slice", pick)  # noqa: E731
                elif name == "brush → tab":
                    panel.show("drift")
                    span = HEADLESS_WINDOWS[i % len(HEADLESS_WINDOWS)]
                    act = lambda span=span: setattr(panel.explorers["drift"], "window", span)  # noqa: E731
                else:
                    panel.show("slices")
                    pid = str(slices.rows["prediction_id"].iloc[1 + i])
                    act = lambda pid=pid: setattr(panel.selection, "prediction_id", pid)  # noqa: E731
                got = _fresh_times(panel, act, timeout_s)
                panel.wait(wait_s)
                views = got["views"]
                first = ".".join(FIRST[name])
                got["first_ms"] = got["first"].get(first)  # settled later by the table
                got["all_ms"] = max(views.values()) if views and not got["stale"] else None
                got["last"] = max(views, key=views.__getitem__) if views else None
                runs.append(got)
                print(json.dumps({"interaction": name, **got}), flush=True)
            out.append(_headless_summary(name, runs, ready_s))
    finally:
        panel.close()
        store_.close()
    return out


def _headless_summary(name: str, runs: list[dict[str, Any]], ready_s: float) -> dict[str, Any]:
    def med(values: list[Any]) -> float | None:
        return round(statistics.median(values), 1) if all(v is not None for v in values) else None

    tabs: dict[str, list[float]] = {}
    for r in runs:
        last: dict[str, float] = {}
        for view, ms in r["views"].items():
            tab = view.split(".")[0]
            last[tab] = max(last.get(tab, 0.0), ms)
        for tab, ms in last.items():
            tabs.setdefault(tab, []).append(ms)
    return {
        "interaction": name,
        "first_fresh_ms": med([r["first_ms"] for r in runs]),
        "all_fresh_ms": med([r["all_ms"] for r in runs]),
        "cpu_s": med([r["cpu_s"] for r in runs]),
        "tab_fresh_ms": {t: med(v) for t, v in sorted(tabs.items(), key=lambda kv: kv[1])},
        "last": [r["last"] for r in runs],
        "open_to_ready_s": ready_s,
        "load_avg": machine()["load_avg"],
    }


def run_size(
    size: str,
    store: Path,
    repeat: int,
    timeout_s: float,
    stale_after_s: float,
    interactions: list[str] | None = None,
) -> Any:
    out: list[dict[str, Any]] = []
    with serving(store, "panel") as (_h, lab, context, url):
        page = notebook_page(lab, context, "bench-panel.ipynb", NOTEBOOK, timeout_s=timeout_s)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            started = time.perf_counter()
            lab.open(page, "bench-panel.ipynb")
            lab.run_all(page)
            page.locator(".diaglab-panel").first.wait_for(timeout=timeout_s * 1000)
            page.evaluate(HELPERS_JS)
            _tab(page, "Slices")
            found = page.locator(".diaglab-panel .diaglab-slices-found button")
            _expect()(found.nth(1)).to_be_attached(timeout=timeout_s * 1000)
            _settle(page, timeout_s)
            opened_s = round(time.perf_counter() - started, 1)
            for name in interactions or list(INTERACTIONS):
                interaction = INTERACTIONS[name]
                runs = []
                for i in range(repeat):
                    runs.append(interaction(page, i, stale_after_s))
                    _settle(page, timeout_s)
                page.screenshot(path=str(ARTIFACTS / f"{size}-{len(out)}.png"))
                out.append(_summary(name, size, runs, opened_s))
                print(json.dumps(out[-1]), flush=True)
        finally:
            page.screenshot(path=str(ARTIFACTS / f"{size}-last.png"))
            page.close()
            _shutdown_kernels(url, lab.token)
    return out


def _summary(name: str, size: str, runs: list[dict[str, Any]], opened_s: float) -> dict[str, Any]:
    def med(key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return round(statistics.median(values), 1) if len(values) == len(runs) else None

    card = {"card_ms": med("card")} if "card" in runs[0] else {}
    return {
        "interaction": name,
        "size": size,
        "first_fresh_ms": med("first"),
        **card,
        "all_fresh_ms": med("all"),
        "runs": runs,
        "open_to_ready_s": opened_s,
        "load_avg": machine()["load_avg"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="sample")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--stale-after", type=float, default=30.0)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "diaglab")
    parser.add_argument("--label", default="this tree")
    parser.add_argument("--out", type=Path, help="append the JSON results to this file")
    parser.add_argument(
        "--interactions",
        help="which interactions, in this order (comma-separated; default: all, slice first); "
        "'brush → tab' first brushes with no slice picked",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="no browser: the panel in this process, each view's time to fresh (which tab is last)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        help="seconds the notebook's panel.wait() allows before the panel shows (default 60)",
    )
    args = parser.parse_args()
    if args.headless:
        for size in args.sizes.split(","):
            store = store_for(size, args.workdir)
            for r in run_headless(store, args.repeat, args.stale_after, args.wait or 600.0):
                print(json.dumps({**r, "size": size, "label": args.label}), flush=True)
                if args.out is not None:
                    with args.out.open("a") as f:
                        f.write(json.dumps({**r, "size": size, "label": args.label}) + "\n")
        return
    if args.wait is not None:
        global NOTEBOOK
        NOTEBOOK = NOTEBOOK.replace("panel.wait()", f"panel.wait({args.wait})")
    chosen = None if args.interactions is None else args.interactions.split(",")
    for name in chosen or []:
        if name not in INTERACTIONS:
            parser.error(f"unknown interaction {name!r}; known: {', '.join(INTERACTIONS)}")
    results = []
    for size in args.sizes.split(","):
        store = store_for(size, args.workdir)
        runs = run_size(size, store, args.repeat, args.timeout, args.stale_after, chosen)
        for r in runs:
            results.append({**r, "label": args.label})
    if args.out is not None:
        with args.out.open("a") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
