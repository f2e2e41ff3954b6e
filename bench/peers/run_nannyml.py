"""NannyML's default drift verdicts: ``UnivariateDriftCalculator`` fitted on reference, run on
current.

Run by bench/.venv-nannyml/bin/python: ``run_nannyml.py SCENARIO_DIR``. Default methods
(Jensen-Shannon for continuous and categorical columns in 0.13) and default thresholds; a feature
is flagged when any of its alerts fires in any chunk of the current data.

One setting differs from the defaults, for a fair comparison: NannyML's default chunker cuts each
side into chunks of len // 10 rows and keeps the leftover rows as a last chunk of a few rows,
whose distance is large by chance alone and fires alerts. ``CountBasedChunker(chunk_number=10,
incomplete='append')`` is the same 10 chunks with the leftover appended to the last one.
``--default-chunker`` runs with NannyML's default chunker instead, to show that effect.
"""

from __future__ import annotations

import sys
import time
import warnings

from _peer import directory, emit, load  # first: it turns the peers' telemetry off

# isort: split

import nannyml as nml
from nannyml.chunk import CountBasedChunker

warnings.filterwarnings("ignore")  # NannyML warns per column on each call
here = directory()
ref, cur, truth, load_s = load(here)
features = list(ref.columns)
default_chunker = "--default-chunker" in sys.argv
chunker = None if default_chunker else CountBasedChunker(chunk_number=10, incomplete="append")

t = time.perf_counter()
calc = nml.UnivariateDriftCalculator(column_names=features, chunker=chunker)
calc.fit(ref)
frame = calc.calculate(cur).filter(period="analysis").to_df()
compute_s = time.perf_counter() - t

alerts = frame.xs("alert", axis=1, level=-1)  # columns: (feature, method)
details = {}
for (feature, method), fired in alerts.items():
    values = frame[(feature, method, "value")]
    d = details.setdefault(feature, {"chunks": len(frame), "alerts": {}, "max_value": {}})
    d["alerts"][method] = int(fired.sum())
    d["max_value"][method] = float(values.max())
    d["upper_threshold"] = frame[(feature, method, "upper_threshold")].iloc[0]
flagged = [f for f, d in details.items() if any(d["alerts"].values())]
emit(
    "nannyml",
    here,
    truth,
    load_s,
    compute_s,
    flagged,
    details,
    methods=sorted({m for _, m in alerts.columns}),
    chunks=len(frame),
    chunker="default" if default_chunker else "CountBasedChunker(10, incomplete='append')",
    tag="-default-chunker" if default_chunker else "",
)
