"""``Spec``: one diagnostic request as a frozen value, and the registry that runs it.

A spec is a :class:`~diaglab.specs.scope.Scope` plus the diagnostic's own parameters. It
round-trips through JSON (``{"kind", "scope", "params"}``), renders the ``dl.`` call that
reproduces it (:meth:`Spec.call`), and runs through :data:`REGISTRY` ``[kind]``: the
implementation named by the spec class is called with the spec itself
(``function(store, spec, **options)``), so a parameter is declared once, on the spec. Every
result is a :class:`~diaglab.queries.result.Result` (``.table``, typed metadata, ``.spec``,
``.warnings``).

``dl.drift`` and the other diagnostics are :class:`Diagnostic` objects: they build the spec from
their arguments (old argument names raise a TypeError naming the new one) and run it.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar, Generic, Self, TypeVar, dataclass_transform

import pandas as pd

from diaglab.errors import InputError, UnknownNameError, unknown
from diaglab.queries.result import TableResult
from diaglab.queries.window import Window
from diaglab.specs.scope import SCOPE_FIELDS, Scope, where_text, window_value
from diaglab.store.compiled import for_spec

Columns = tuple[list[str], list[str], list[str]]
R = TypeVar("R")

REGISTRY: dict[str, type[Spec]] = {}


@dataclass_transform(frozen_default=True, kw_only_default=True)
def register(cls: type[S]) -> type[S]:
    """A diagnostic's spec class (a class decorator): made a frozen, keyword-only dataclass and
    added to :data:`REGISTRY` under its ``kind``."""
    cls = dataclass(frozen=True, kw_only=True)(cls)
    if cls.kind in REGISTRY and REGISTRY[cls.kind] is not cls:
        raise ValueError(f"a spec of kind {cls.kind!r} is already registered")
    REGISTRY[cls.kind] = cls
    return cls


def spec_class(kind: str) -> type[Spec]:
    """The spec class registered for ``kind``; an error naming the known kinds."""
    name = str(kind).removeprefix("diaglab.")
    importlib.import_module("diaglab.specs.catalog")  # registers every spec
    if name not in REGISTRY:
        raise unknown("diagnostic kind", kind, sorted(REGISTRY))
    return REGISTRY[name]


def runner(kind: str) -> Callable[..., Any]:
    """The function that runs specs of ``kind``: ``runner(kind)(store, spec)``."""
    return spec_class(kind).run_on


@dataclass(frozen=True)
class Spec:
    """Base of every diagnostic's spec: the scope plus the diagnostic's own parameters.

    Class attributes a subclass sets
    --------------------------------
    kind : str
        The registry key and the name of the ``dl.`` function.
    implementation : str
        ``"module:function"`` called as ``function(store, spec, **options)``; it reads the
        scope (``spec.scope``, ``spec.model``) and the parameters from the spec and returns a
        :class:`~diaglab.queries.result.Result` (a bare DataFrame is wrapped in one).
    scope_fields : tuple of str
        The Scope fields this diagnostic takes (others must stay None).
    subject : tuple of str
        Parameters passed positionally after ``store`` (and ``model``), e.g. ``prediction_id``.
    renamed : dict
        Old argument names and their new ones (a TypeError names the new one).
    windows, lists : tuple of str
        Parameters holding windows, or names (a str or a list, kept as a tuple).
    options : tuple of str
        Run-time arguments passed to the implementation by keyword but never stored (``trust``).
    model_required : bool
        False when ``model`` is an optional filter (``find_traces``).
    columns
        The claim of a finding: the columns of ``result.table`` that identify a row, those
        ``recheck`` compares exactly and those it compares within a tolerance.
    """

    kind: ClassVar[str]
    implementation: ClassVar[str]
    scope_fields: ClassVar[tuple[str, ...]] = ("model",)
    subject: ClassVar[tuple[str, ...]] = ()
    renamed: ClassVar[Mapping[str, str]] = {}
    windows: ClassVar[tuple[str, ...]] = ()  # parameters holding a window (JSON {"start","end"})
    options: ClassVar[tuple[str, ...]] = ()  # run-time arguments (trust, progress): never stored
    lists: ClassVar[tuple[str, ...]] = ()  # parameters holding names: a str or a list, kept a tuple
    columns: ClassVar[Columns] = ([], [], [])
    model_required: ClassVar[bool] = True

    scope: Scope = Scope()  # noqa: RUF009 - a frozen value, shared safely

    def __post_init__(self) -> None:
        if not isinstance(self.scope, Scope):
            raise InputError(f"a spec's scope is a dl.Scope, not {self.scope!r}")
        extra = [
            n
            for n in SCOPE_FIELDS
            if n not in self.scope_fields and getattr(self.scope, n) is not None
        ]
        if extra:
            raise InputError(
                f"{self.kind} does not take {extra[0]}; its scope is "
                f"{', '.join(self.scope_fields) or 'empty'}"
            )
        if "model" in self.scope_fields and self.scope.model is None and self.model_required:
            raise InputError(f"{self.kind} needs a model")
        for name in self.windows:
            object.__setattr__(self, name, _window_param(getattr(self, name)))
        for name in self.lists:
            object.__setattr__(self, name, _names(getattr(self, name)))

    @property
    def model(self) -> str:
        """The scope's model (a spec whose model is optional has ``scope.model``)."""
        if self.scope.model is None:
            raise InputError(f"{self.kind} needs a model")
        return self.scope.model

    # -- parameters ------------------------------------------------------------------------

    @classmethod
    def param_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "scope"]

    def params(self) -> dict[str, Any]:
        """The diagnostic's own parameters (not the scope)."""
        return {n: getattr(self, n) for n in self.param_names()}

    @classmethod
    def split(
        cls, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]:
        """A call's arguments as (positional, spec keywords, run-time options)."""
        options = {k: kwargs.pop(k) for k in cls.options if k in kwargs}
        return args, kwargs, options

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Self:
        """A spec from a ``dl.`` call's arguments (after ``store``)."""
        positional = cls.positional()
        if len(args) > len(positional):
            raise TypeError(
                f"{cls.kind}() takes {len(positional)} positional argument(s) after store "
                f"({', '.join(positional) or 'none'}); pass the others by name"
            )
        for name, value in zip(positional, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{cls.kind}() got two values for {name!r}")
            kwargs[name] = value
        known = set(cls.scope_fields) | set(cls.param_names())
        for name in kwargs:
            if name in known:
                continue
            if name in cls.renamed:
                raise TypeError(
                    f"{cls.kind}() has no argument {name!r} any more: it is {cls.renamed[name]!r}"
                )
            raise TypeError(
                f"{cls.kind}() got an unexpected argument {name!r}; known: "
                f"{', '.join(sorted(known))}"
            )
        missing = [n for n in positional if n not in kwargs and n in cls._required()]
        if missing:
            raise TypeError(f"{cls.kind}() is missing {missing[0]!r}")
        scope = Scope(**{n: kwargs.pop(n) for n in cls.scope_fields if n in kwargs})
        return cls(scope=scope, **kwargs)

    @classmethod
    def positional(cls) -> tuple[str, ...]:
        """The parameters a ``dl.`` call takes by position after ``store``."""
        model: tuple[str, ...] = ("model",) if "model" in cls.scope_fields else ()
        return (model if cls.model_required else ()) + cls.subject

    @classmethod
    def _required(cls) -> set[str]:
        req = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
        return req | ({"model"} if "model" in cls.scope_fields and cls.model_required else set())

    # -- running ---------------------------------------------------------------------------

    @classmethod
    def function(cls) -> Callable[..., Any]:
        module, name = cls.implementation.split(":")
        fn: Callable[..., Any] = getattr(importlib.import_module(module), name)
        return fn

    def run(self, store: Any, **options: Any) -> Any:
        """The result of this spec on ``store``, carrying the spec (``result.spec``).
        ``options`` are run-time only (``trust``, ``progress``) and never stored with the
        spec."""
        with for_spec(self.cache_key()):
            result = self.execute(store, **options)
        if isinstance(result, pd.DataFrame):
            result = TableResult(table=result)
        return attach(result, self)

    def execute(self, store: Any, **options: Any) -> Any:
        function = self.function()
        if _takes_spec(function):
            return function(store, self, **options)
        # an implementation written before specs were passed whole (a project's own
        # diagnostic): its keyword arguments, under the spec's names
        return function(store, **self.arguments(), **options)

    def arguments(self) -> dict[str, Any]:
        """The scope's fields and the parameters as keyword arguments (for an implementation
        that takes keywords rather than the spec)."""
        scope = {n: getattr(self.scope, n) for n in self.scope_fields}
        return {**scope, **self.params()}

    def cache_key(self) -> str:
        """What keys the compiled SQL this spec's queries keep (:func:`~diaglab.store.compiled.
        for_spec`): its kind and parameters as JSON, not its scope (a window or a slice is a
        query's data, compiled on each call, not the shape of its SQL)."""
        own = {"kind": self.kind, "params": self.to_json()["params"]}
        return json.dumps(own, sort_keys=True, default=str)

    @classmethod
    def run_on(cls, store: Any, spec: Spec, **options: Any) -> Any:
        return spec.run(store, **options)

    def table(self, result: Any) -> pd.DataFrame:
        """The result's table (what a finding shows and ``recheck`` compares)."""
        table = result if isinstance(result, pd.DataFrame) else getattr(result, "table", None)
        if not isinstance(table, pd.DataFrame):
            raise InputError(f"a {self.kind} result has no table: {type(result).__name__}")
        return table

    def claim_columns(self) -> Columns:
        key, exact, approx = self.columns
        return list(key), list(exact), list(approx)

    # -- JSON and the reproducing call ----------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "scope", "params"}``; parameters at their default are left out."""
        params = {}
        defaults = _defaults(type(self))
        for name, value in self.params().items():
            if name in defaults and _same(value, defaults[name]):
                continue
            params[name] = _json(value)
        return {"kind": self.kind, "scope": self.scope.to_json(), "params": params}

    @staticmethod
    def from_json(obj: Any) -> Spec:
        """The spec of a :meth:`to_json` object, whatever its kind."""
        if not isinstance(obj, Mapping) or "kind" not in obj:
            raise InputError(f"a spec is a JSON object with a kind, not {obj!r}")
        cls = spec_class(str(obj["kind"]))
        params = dict(obj.get("params") or {})
        known = cls.param_names()
        extra = sorted(set(params) - set(known))
        if extra:
            raise UnknownNameError(
                f"unknown {cls.kind} parameter {extra[0]!r}; known: {', '.join(known)}"
            )
        return cls(scope=Scope.from_json(obj.get("scope") or {}), **cls.decode(params))

    @classmethod
    def decode(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Parameters from JSON back to their values (windows are done in ``__post_init__``)."""
        return params

    def call(self, store: str = "store") -> str:
        """The ``dl.`` call that reproduces this spec."""
        args = [store]
        scope = self.scope
        positional = self.positional()
        for name in positional:
            args.append(_code(getattr(scope, name) if name == "model" else getattr(self, name)))
        for name in self.scope_fields:
            value = getattr(scope, name)
            if name in positional or value is None:
                continue
            args.append(f"{name}={_code(where_text(value) if name == 'where' else value)}")
        defaults = _defaults(type(self))
        for name, value in self.params().items():
            if name in self.subject or (name in defaults and _same(value, defaults[name])):
                continue
            args.append(f"{name}={_code(value)}")
        return f"dl.{self.kind}({', '.join(args)})"


S = TypeVar("S", bound=Spec)


def attach(result: R, spec: Spec) -> R:
    """``result`` marked with the spec that produced it (see :func:`spec_of`)."""
    try:
        object.__setattr__(result, "spec", spec)
    except AttributeError:
        raise TypeError(
            f"{spec.kind}'s implementation returned a {type(result).__name__}, which cannot "
            "carry its spec: return a diaglab Result (a table, typed metadata, spec, warnings)"
        ) from None
    return result


def _takes_spec(function: Callable[..., Any]) -> bool:
    """Whether an implementation takes ``(store, spec, ...)``: its second parameter is named
    ``spec``, or it passes any positional arguments on (a wrapper, ``(*args, **kwargs)``)."""
    params = list(inspect.signature(function).parameters.values())
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return True
    return len(params) > 1 and params[1].name == "spec"


def spec_of(result: Any) -> Spec | None:
    """The spec a ``dl.`` diagnostic's result came from, or None."""
    found = getattr(result, "spec", None)
    return found if isinstance(found, Spec) else None


class Diagnostic(Generic[R]):
    """A ``dl.`` diagnostic: builds its spec from the arguments and runs it.

    ``dl.drift(store, "credit", window=...)`` is ``DriftSpec.build("credit", window=...)
    .run(store)``; ``dl.drift.spec(...)`` gives the spec without running it.
    """

    def __init__(self, cls: type[Spec]) -> None:
        self.spec_class = cls
        self.__name__ = self.__qualname__ = cls.kind
        self.__module__ = "diaglab"
        impl = cls.function()
        self.__doc__ = impl.__doc__
        self.__wrapped__ = impl

    def spec(self, *args: Any, **kwargs: Any) -> Spec:
        """The spec of these arguments, not run."""
        args, kwargs, _ = self.spec_class.split(args, dict(kwargs))
        return self.spec_class.build(*args, **kwargs)

    def __call__(self, store: Any, *args: Any, **kwargs: Any) -> R:
        args, kwargs, options = self.spec_class.split(args, kwargs)
        result: R = self.spec_class.build(*args, **kwargs).run(store, **options)
        return result

    @property
    def __signature__(self) -> inspect.Signature:
        cls = self.spec_class
        impl = {
            **{f.name: f.type for f in fields(Scope)},
            **{f.name: f.type for f in fields(cls) if f.name != "scope"},
        }
        if cls.model_required:
            impl["model"] = "str"
        options = inspect.signature(cls.function()).parameters
        P = inspect.Parameter
        params = [P("store", P.POSITIONAL_OR_KEYWORD)]
        positional = cls.positional()
        defaults = _defaults(cls)
        for name in positional:
            default = defaults.get(name, P.empty)
            params.append(
                P(
                    name,
                    P.POSITIONAL_OR_KEYWORD,
                    default=default,
                    annotation=_annotation(impl, name),
                )
            )
        for name in [*cls.scope_fields, *cls.param_names(), *cls.options]:
            if name in positional or name in cls.subject:
                continue
            default = defaults.get(name, options[name].default if name in options else None)
            params.append(
                P(name, P.KEYWORD_ONLY, default=default, annotation=_annotation(impl, name))
            )
        return inspect.Signature(params)

    def __repr__(self) -> str:
        return f"<diaglab diagnostic {self.__name__}{self.__signature__}>"


def _annotation(types: Mapping[str, Any], name: str) -> Any:
    return types.get(name, inspect.Parameter.empty)


def _defaults(cls: type[Spec]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(cls):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(_json(a) == _json(b))
    except Exception:
        return False


def _names(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _window_param(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) == 2 and not _is_bound(value[0]):
        return tuple(window_value(v) for v in value)  # a pair of windows
    return window_value(value)


def _is_bound(value: Any) -> bool:
    return value is None or isinstance(value, str | pd.Timestamp) or hasattr(value, "year")


def _json(value: Any) -> Any:
    """A parameter as JSON: windows as {"start", "end"}, tuples as lists."""
    if isinstance(value, Window):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        return value.item()
    return value


def _code(value: Any) -> str:
    """Python source of a parameter value in a rendered call."""
    if isinstance(value, Window):
        return repr(tuple(_day(t) for t in (value.start, value.end)))
    if isinstance(value, pd.Timestamp):
        return repr(_day(value))
    if isinstance(value, tuple):
        return "(" + ", ".join(_code(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_code(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {_code(v)}" for k, v in value.items()) + "}"
    if hasattr(value, "__dataclass_fields__"):
        args = ", ".join(f"{f.name}={_code(getattr(value, f.name))}" for f in fields(value))
        return f"dl.{type(value).__name__}({args})"
    return repr(value)


def _day(ts: pd.Timestamp | None) -> str | None:
    if ts is None:
        return None
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()
