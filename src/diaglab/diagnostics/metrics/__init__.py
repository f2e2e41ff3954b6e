"""Metrics over time: per window, with alert bands, resources and latency.

Files by role: bands.py, chart.py, engine.py, explorer.py, query.py, resources.py, spec.py,
table.py."""
