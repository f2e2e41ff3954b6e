"""whylogs' default drift verdicts: profile both frames, then its drift report's scores.

Run by bench/.venv-whylogs/bin/python: ``run_whylogs.py SCENARIO_DIR``. Timed: ``why.log`` of the
reference and of the current frame, and ``calculate_drift_scores`` (what the summary drift report
shows: KS on numeric sketches, chi-square on frequent-item sketches, default thresholds). A feature
is flagged when its category is DRIFT (p < 0.05); POSSIBLE_DRIFT (0.05 <= p < 0.15) is listed
apart and not counted.
"""

from __future__ import annotations

import time

from _peer import directory, emit, load  # first: it turns the peers' telemetry off

# isort: split

import whylogs as why
from whylogs.viz.drift.column_drift_algorithms import calculate_drift_scores

here = directory()
ref, cur, truth, load_s = load(here)

t = time.perf_counter()
ref_view = why.log(ref).view()
cur_view = why.log(cur).view()
scores = calculate_drift_scores(target_view=cur_view, reference_view=ref_view, with_thresholds=True)
compute_s = time.perf_counter() - t

details = {c: s for c, s in scores.items() if s is not None}
missing = [c for c in ref.columns if c not in details]
flagged = [c for c, s in details.items() if s["drift_category"] == "DRIFT"]
possible = [c for c, s in details.items() if s["drift_category"] == "POSSIBLE_DRIFT"]
emit(
    "whylogs",
    here,
    truth,
    load_s,
    compute_s,
    flagged,
    details,
    possible=sorted(possible),
    no_verdict=missing,
)
