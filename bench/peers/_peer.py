"""Shared by the peer scripts (run by each peer's own venv python, so stdlib + pandas only).

Each ``run_<peer>.py DIR`` loads ``DIR/reference.parquet`` and ``DIR/current.parquet`` written by
``bench.drift_scenario``, computes that peer's default drift verdict per feature, writes the
per-feature details to ``DIR/verdicts-<peer>.json`` and prints one JSON line.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

# The peers phone home by default (Evidently, NannyML's usage logging, whylogs); this machine has
# no network beyond package registries, and a retry loop would be timed as the peer's work.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
os.environ.setdefault("WHYLOGS_NO_ANALYTICS", "True")

import pandas as pd


def load(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict, float]:
    """Reference and current frames (features only), the truth, and the load time in seconds."""
    truth = json.loads((directory / "truth.json").read_text())
    features = truth["numeric"] + truth["categorical"]
    t = time.perf_counter()
    ref = pd.read_parquet(directory / "reference.parquet", columns=features)
    cur = pd.read_parquet(directory / "current.parquet", columns=features)
    return ref, cur, truth, time.perf_counter() - t


def emit(
    peer: str,
    directory: Path,
    truth: dict,
    load_s: float,
    compute_s: float,
    flagged: list[str],
    details: dict,
    tag: str = "",
    **extra: object,
) -> None:
    """Print the one JSON line the benchmark reads; details go to DIR/verdicts-<peer>.json."""
    flagged = sorted(set(flagged))
    result = {
        "peer": peer,
        "version": metadata.version(peer),
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "rows": [truth["reference_rows"], truth["current_rows"]],
        "load_s": round(load_s, 3),
        "compute_s": round(compute_s, 3),
        "found": [f for f in truth["drifted"] if f in flagged],
        "false_alarms": [f for f in truth["undrifted"] if f in flagged],
        "flagged": flagged,
        **extra,
    }
    (directory / f"verdicts-{peer}{tag}.json").write_text(
        json.dumps({**result, "details": details}, indent=1, default=str)
    )
    print(json.dumps(result, default=str), flush=True)


def directory() -> Path:
    paths = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(paths) != 1:
        sys.exit(f"usage: {sys.argv[0]} SCENARIO_DIR [options]")
    return Path(paths[0])
