"""Thresholds: precision, recall and cost at every decision threshold.

Files by role: query.py, spec.py."""
