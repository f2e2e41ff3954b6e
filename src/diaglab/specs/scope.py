"""``Scope``: the one description of *what data* a diagnostic looks at.

Every diagnostic names these the same way: ``model``, ``version`` (the logged ``model_version``),
``window`` (the period analysed), ``reference`` (the baseline, where one applies), ``where`` (a
:class:`~diaglab.Slice`, or filter text that is not a conjunction), ``as_of`` (judge the data as
it was known then) and ``threshold``. A Scope is frozen and round-trips through JSON::

    >>> s = Scope(model="credit", window=("2026-02-10", "2026-03-02"), where="region = 'north'")
    >>> Scope.from_json(s.to_json()) == s
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from diaglab.errors import FilterError, InputError
from diaglab.queries.filters import Slice
from diaglab.queries.window import Window

SCOPE_FIELDS = ("model", "version", "window", "reference", "where", "as_of", "threshold")


def window_value(value: Any) -> Window | None:
    """A window from a Window, a (start, end) pair, its JSON ``{"start", "end"}``, or None."""
    if isinstance(value, Window) and value.bounds == (None, None):
        return None  # everything logged: the same as no window
    if value is None or isinstance(value, Window):
        return value
    if isinstance(value, Mapping):
        unknown_keys = set(value) - {"start", "end"}
        if unknown_keys:
            raise InputError(f"a window's JSON has start and end, not {sorted(unknown_keys)}")
        return window_value(Window(value.get("start"), value.get("end")))
    return window_value(Window.of(value))


def where_value(value: Any) -> Slice | str | None:
    """``where`` as a Slice when it is a conjunction of conditions, else its filter text."""
    if value is None:
        return None
    if isinstance(value, Slice):
        return value or None
    if isinstance(value, Mapping) and "slice" in value:
        return Slice(*(_condition(c) for c in value["slice"])) or None
    if isinstance(value, Mapping) and "filter" in value:
        value = value["filter"]
    if not isinstance(value, str):
        raise InputError(
            f"where is a dl.Slice or filter text such as \"region = 'north'\", not {value!r}"
        )
    text = value.strip()
    if not text:
        return None
    try:
        return Slice.of(text) or None
    except FilterError as exc:
        if "uses OR or NOT" not in str(exc):
            raise
        return text  # OR / NOT: kept as (checked) filter text


def where_json(value: Slice | str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, Slice):
        return {"slice": value.to_json()}
    return {"filter": value}


def where_text(value: Slice | str | None) -> str | None:
    """Filter text that parses back to ``value``."""
    if value is None:
        return None
    return value.expression if isinstance(value, Slice) else value


def _condition(obj: Any) -> tuple[str, str, Any]:
    if not isinstance(obj, Mapping) or "column" not in obj or "op" not in obj:
        raise InputError(f"a slice condition is {{'column', 'op', 'value'}}, not {obj!r}")
    return (str(obj["column"]), str(obj["op"]), obj.get("value"))


def _timestamp(value: Any) -> pd.Timestamp | None:
    """``as_of`` as a UTC timestamp, parsed as window bounds are (a naive one is UTC)."""
    try:
        return Window(value, None).start
    except InputError:
        raise InputError(f"as_of {value!r} is not a date or timestamp") from None


@dataclass(frozen=True)
class Scope:
    """What data a diagnostic looks at; every field optional (None: the diagnostic's default).

    Attributes
    ----------
    model : str or None
        The model (None only for store-wide diagnostics: traces, span statistics).
    version : str or None
        Only this logged ``model_version``; None for all versions.
    window : dl.Window or None
        The period analysed; accepts a (start, end) pair. None: everything logged.
    reference : dl.Window or None
        The baseline period, where one applies; None: the registered reference.
    where : dl.Slice or str or None
        The rows: a Slice (conditions joined by AND), or filter text using OR / NOT.
    as_of : pandas.Timestamp or None
        Judge the data as it was known then (labels that arrived later are ignored).
    threshold : float or None
        The decision threshold of a binary model; None: the one registered with the model.
    """

    model: str | None = None
    version: str | None = None
    window: Window | None = None
    reference: Window | None = None
    where: Slice | str | None = None
    as_of: pd.Timestamp | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        for name in ("model", "version"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InputError(f"{name} is text, not {value!r}")
        object.__setattr__(self, "window", window_value(self.window))
        object.__setattr__(self, "reference", window_value(self.reference))
        object.__setattr__(self, "where", where_value(self.where))
        object.__setattr__(self, "as_of", _timestamp(self.as_of))
        if self.threshold is not None:
            t = float(self.threshold)
            if not 0.0 <= t <= 1.0:
                raise InputError(f"threshold is between 0 and 1, not {self.threshold!r}")
            object.__setattr__(self, "threshold", t)

    def to_json(self) -> dict[str, Any]:
        """The set fields as JSON values (windows as ``{"start", "end"}``, where as
        ``{"slice": [...]}`` or ``{"filter": text}``)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, Window):
                out[f.name] = value.to_json()
            elif f.name == "where":
                out[f.name] = where_json(value)
            elif isinstance(value, pd.Timestamp):
                out[f.name] = value.isoformat()
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_json(cls, obj: Any) -> Scope:
        """A Scope from :meth:`to_json`; unknown keys are an error naming the known ones."""
        if not isinstance(obj, Mapping):
            raise InputError(f"a scope is a JSON object, not {obj!r}")
        extra = sorted(set(obj) - set(SCOPE_FIELDS))
        if extra:
            raise InputError(f"unknown scope field {extra[0]!r}; known: {', '.join(SCOPE_FIELDS)}")
        return cls(**dict(obj))

    def __str__(self) -> str:
        parts = [self.model or "all models"]
        if self.version:
            parts.append(f"version {self.version}")
        if self.window is not None:
            parts.append(f"window {self.window}")
        if self.reference is not None:
            parts.append(f"reference {self.reference}")
        if self.where is not None:
            parts.append(f"where {self.where}")
        if self.as_of is not None:
            parts.append(f"as of {self.as_of.isoformat()}")
        return ", ".join(parts)


WINDOWED = ("model", "version", "window", "where")
REFERENCED = ("model", "version", "window", "reference", "where")
THRESHOLDED = (*WINDOWED, "threshold")
RENAMED = {
    "current": "window",
    "model_version": "version",
    "metric": "metrics",
    "k": "band_sigma",
    "n": "k",
}
"""Arguments renamed by the one-scope redesign (issue 17): the old name is refused, naming the
new."""


def renames(*old: str) -> dict[str, str]:
    """The renames a spec refuses with a pointer to the new name."""
    return {name: RENAMED[name] for name in old}
