"""Slices: metrics per slice with intervals, and the search for the slices where the model is worst.

Files by role: bins.py, chart.py, counts.py, explorer.py, found.py, query.py, report.py, rows.py,
scan.py, search.py, spec.py."""
