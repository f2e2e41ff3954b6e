"""Explain: one prediction (SHAP), its neighbours, what-if and counterfactuals, the worst errors,
and the inspector.

Files by role: chart.py, explainers.py, explorer.py, explorer_card.py, neighbors.py,
prediction_row.py, query.py, spec.py, whatif.py, worst_errors.py."""
