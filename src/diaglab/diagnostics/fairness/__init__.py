"""Fairness: metrics and disparities across groups, and over time.

Files by role: chart.py, disparities.py, explorer.py, over_time.py, query.py, spec.py."""
