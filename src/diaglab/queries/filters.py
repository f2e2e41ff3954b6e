"""Filters and slices: user-typed predicates, parsed and checked, compiled to Ibis.

A filter string such as ``region = 'north' AND (income < 32000 OR age >= 60)`` is tokenised and
parsed here into a small tree; column names are checked against the table and values against the
column's type. Nothing the user typed ever reaches SQL as text: the tree compiles to an Ibis
expression whose literals are bound values. A literal compared with a sensitive column (stored as
keyed hashes, :mod:`diaglab.store.sensitive`) is replaced by its keyed hash before it reaches Ibis,
so it matches and the clear value is in no SQL; :func:`hide_sensitive` writes a filter with those
literals replaced, for storing.

Grammar (case-insensitive keywords; Python spellings ``==``, ``and``, ``or``, ``not`` work too)::

    expr   := term (OR term)*
    term   := factor (AND factor)*
    factor := NOT factor | '(' expr ')' | cond
    cond   := column op value | column [NOT] IN '(' value, ... ')' | column IS [NOT] NULL
    op     := = | == | != | <> | < | <= | > | >=
    column := name | `any name`          value := number | 'text' | "text" | true | false
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Union

from diaglab.errors import FilterError
from diaglab.store.schema import feature_column
from diaglab.store.sensitive import MARK, Hashing, hashing_of

OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | '(?P<sq>(?:[^'\\]|\\.|'')*)'
      | "(?P<dq>(?:[^"\\]|\\.)*)"
      | `(?P<bq>[^`]+)`
      | (?P<op>==|!=|<>|<=|>=|=|<|>|\(|\)|,|&&|\|\|)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.X,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}


@dataclass(frozen=True)
class Condition:
    """``column op value``: one condition of a filter or a slice."""

    column: str
    op: str
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise FilterError(f"unknown operator {self.op!r}; known: {', '.join(OPS)}")
        if self.op in ("in", "not in"):
            object.__setattr__(self, "value", tuple(self.value))

    def __str__(self) -> str:
        return self.text(readable=True)

    def text(self, *, readable: bool = False) -> str:
        """The condition as filter text; ``readable`` groups digits (32,000), which reads well
        but does not parse back."""
        col = (
            self.column
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.column)
            else f"`{self.column}`"
        )
        if self.op in ("is null", "is not null"):
            return f"{col} {self.op.upper()}"
        if self.op in ("in", "not in"):
            values = ", ".join(_fmt(v, readable) for v in self.value)
            return f"{col} {self.op.upper()} ({values})"
        return f"{col} {self.op} {_fmt(self.value, readable)}"

    def to_json(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"column": self.column, "op": self.op, "value": value}


@dataclass(frozen=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    item: Filter


Filter = Union[Condition, And, Or, Not]  # noqa: UP007 - a runtime alias of frozen nodes


def _fmt(v: Any, readable: bool = False) -> str:
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int):
        return f"{v:,}" if readable else str(v)
    return f"{v:.6g}" if readable else repr(v)


@dataclass(frozen=True)
class Slice:
    """A conjunction of conditions: a readable, reusable subset of predictions.

    Accepted wherever diaglab accepts ``where=``.

    Examples
    --------
    >>> s = Slice.of("region = 'north' AND income < 32000")
    >>> str(s)
    "region = 'north' AND income < 32,000"
    """

    conditions: tuple[Condition, ...] = ()

    def __init__(self, *conditions: Condition | tuple[str, str, Any]) -> None:
        conds = tuple(c if isinstance(c, Condition) else Condition(*c) for c in conditions)
        object.__setattr__(self, "conditions", conds)

    @classmethod
    def of(cls, value: Slice | str | Condition | None) -> Slice:
        if value is None:
            return cls()
        if isinstance(value, Slice):
            return value
        if isinstance(value, Condition):
            return cls(value)
        tree = parse(value)
        conds = _conjuncts(tree)
        if conds is None:
            raise FilterError(
                f"a slice is conditions joined by AND; {value!r} uses OR or NOT "
                "(pass it as where= instead)"
            )
        return cls(*conds)

    def __str__(self) -> str:
        return " AND ".join(str(c) for c in self.conditions) or "all rows"

    @property
    def expression(self) -> str:
        """Filter text that parses back to this slice (``Slice.of(s.expression) == s``)."""
        return " AND ".join(c.text() for c in self.conditions)

    def __bool__(self) -> bool:
        return bool(self.conditions)

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(c.column for c in self.conditions))

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.conditions]

    @property
    def tree(self) -> Filter:
        return And(self.conditions)


def _conjuncts(tree: Filter) -> list[Condition] | None:
    if isinstance(tree, Condition):
        return [tree]
    if isinstance(tree, And):
        out: list[Condition] = []
        for item in tree.items:
            sub = _conjuncts(item)
            if sub is None:
                return None
            out += sub
        return out
    return None


# -- parsing ----------------------------------------------------------------------------------


def _tokens(text: str) -> list[tuple[str, Any]]:
    pos, out = 0, list[tuple[str, Any]]()
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError(f"cannot read the filter at position {pos}: {text[pos : pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        raw = m.group(kind) if kind else ""
        if kind == "num":
            num = raw.replace("_", "")
            out.append(("value", float(num) if any(c in num for c in ".eE") else int(num)))
        elif kind == "sq":
            out.append(("value", _unescape(raw, "'")))
        elif kind == "dq":
            out.append(("value", _unescape(raw, '"')))
        elif kind == "bq":
            out.append(("name", raw))
        elif kind == "op":
            out.append(("op", {"==": "=", "<>": "!=", "&&": "and", "||": "or"}.get(raw, raw)))
        elif raw.lower() in _KEYWORDS:
            out.append(("kw", raw.lower()))
        else:
            out.append(("name", raw))
    return out


def _unescape(raw: str, quote: str) -> str:
    """A quoted value's text: ``\\`` is a backslash, ``\\'`` (``''`` in single quotes) the
    quote; any other backslash stands for itself."""
    doubled = quote * 2 if quote == "'" else None

    def one(m: re.Match[str]) -> str:
        if m.group(0) == doubled:
            return quote
        nxt = m.group(1)
        return nxt if nxt in ("\\", quote) else m.group(0)

    pattern = r"\\(.)" + (f"|{doubled}" if doubled else "")
    return re.sub(pattern, one, raw, flags=re.S)


MAX_DEPTH = 100
"""How deeply parentheses and NOT may nest in a filter; deeper is refused with a FilterError."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise FilterError(f"the filter {self.text!r} ends too early")
        self.i += 1
        return tok

    def accept(self, *wanted: tuple[str, Any]) -> bool:
        tok = self.peek()
        if tok is not None and tok in wanted:
            self.i += 1
            return True
        return False

    def expect(self, wanted: tuple[str, Any], what: str) -> None:
        if not self.accept(wanted):
            got = self.peek()
            raise FilterError(f"expected {what} in {self.text!r}, got {got[1] if got else 'end'!r}")

    def parse(self) -> Filter:
        tree = self.expr()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()[1]!r} in {self.text!r}")  # type: ignore[index]
        return tree

    def expr(self) -> Filter:
        items = [self.term()]
        while self.accept(("kw", "or"), ("op", "or")):
            items.append(self.term())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def term(self) -> Filter:
        items = [self.factor()]
        while self.accept(("kw", "and"), ("op", "and")):
            items.append(self.factor())
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self) -> Filter:
        if self.peek() in (("kw", "not"), ("op", "(")):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FilterError(
                    f"the filter nests parentheses or NOT more than {MAX_DEPTH} levels deep "
                    f"(at token {self.i + 1}); write it flatter"
                )
            try:
                if self.accept(("kw", "not")):
                    return Not(self.factor())
                self.take()
                inner = self.expr()
                self.expect(("op", ")"), "')'")
                return inner
            finally:
                self.depth -= 1
        return self.cond()

    def value(self) -> Any:
        kind, v = self.take()
        if kind == "value":
            return v
        if kind == "kw" and v in ("true", "false"):
            return v == "true"
        raise FilterError(
            f"expected a value (a number or 'quoted text') in {self.text!r}, got {v!r}"
        )

    def cond(self) -> Condition:
        kind, column = self.take()
        if kind != "name":
            raise FilterError(f"expected a column name in {self.text!r}, got {column!r}")
        if self.accept(("kw", "is")):
            negate = self.accept(("kw", "not"))
            self.expect(("kw", "null"), "NULL")
            return Condition(column, "is not null" if negate else "is null")
        negate = self.accept(("kw", "not"))
        if self.accept(("kw", "in")):
            self.expect(("op", "("), "'(' after IN")
            values = [self.value()]
            while self.accept(("op", ",")):
                values.append(self.value())
            self.expect(("op", ")"), "')'")
            return Condition(column, "not in" if negate else "in", tuple(values))
        if negate:
            raise FilterError(f"expected IN after NOT in {self.text!r}")
        kind, op = self.take()
        if kind != "op" or op not in ("=", "!=", "<", "<=", ">", ">="):
            raise FilterError(
                f"expected a comparison (=, !=, <, <=, >, >=, IN, IS NULL) after {column!r} "
                f"in {self.text!r}, got {op!r}"
            )
        return Condition(column, op, self.value())


def parse(text: str) -> Filter:
    """Parse a filter string into a tree of Condition/And/Or/Not (no column checks yet)."""
    if not isinstance(text, str) or not text.strip():
        raise FilterError("the filter is empty")
    return _Parser(text).parse()


# -- compiling to Ibis --------------------------------------------------------------------------


def resolve_column(name: str, columns: Sequence[str]) -> str:
    """The column of ``columns`` a filter's ``name`` means: a feature by its own name first
    (stored as ``feature:<name>`` when diaglab has a column of that name), else the column
    itself; raises FilterError naming the known columns."""
    stored = feature_column(name)
    if stored != name and stored in columns:
        return stored
    if name not in columns:
        close = difflib.get_close_matches(name, columns, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FilterError(f"unknown column {name!r} in filter{hint}; known: {', '.join(columns)}")
    return name


_EQUALITY = ("=", "!=", "in", "not in", "is null", "is not null")


def _hashing(table: Any) -> Hashing | None:
    """The sensitive columns of the store table ``table`` is drawn from (None: no store's)."""
    import ibis.expr.operations as ops

    found = table.op().find(ops.DatabaseTable)
    for db in found:
        hashing = hashing_of(db.source, db.name)
        if hashing is not None:
            return hashing
    return None


def _hashed(tree: Condition, hashing: Hashing | None) -> Condition:
    """``tree`` comparing a sensitive column's keyed hash, when its column is one."""
    if hashing is None or tree.column not in {feature_column(c) for c in hashing.columns}:
        return tree
    if tree.op not in _EQUALITY:
        raise FilterError(
            f"column {tree.column!r} is sensitive (stored as keyed hashes): only =, !=, IN, NOT "
            f"IN and IS NULL can compare it, not {tree.op!r}"
        )
    if tree.op in ("is null", "is not null"):
        return tree
    if tree.op in ("in", "not in"):
        return Condition(tree.column, tree.op, tuple(hashing.literal(v) for v in tree.value))
    return Condition(tree.column, tree.op, hashing.literal(tree.value))


def _compile(tree: Filter, table: Any, hashing: Hashing | None = None) -> Any:
    if isinstance(tree, And):
        out = _compile(tree.items[0], table, hashing)
        for item in tree.items[1:]:
            out = out & _compile(item, table, hashing)
        return out
    if isinstance(tree, Or):
        out = _compile(tree.items[0], table, hashing)
        for item in tree.items[1:]:
            out = out | _compile(item, table, hashing)
        return out
    if isinstance(tree, Not):
        return ~_compile(tree.item, table, hashing)
    named = tree.column
    tree = _hashed(replace(tree, column=resolve_column(named, table.columns)), hashing)
    col = table[tree.column]
    if tree.op == "is null":
        return col.isnull()
    if tree.op == "is not null":
        return col.notnull()
    values = tree.value if isinstance(tree.value, tuple) else (tree.value,)
    numeric = col.type().is_numeric()
    for v in values:
        if numeric and isinstance(v, str | bool):
            raise FilterError(f"column {named!r} is numeric; compare it with a number, not {v!r}")
        if col.type().is_string() and not isinstance(v, str):
            raise FilterError(f"column {named!r} holds text; quote the value: '{v}'")
    if tree.op == "in":
        return col.isin(list(values))
    if tree.op == "not in":
        return col.notin(list(values))
    v = tree.value
    return {
        "=": col == v,
        "!=": col != v,
        "<": col < v,
        "<=": col <= v,
        ">": col > v,
        ">=": col >= v,
    }[tree.op]


def where(table: Any, spec: Slice | str | Filter | None) -> Any:
    """``table`` filtered by a Slice, a filter string or a parsed tree (None: unchanged)."""
    if spec is None or (isinstance(spec, Slice) and not spec):
        return table
    return table.filter(predicate(table, spec))


def predicate(table: Any, spec: Slice | str | Filter) -> Any:
    """A non-empty Slice, a filter string or a parsed tree as a boolean Ibis expression over
    ``table`` (columns checked against it)."""
    if isinstance(spec, Slice):
        tree: Filter = spec.tree
    elif isinstance(spec, str):
        tree = parse(spec)
    elif isinstance(spec, Condition | And | Or | Not):
        tree = spec
    else:
        raise FilterError(f"where= takes a dl.Slice or a filter string, not {type(spec).__name__}")
    return _compile(tree, table, _hashing(table))


def columns_of(spec: Slice | str | Filter | None) -> set[str]:
    """The column names a filter refers to."""
    if spec is None:
        return set()
    tree = spec.tree if isinstance(spec, Slice) else parse(spec) if isinstance(spec, str) else spec

    def walk(node: Filter) -> Iterable[str]:
        if isinstance(node, Condition):
            yield node.column
        elif isinstance(node, Not):
            yield from walk(node.item)
        else:
            for item in node.items:
                yield from walk(item)

    return set(walk(tree))


def text_of(tree: Filter) -> str:
    """Filter text that parses back to ``tree``."""
    if isinstance(tree, Condition):
        return tree.text()
    if isinstance(tree, Not):
        return f"NOT ({text_of(tree.item)})"
    joiner = " AND " if isinstance(tree, And) else " OR "
    return joiner.join(
        f"({text_of(item)})" if isinstance(item, And | Or) else text_of(item) for item in tree.items
    )


def hide_sensitive(spec: Any, hashing: Hashing | None) -> tuple[Any, dict[str, str]]:
    """``spec`` (a filter string, a Slice or its JSON) with every literal compared with a
    sensitive column replaced by ``hmac-sha256:<keyed hash>``, and the replacements made
    (clear text -> replacement), so a caller can scrub other copies of the same text."""
    if hashing is None or spec is None or spec == "":
        return spec, {}
    replaced: dict[str, str] = {}

    def hide(c: Condition) -> Condition:
        if c.column not in hashing.columns or c.op in ("is null", "is not null"):
            return c

        def one(v: Any) -> Any:
            text = v if isinstance(v, str) else str(v)
            if text.startswith(MARK):
                return text
            replaced[text] = MARK + hashing.literal(text)
            return replaced[text]

        if c.op in ("in", "not in"):
            return Condition(c.column, c.op, tuple(one(v) for v in c.value))
        return Condition(c.column, c.op, one(c.value))

    def walk(node: Filter) -> Filter:
        if isinstance(node, Condition):
            return hide(node)
        if isinstance(node, Not):
            return Not(walk(node.item))
        items = tuple(walk(i) for i in node.items)
        return And(items) if isinstance(node, And) else Or(items)

    if isinstance(spec, Slice):
        return Slice(*(hide(c) for c in spec.conditions)), replaced
    if isinstance(spec, str):
        try:
            tree = parse(spec)
        except FilterError:
            return spec, {}
        hidden = walk(tree)
        return (text_of(hidden) if replaced else spec), replaced
    if isinstance(spec, list) and all(isinstance(c, dict) and "column" in c for c in spec):
        conds = [hide(Condition(c["column"], c["op"], c.get("value"))) for c in spec]
        return [c.to_json() for c in conds], replaced
    return spec, {}


def hide_sensitive_in(value: Any, hashing: Hashing | None) -> tuple[Any, dict[str, str]]:
    """``value`` (JSON: dicts, lists, text) with :func:`hide_sensitive` applied to every text
    that is a filter, and to every list that is a Slice's JSON; the replacements made."""
    replaced: dict[str, str] = {}
    if hashing is None:
        return value, replaced

    def walk(v: Any) -> Any:
        if isinstance(v, str | list):
            hidden, made = hide_sensitive(v, hashing)
            if made:
                replaced.update(made)
                return hidden
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [walk(x) for x in v]
        return v

    return walk(value), replaced
