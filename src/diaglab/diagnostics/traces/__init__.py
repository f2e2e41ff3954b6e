"""Traces: a request's spans, span statistics and trace search.

Files by role: chart.py, explorer.py, query.py, search.py, span_stats.py, spec.py."""
