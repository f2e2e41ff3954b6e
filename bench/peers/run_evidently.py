"""Evidently's default drift verdicts: ``Report([DataDriftPreset()])`` on reference vs current.

Run by bench/.venv-evidently/bin/python: ``run_evidently.py SCENARIO_DIR``. Column types and the
per-column method and threshold are Evidently's own choices (it picks them from the data).
``include_tests=True`` only asks the report to state each column's verdict; it changes no setting.
"""

from __future__ import annotations

import time
from collections import Counter

from _peer import directory, emit, load  # first: it turns the peers' telemetry off

# isort: split

from evidently import Report
from evidently.presets import DataDriftPreset

here = directory()
ref, cur, truth, load_s = load(here)

t = time.perf_counter()
snapshot = Report([DataDriftPreset()], include_tests=True).run(current_data=cur, reference_data=ref)
result = snapshot.dict()
compute_s = time.perf_counter() - t

details = {}
for m in result["metrics"]:
    cfg = m["config"]
    if cfg.get("type", "").endswith("ValueDrift"):
        details[cfg["column"]] = {
            "method": cfg.get("method"),
            "threshold": cfg.get("threshold"),
            "score": m["value"],
        }
for test in result["tests"]:
    params = test["metric_config"]["params"]
    if params.get("type", "").endswith("ValueDrift") and params["column"] in details:
        details[params["column"]]["status"] = test["status"]
missing = [c for c, d in details.items() if "status" not in d]
if missing:
    raise SystemExit(f"Evidently gave no verdict for {missing}")
flagged = [c for c, d in details.items() if d["status"] == "FAIL"]
emit(
    "evidently",
    here,
    truth,
    load_s,
    compute_s,
    flagged,
    details,
    methods=dict(Counter(d["method"] for d in details.values())),
)
