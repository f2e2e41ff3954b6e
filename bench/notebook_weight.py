"""How much an executed notebook weighs, saved with its widget state (issue 18).

Runs each notebook headless (nbclient, ``store_widget_state=True``, as JupyterLab saves it) on a
scratch copy of the sample store, once with this tree's diaglab and once with a baseline
revision's (``git archive``), and prints the saved size, the widget-state size and the number of
widget models side by side. Sizes, not timings: one run each is exact.

Usage::

    python bench/notebook_weight.py --base 0400676 01-tour.ipynb 05-metrics-and-traces.ipynb

"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parents[1]

_RUN = r"""
import json, os, sys
import nbformat
from nbclient import NotebookClient
path, workdir = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=900, kernel_name="python3", store_widget_state=True,
               resources={"metadata": {"path": workdir}}).execute()
state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
print(json.dumps({"bytes": len(nbformat.writes(nb).encode()),
                  "state_bytes": len(json.dumps(state)),
                  "models": len(state.get("state", {}))}))
"""


def weigh(tree: Path, notebook: str) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="diaglab-weight-") as tmp:
        store = Path(tmp) / "credit"
        shutil.copytree(
            ROOT / "sample_data" / "credit",
            store,
            ignore=shutil.ignore_patterns("*.duckdb", "*.wal", ".tmp"),
        )
        env = dict(os.environ, PYTHONPATH=str(tree / "src"), DIAGLAB_STORE=str(store), TMPDIR=tmp)
        done = subprocess.run(
            [sys.executable, "-c", _RUN, str(tree / "notebooks" / notebook), tmp],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--base", default="0400676", help="baseline revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="diaglab-base-") as base:
        archive = subprocess.run(
            ["git", "archive", args.base, "src", "notebooks"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        print("| notebook | base: saved MB, widget state MB, models | this tree | ratio |")
        print("|---|---|---|---|")
        for name in args.notebooks:
            a, b = weigh(Path(base), name), weigh(ROOT, name)
            cell = lambda r: f"{r['bytes'] / 1e6:.2f}, {r['state_bytes'] / 1e6:.2f}, {r['models']}"  # noqa: E731
            print(f"| {name} | {cell(a)} | {cell(b)} | {b['bytes'] / a['bytes']:.3f}x |")


if __name__ == "__main__":
    main()
