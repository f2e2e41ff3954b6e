"""Drift: each feature against the reference, drift over time, the domain classifier and drift's
impact on the metric.

Files by role: chart.py, explorer.py, explorer_table.py, impact.py, over_time.py, query.py,
spec.py."""
