"""The rows a query looks at: a model's predictions in a window, a version and a slice."""

from __future__ import annotations

from typing import Any

from diaglab.errors import unknown
from diaglab.queries.filters import where as apply_where
from diaglab.queries.window import Window


def scoped_table(
    store: Any, model: str, window: Any, where: Any, version: str | None
) -> tuple[Any, Window]:
    """The model's predictions in ``window``, narrowed by ``where`` and ``version``."""
    schema = store.schema(model)
    table = store.table(model)
    if version is not None:
        if version not in schema.versions:
            raise unknown(f"version of model {model!r}:", version, list(schema.versions))
        table = table.filter(table.model_version == version)
    win = Window.of(window)
    return apply_where(win.filter(table), where), win
