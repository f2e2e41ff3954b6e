"""Browser response benchmark (issue 8): each explorer, from a DOM event to its redrawn chart.

``python -m bench.browser --sizes sample,10M [--repeat 5] [--store 10M=PATH] [--no-record]``

For every size, JupyterLab starts on loopback with a token (the UI tests' starter,
``tests/ui/conftest.py``) and Debian's Chromium opens it under Playwright with every request that
leaves loopback aborted (the run fails if one was tried). Each explorer gets a notebook of its
own on the store (``DIAGLAB_STORE``), run in its own kernel, shut down before the next:

========= ==================================================== ===================================
explorer  interaction (a trusted input event from Playwright)  what is waited for
========= ==================================================== ===================================
drift     click another feature in the table                   the chart's new SVG marks
slices    click one of the slices found                        the slice's rows table (the
                                                               explorer draws no chart for it)
metrics   type another window in "window" and press Enter      the window's shade moved in place
inspector type another what-if value and press Enter           the waterfall's new SVG marks
traces    pick another trace in the list                       the waterfall's new SVG marks
========= ==================================================== ===================================

Measured inside the page: a capturing listener takes the event's ``timeStamp`` (the same clock as
``performance.now()``) and a ``MutationObserver`` on the chart's element records
``performance.now()`` whenever nodes holding marks (``g.role-mark:not(.mark-text) > *`` for Vega's
SVG, ``tr`` rows for the slice rows) are added, and the next animation frame after it. The
response is the last such insertion before 1.5 s of quiet (the chart fully redrawn), and its
frame. Median over ``--repeat`` interactions (>= 3). Sizes: ``sample`` is the committed sample
store (``sample_data/credit``, copied); ``1M``/``10M`` are ``diaglab sample PATH --rows N`` stores
(built when missing, in ``--workdir``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import machine, parse_size

ROOT = Path(__file__).parents[1]
HERE = Path(__file__).parent
SAMPLE = ROOT / "sample_data" / "credit"
QUIET_MS = 1500
ARTIFACTS = ROOT / "test-artifacts" / "bench-browser"


def _harness() -> Any:
    """The UI tests' helpers (server starter, guarded Chromium, notebook opener)."""
    spec = importlib.util.spec_from_file_location(
        "diaglab_ui_harness", ROOT / "tests" / "ui" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# -- the notebooks -------------------------------------------------------------------------------

OPEN = """import os
import diaglab as dl

store = dl.open(os.environ["DIAGLAB_STORE"])"""

SETUP = {
    "drift": 'ex = dl.DriftExplorer(store, "credit", window=("2026-02-10", "2026-03-02"))\nex',
    "slices": 'ex = dl.SliceExplorer(store, "credit", metric="error", by=["region"])\nex',
    "metrics": (
        'ex = dl.MetricsExplorer(store, "credit", metrics=["accuracy", "roc_auc", "latency_p95"],'
        ' by="model_version")\nex'
    ),
    "inspector": (
        't = store.table("credit")\n'
        'pid = (t.filter(t.label.notnull(), t.timestamp >= dl.Window("2026-02-10").start'
        '.to_pydatetime())\n       .order_by(t.prediction_id).limit(1).select("prediction_id")'
        ".to_pandas().prediction_id[0])\n"
        'ex = dl.PredictionInspector(store, "credit", prediction_id=pid)\nex'
    ),
    "traces": "ex = dl.TraceExplorer(store)\nex",
}
# after the explorer is drawn: the inspector's what-if edits a numeric feature of the top ones
AFTER = {
    "inspector": (
        "ex.wait()\n"
        'numeric = set(store.schema("credit").numeric)\n'
        "ex.whatif_feature.value = next(f for f in ex.explanation.top if f in numeric)\n"
        "print(ex.whatif_feature.value, ex.whatif_value.value)"
    ),
}


def write_notebooks(folder: Path) -> dict[str, str]:
    import nbformat

    names = {}
    for key, code in SETUP.items():
        cells = [nbformat.v4.new_code_cell(OPEN), nbformat.v4.new_code_cell(code)]
        if key in AFTER:
            cells.append(nbformat.v4.new_code_cell(AFTER[key]))
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        name = f"bench-{key}.ipynb"
        nbformat.write(nb, folder / name)
        names[key] = name
    return names


# -- measuring in the page -----------------------------------------------------------------------

ARM_JS = """({root, content, event, key, attributes}) => {
    const el = document.querySelector(root);
    if (!el) throw new Error('nothing matches ' + root);
    const old = window.__diaglabBench;
    if (old) { old.obs.disconnect(); old.stop(); }
    const b = {t0: null, recs: []};
    const onEvent = (e) => { if (b.t0 === null && (!key || e.key === key)) b.t0 = e.timeStamp; };
    document.addEventListener(event, onEvent, {capture: true});
    b.stop = () => document.removeEventListener(event, onEvent, {capture: true});
    const count = (n) => n.nodeType !== 1 ? 0
        : (n.matches(content) ? 1 : 0) + n.querySelectorAll(content).length;
    b.obs = new MutationObserver((muts) => {
        const t = performance.now();
        let n = 0, added = 0;
        for (const m of muts) {
            for (const a of m.addedNodes) { n += count(a); added++; }
            // a mark moved in place (a Vega parameter changed): counts as redrawn content
            const moved = m.type === 'attributes' && m.target.matches(content);
            if (attributes && moved) { n++; added++; }
        }
        if (!added) return;
        const rec = {t, n, frame: null};
        b.recs.push(rec);
        requestAnimationFrame(() => { rec.frame = performance.now(); });
    });
    b.obs.observe(el, {childList: true, subtree: true, attributes: !!attributes});
    window.__diaglabBench = b;
}"""

READ_JS = """() => {
    const b = window.__diaglabBench;
    return {t0: b.t0, now: performance.now(), recs: b.recs.map(r => ({...r}))};
}"""

MARKS = "g.role-mark:not(.mark-text) > *"


@dataclass
class Case:
    """One explorer's interaction: what to arm, how to act, when it is ready."""

    chart: str  # the element observed
    content: str  # nodes that count as the redrawn content
    event: str
    key: str | None
    ready: Callable[[Any, float], None]
    act: Callable[[Any, int], None]
    response: str
    attributes: bool = False  # also count marks changed in place (not only inserted)


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _idle(page: Any, scope: str, timeout_s: float) -> None:
    _expect()(page.locator(f"{scope} .diaglab-progress").first).to_be_hidden(
        timeout=timeout_s * 1000
    )


def _attached(page: Any, selector: str, timeout_s: float) -> None:
    page.locator(selector).first.wait_for(state="attached", timeout=timeout_s * 1000)


def _drift_ready(page: Any, t: float) -> None:
    _attached(page, f".diaglab-drift-chart svg {MARKS}", t)
    _expect()(page.locator(".diaglab-drift-table .diaglab-drift-row button").nth(6)).to_be_attached(
        timeout=t * 1000
    )
    _idle(page, ".diaglab-drift", t)


def _drift_act(page: Any, i: int) -> None:
    page.locator(".diaglab-drift-table .diaglab-drift-row button").nth(i + 1).click()


def _slices_ready(page: Any, t: float) -> None:
    _expect()(page.locator(".diaglab-slices-found button").nth(1)).to_be_attached(timeout=t * 1000)
    _idle(page, ".diaglab-slices", t)


def _slices_act(page: Any, i: int) -> None:
    found = page.locator(".diaglab-slices-found button")
    found.nth(i % found.count()).click()


WINDOWS = (
    "2026-01-05 .. 2026-01-20",
    "2026-01-20 .. 2026-02-05",
    "2026-02-01 .. 2026-02-20",
    "2026-01-10 .. 2026-02-10",
    "2026-02-15 .. 2026-03-02",
    "2026-01-01 .. 2026-01-31",
    "2026-02-05 .. 2026-02-25",
)


def _metrics_ready(page: Any, t: float) -> None:
    _attached(page, f".diaglab-metrics-chart svg {MARKS}", t)
    _idle(page, ".diaglab-metrics", t)


def _metrics_act(page: Any, i: int) -> None:
    box = page.locator(".diaglab-metrics input[placeholder^='everything']")
    box.fill(WINDOWS[i % len(WINDOWS)])
    box.press("Enter")


FACTORS = (0.5, 1.5, 0.25, 2.0, 0.75, 3.0, 0.1)


def _inspector_ready(page: Any, t: float) -> None:
    _attached(page, f".diaglab-inspector-waterfall svg {MARKS}", t)
    _expect()(page.locator(".diaglab-inspector-summary")).to_contain_text(
        "decision", timeout=t * 1000
    )
    _idle(page, ".diaglab-inspector", t)
    value = page.locator(".diaglab-inspector-whatif-value input")
    # the notebook's last cell picked a numeric feature: its value is in the box
    _expect()(value).to_have_value(re.compile(r"^-?[\d.]+(e[-+]?\d+)?$"))
    page.evaluate("v => { window.__diaglabOriginal = v; }", float(value.input_value()))


def _inspector_act(page: Any, i: int) -> None:
    original = page.evaluate("() => window.__diaglabOriginal")
    value = page.locator(".diaglab-inspector-whatif-value input")
    new = round(original * FACTORS[i % len(FACTORS)] + (1 if original == 0 else 0), 3)
    value.fill(f"{new:g}")
    value.press("Enter")


def _traces_ready(page: Any, t: float) -> None:
    _attached(page, f".diaglab-trace-waterfall svg {MARKS}", t)
    _expect()(page.locator(".diaglab-trace-list select option").nth(8)).to_be_attached(
        timeout=t * 1000
    )
    _idle(page, ".diaglab-traces", t)


def _traces_act(page: Any, i: int) -> None:
    page.locator(".diaglab-trace-list select").select_option(index=i + 1)


CASES = {
    "drift": Case(
        ".diaglab-drift-chart", MARKS, "click", None, _drift_ready, _drift_act,
        "select another feature (table row click) → drift chart redrawn",
    ),
    "slices": Case(
        ".diaglab-slices-rows", "tr.diaglab-slices-row", "click", None, _slices_ready,
        _slices_act, "click a found slice → its rows table filled",
    ),
    "metrics": Case(
        ".diaglab-metrics-chart", MARKS, "keydown", "Enter", _metrics_ready, _metrics_act,
        "type a window + Enter → the window's shade moved (a chart parameter)", attributes=True,
    ),
    "inspector": Case(
        ".diaglab-inspector-waterfall", MARKS, "keydown", "Enter", _inspector_ready,
        _inspector_act, "what-if value + Enter → waterfall redrawn",
    ),
    "traces": Case(
        ".diaglab-trace-waterfall", MARKS, "change", None, _traces_ready, _traces_act,
        "pick another trace → waterfall redrawn",
    ),
}  # fmt: skip


def measure_once(page: Any, case: Case, i: int, timeout_s: float) -> dict[str, float]:
    page.evaluate(
        ARM_JS,
        {
            "root": case.chart,
            "content": case.content,
            "event": case.event,
            "key": case.key,
            "attributes": case.attributes,
        },
    )
    case.act(page, i)
    deadline = time.monotonic() + timeout_s
    while True:
        time.sleep(0.1)
        got = page.evaluate(READ_JS)
        t0 = got["t0"]
        drawn = [r for r in got["recs"] if r["n"] > 0 and t0 is not None and r["t"] >= t0]
        last_any = max((r["t"] for r in got["recs"]), default=None)
        quiet = last_any is not None and got["now"] - last_any >= QUIET_MS
        if drawn and quiet and all(r["frame"] is not None for r in drawn):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"no redraw of {case.chart} within {timeout_s} s after the {case.event} "
                f"(event seen: {t0 is not None}, insertions: {got['recs'][-5:]})"
            )
    last = drawn[-1]
    return {
        "first_ms": round(drawn[0]["t"] - t0, 1),
        "redrawn_ms": round(last["t"] - t0, 1),
        "frame_ms": round(last["frame"] - t0, 1),
    }


# -- a run --------------------------------------------------------------------------------------


def _shutdown_kernels(url: str, token: str) -> None:
    with urllib.request.urlopen(f"{url}/api/sessions?token={token}", timeout=10) as r:
        sessions = json.loads(r.read())
    for s in sessions:
        req = urllib.request.Request(f"{url}/api/sessions/{s['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(req, timeout=30).close()


def store_for(size: str, workdir: Path) -> Path:
    if size == "sample":
        return SAMPLE
    path = workdir / f"credit-{size}"
    if not (path / "segments").is_dir():
        n = parse_size(size)
        t = time.perf_counter()
        cmd = [str(Path(sys.executable).parent / "diaglab"), "sample", str(path), "--rows", str(n)]
        subprocess.run(cmd, check=True)
        print(f"built {path} ({n:,} rows) in {time.perf_counter() - t:.0f} s", flush=True)
    return path


@contextlib.contextmanager
def serving(store: Path, name: str) -> Iterator[tuple[Any, Any, Any, str]]:
    """JupyterLab serving a fresh folder (``lab.root``; the sample store is copied into it as
    ``credit``, since notebooks write caches into their store) with ``DIAGLAB_STORE`` set, and
    a guarded Chromium: ``(harness, lab, browser context, url)``."""
    h = _harness()
    with tempfile.TemporaryDirectory(prefix=f"diaglab-bench-{name}-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        if store == SAMPLE:
            shutil.copytree(SAMPLE, root / "credit", ignore=shutil.ignore_patterns(".tmp", "*.wal"))
            store = root / "credit"
        work = Path(tmp) / "server"
        work.mkdir()
        log_path = Path(tmp) / "server.log"
        guard = h.Guard()
        with (
            h.jupyter_server(
                "jupyterlab", root, work, log_path=log_path, args=h.LAB_ARGS,
                settings=h.USER_SETTINGS, store=store,
            ) as url,
            h.chromium_context(guard) as context,
        ):  # fmt: skip
            yield h, h.Lab(url=url, root=root, log=log_path), context, url
        if guard.blocked:
            raise RuntimeError(f"requests that tried to leave the machine: {guard.blocked}")


def notebook_page(lab: Any, context: Any, name: str, source: str, *, timeout_s: float) -> Any:
    """A one-cell notebook ``name`` holding ``source`` written into ``lab.root``, and a fresh page
    of ``context`` (default timeout ``timeout_s``) to open it in with ``lab.open(page, name)``."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, lab.root / name)
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    return page


def run_size(
    size: str,
    store: Path,
    explorers: list[str],
    repeat: int,
    timeout_s: float,
) -> list[dict[str, Any]]:
    results = []
    with serving(store, "browser") as (_h, lab, context, url):
        names = write_notebooks(lab.root)
        for key in explorers:
            case = CASES[key]
            page = context.new_page()
            page.set_default_timeout(timeout_s * 1000)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / f"{key}-{size}.png"
            try:
                started = time.perf_counter()
                lab.open(page, names[key])
                lab.run_all(page)
                case.ready(page, timeout_s)
                drawn_s = time.perf_counter() - started
                page.locator(case.chart).first.scroll_into_view_if_needed()
                runs = []
                for i in range(repeat):
                    runs.append(measure_once(page, case, i, timeout_s))
                    _idle(page, ".diaglab-explorer", timeout_s)
                    time.sleep(0.3)
                page.screenshot(path=str(shot))
            except Exception as exc:  # one explorer failing still records the others
                page.screenshot(path=str(shot))
                error = {"explorer": key, "size": size, "error": f"{type(exc).__name__}: {exc}"}
                print(json.dumps(error), flush=True)
                results.append({**error, "interaction": case.response})
                continue
            finally:
                page.close()
                _shutdown_kernels(url, lab.token)
            med = statistics.median(r["redrawn_ms"] for r in runs)
            result = {
                "explorer": key,
                "size": size,
                "interaction": case.response,
                "median_ms": round(med, 1),
                "median_frame_ms": round(statistics.median(r["frame_ms"] for r in runs), 1),
                "runs_ms": [r["redrawn_ms"] for r in runs],
                "first_insert_ms": [r["first_ms"] for r in runs],
                "open_to_drawn_s": round(drawn_s, 1),
                "load_avg": machine()["load_avg"],
            }
            print(json.dumps(result), flush=True)
            results.append(result)
    return results


def markdown_table(results: list[dict[str, Any]], sizes: dict[str, str]) -> list[str]:
    m = machine()
    lines = [
        "<!-- suite:browser -->",
        f"### browser — {m['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; load average after "
        f"the run {m['load_avg']}; Python {m['python']}; JupyterLab in Debian's headless "
        "Chromium (Playwright), network blocked except loopback. `python -m bench.browser`.",
        "",
        "Response = from the input event's `timeStamp` to the last insertion of nodes with marks "
        "into the chart's element (a `MutationObserver` in the page, `performance.now()`), before "
        f"{QUIET_MS / 1000:g} s of quiet; *frame* = the next animation frame after it. Median of "
        "the runs listed. Stores: " + "; ".join(f"{k}: {v}" for k, v in sizes.items()) + ".",
        "",
        "| explorer | interaction → response | size | median ms | median to frame ms | runs ms "
        "| open + run to drawn s | load avg |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(
                f"| {r['explorer']} | {r['interaction']} | {r['size']} | failed: "
                f"{r['error'][:200]} | | | | |"
            )
            continue
        lines.append(
            f"| {r['explorer']} | {r['interaction']} | {r['size']} | {r['median_ms']:.0f} | "
            f"{r['median_frame_ms']:.0f} | {', '.join(f'{x:.0f}' for x in r['runs_ms'])} | "
            f"{r['open_to_drawn_s']} | {r['load_avg']} |"
        )
    lines.append("<!-- /suite:browser -->")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.browser")
    p.add_argument("--sizes", default="sample,10M")
    p.add_argument("--explorers", default=",".join(CASES))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per wait")
    p.add_argument("--workdir", default=str(HERE / "data"))
    p.add_argument("--store", action="append", default=[], help="SIZE=PATH of a built store")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--no-record", action="store_true")
    args = p.parse_args()
    if args.repeat < 3:
        p.error("--repeat must be at least 3 (the median of >= 3 interactions)")
    given = dict(s.split("=", 1) for s in args.store)
    explorers = args.explorers.split(",")
    for key in explorers:
        if key not in CASES:
            p.error(f"unknown explorer {key!r}; known: {', '.join(CASES)}")
    results, described = [], {}
    for size in args.sizes.split(","):
        store = Path(given[size]) if size in given else store_for(size, Path(args.workdir))
        described[size] = f"`{store}`" if size != "sample" else "`sample_data/credit` (200k)"
        results += run_size(size, store, explorers, args.repeat, args.timeout)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    text = "\n".join(markdown_table(results, described))
    print(text)
    if not args.no_record:
        from bench.__main__ import record

        record("browser", text)


if __name__ == "__main__":
    main()
