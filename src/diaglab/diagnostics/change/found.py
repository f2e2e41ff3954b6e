"""The slices ``find_slices(compare=(reference, window))`` reports as got worse, added to an
explanation of a change with their contribution in metric points (from their labelled counts and
values in both periods: no further scan)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pandas as pd

from diaglab.diagnostics.change.result import ChangeExplanation
from diaglab.diagnostics.change.tables import contributions, found_contributions
from diaglab.errors import InputError
from diaglab.queries.window import Window

if TYPE_CHECKING:
    from diaglab.diagnostics.change.spec import ExplainChangeSpec


def with_found(store: Any, spec: ExplainChangeSpec, draft: ChangeExplanation) -> ChangeExplanation:
    """``draft`` (``spec``'s explanation computed with ``search=False``) with the slices
    ``find_slices(compare=(reference, window))`` finds and its waterfall drawn with them: the
    result ``spec`` with ``search=True`` gives, for the cost of the search alone (a view can
    show the draft first)."""
    ref_win, win = Window.of(spec.scope.reference), Window.of(spec.scope.window)
    sums = (
        float(draft.n_reference),
        draft.sum_reference,
        float(draft.n_window),
        draft.sum_window,
    )
    found = found_slices(store, spec, ref_win, win, draft.decomposed, sums)
    total = draft.table[draft.table["part"] == "total"].iloc[0]
    table = contributions(
        total=float(total["value"]),
        total_interval=(draft.change_lower, draft.change_upper),
        split=draft.covariate,
        features=draft.features,
        slices=draft.slices,
        found=found,
        k=spec.k,
    )
    return dataclasses.replace(draft, found=found, table=table)


def found_slices(
    store: Any,
    spec: ExplainChangeSpec,
    ref_win: Window,
    win: Window,
    metric: str,
    sums: tuple[float, float, float, float],
) -> pd.DataFrame:
    """The slices find_slices reports as got worse, with their contribution to the change."""
    from diaglab.diagnostics.slices.spec import FindSlicesSpec

    search = {"error": "error", "accuracy": "error", "mse": "rmse"}.get(metric, metric)
    try:
        asked = FindSlicesSpec.build(
            spec.model,
            metrics=search,
            compare=(ref_win, win),
            where=spec.scope.where,
            version=spec.scope.version,
            threshold=spec.scope.threshold,
            k=spec.k,
            max_conditions=2,
        )
        # kept per pair of periods until the store changes: the search is most of a search=True
        # call's cost, and a pair brushed again (another explorer, accuracy after error) asks it
        found = store.memo(("explain-change-found", asked), lambda: asked.run(store).table)
    except InputError:
        found = pd.DataFrame()
    return found_contributions(found, metric, sums)
