"""One package per diagnostic: its spec, its queries, its chart and its explorer side by side.

Shared layers stay outside: ``diaglab.stats`` (pure statistics), ``diaglab.store`` (engines and
files), ``diaglab.queries`` (scope, windows, time grid, filters, binning, the per-day cube),
``diaglab.charts`` (common chart parts), ``diaglab.explorers`` (the client lifecycle, panel and
widgets every explorer uses). Roles by file name: ``spec*.py``, ``chart*.py``, ``explorer*.py``,
everything else is a query (``tests/test_layers.py``). ``docs/architecture.md`` says how to add one.
"""
