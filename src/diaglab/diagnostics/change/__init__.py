"""Why a metric changed: the change between two periods split into its causes.

Files by role: chart.py, explorer.py, labels.py, query.py, result.py, spec.py, tables.py."""
