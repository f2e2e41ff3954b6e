"""Versions: two model versions compared on the same traffic.

Files by role: query.py, spec.py."""
