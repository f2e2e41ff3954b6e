"""Reading a finding's spec, including findings stored before specs existed.

Findings are hash-chained segments, so old ones are never rewritten: they are migrated when read.
Before specs, a finding's query named a ``function`` (``"diaglab.drift"``, ``"what_if"``, ...)
and its ``kwargs`` under the names of that time (``current``, ``metric``, ``n``, ``k`` for a band
width, ``slice`` conditions beside the ``where`` text) plus explorer state that was not an
argument (``feature``, ``freq`` of a drift explorer). :func:`spec_from_query` maps those to today's
spec and drops the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diaglab.errors import DiaglabError, InputError
from diaglab.specs import Spec, spec_class
from diaglab.specs.scope import SCOPE_FIELDS


def spec_from_query(query: Mapping[str, Any]) -> Spec:
    """The spec of a finding's ``query``: ``query["spec"]``, or migrated from the old
    ``function`` and ``kwargs``; an InputError saying why when there is none."""
    if query.get("spec") is not None:
        return Spec.from_json(query["spec"])
    function = query.get("function")
    if not function:
        raise InputError("the finding records no query to re-run")
    cls = spec_class(str(function))
    kwargs = dict(query.get("kwargs") or {})
    known = set(cls.scope_fields) | set(cls.param_names())
    args: dict[str, Any] = {}
    for name, value in kwargs.items():
        new = cls.renamed.get(name, name)  # "k" is a band width only where the spec says so
        if new in known and value is not None and new not in args:
            args[new] = value
    conds = kwargs.get("slice")
    if "where" in known and isinstance(conds, list) and conds:
        args["where"] = {"slice": conds}
    scope = {k: args.pop(k) for k in list(args) if k in SCOPE_FIELDS}
    try:
        return cls.build(**scope, **cls.decode(args))
    except (DiaglabError, TypeError) as exc:
        raise InputError(f"cannot read the finding's {function} query: {exc}") from exc
