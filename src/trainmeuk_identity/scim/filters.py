"""SCIM filters (RFC 7644 §3.4.2.2) to SQLAlchemy expressions, through a declared map.

scim2-models parses the filter and binds every attribute path to its schema attribute
(canonical URN, case sensitivity, value type). Here each bound attribute is looked up
in an :class:`AttributeMap` that says which column holds it; an attribute the map does
not declare cannot be filtered on (``invalidFilter``). No SQL text is ever built:
values travel as bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import (
    AttributeBinding,
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
    coerce_value,
)
from sqlalchemy import ColumnElement, and_, bindparam, exists, false, func, not_, or_, select, true

from ..folding import fold

#: Limits of one filter (docs/scim.md): its length in characters, its comparisons and
#: presence tests, and how deep ``and``/``or``/``not``/``[...]`` nest. Provisioning
#: clients send one comparison; a filter of thousands would hold a database connection for
#: seconds, so it is refused before any SQL is built.
MAX_FILTER_LENGTH = 2000
MAX_FILTER_TERMS = 50
MAX_FILTER_DEPTH = 8
#: What no database column can hold: NUL, and halves of surrogate pairs (invalid UTF-8).
#: A filter's string literal can carry them as JSON escapes (``"\\u0000"``).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Column:
    """Where one SCIM attribute is stored.

    ``folded``: the column holds :func:`fold` of the value (userName, emails), so a
    case-insensitive comparison compares folded values. ``related``: the column is in a
    child table (a multi-valued attribute); ``link`` joins it to the resource row, and
    the comparison holds if any child row matches.
    """

    column: Any
    folded: bool = False
    related: Any = None
    link: Any = None


@dataclass
class AttributeMap:
    """SCIM attribute URN (case-insensitive) -> column, for one resource type."""

    columns: dict[str, Column]
    # Multi-valued attributes that can be tested with ``pr`` or a value path: URN ->
    # (child table, join condition).
    collections: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.columns = {k.casefold(): v for k, v in self.columns.items()}
        self.collections = {k.casefold(): v for k, v in self.collections.items()}

    def column(self, binding: AttributeBinding, shown: str) -> Column:
        found = self.columns.get(binding.urn.casefold())
        if found is None:
            raise InvalidFilterException(
                detail=f"Filtering on '{shown}' is not supported by TrainMeUK; filter on "
                       "id, userName, externalId, displayName, emails, active, members "
                       "or meta.lastModified instead.")
        return found


_TEXT_ONLY = frozenset({CompareOperator.co, CompareOperator.sw, CompareOperator.ew})
_ORDERING = frozenset({CompareOperator.gt, CompareOperator.ge, CompareOperator.lt,
                       CompareOperator.le})


def _is_a(target: Any, kinds: type | tuple[type, ...]) -> bool:
    return isinstance(target, type) and issubclass(target, kinds)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: The value of an :class:`Equality`'s condition, bound when it runs.
FILTER_VALUE = bindparam("filter_value")


@dataclass(frozen=True)
class Equality:
    """A filter of one ``attribute eq "text"``: its condition depends only on ``shape``
    (which attribute, compared folded or not), so a statement built for a shape serves
    every value; ``condition()`` builds it with ``value`` as :data:`FILTER_VALUE`."""

    shape: tuple[str, bool]
    condition: Callable[[], ColumnElement[bool]]
    value: str


class SqlFilter(FilterVisitor[ColumnElement[bool]]):
    """Translate one parsed filter into a WHERE clause for the resource's table."""

    def __init__(self, scim_filter: ScimFilter[Any], attributes: AttributeMap,
                 dialect: str) -> None:
        self.filter = scim_filter
        self.attributes = attributes
        self.dialect = dialect
        self._scope: ValuePath | None = None  # inside ``emails[...]``

    # -- structure ------------------------------------------------------------------
    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        terms = [self.visit(t) for t in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return not_(self.visit(node.expr))

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        binding = self.filter.resolve(node.attr_path)
        table, link = self._collection(binding, str(node.attr_path))
        outer, self._scope = self._scope, node
        try:
            inner = self.visit(node.val_filter)
        finally:
            self._scope = outer
        return exists(select(1).select_from(table).where(link, inner))

    # -- leaves ---------------------------------------------------------------------
    def _path(self, attr_path: AttrPath) -> AttrPath:
        """An attribute inside a value path, named from the resource root."""
        if self._scope is None:
            return attr_path
        outer = self._scope.attr_path
        return AttrPath(attr=outer.attr, sub_attr=attr_path.attr, uri=outer.uri)

    def _collection(self, binding: AttributeBinding, shown: str) -> tuple[Any, Any]:
        found = self.attributes.collections.get(binding.urn.casefold())
        if found is None:
            raise InvalidFilterException(detail=f"Filtering on '{shown}' is not supported.")
        return found

    def _wrap(self, spec: Column, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        # Inside a value path the EXISTS is already there; outside, a child column needs one.
        if spec.related is None or self._scope is not None:
            return condition
        return exists(select(1).select_from(spec.related).where(spec.link, condition))

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        path = self._path(node.attr_path)
        binding = self.filter.resolve(path)
        if binding.urn.casefold() in self.attributes.collections and self._scope is None:
            table, link = self.attributes.collections[binding.urn.casefold()]
            return exists(select(1).select_from(table).where(link))
        spec = self.attributes.column(binding, str(path))
        condition = spec.column.is_not(None)
        if binding.target_type is str:
            condition = and_(condition, spec.column != "")
        return self._wrap(spec, condition)

    def _operand(self, node: Comparison) -> tuple[AttributeBinding, Column, Any, Any]:
        """A comparison's binding, column spec, the column expression to compare and the
        value to compare it with (folded where the attribute ignores case)."""
        path = self._path(node.attr_path)
        binding = self.filter.resolve_comparison(path)
        spec = self.attributes.column(binding, str(path))
        if node.op in _TEXT_ONLY and _is_a(binding.target_type, (datetime, bool, int, float)):
            raise InvalidFilterException(
                detail=f"'{path}' is not text: co, sw and ew compare text only (RFC 7644 "
                       "§3.4.2.2); use eq, ne, gt, ge, lt or le.")
        if node.op in _ORDERING and _is_a(binding.target_type, bool):
            raise InvalidFilterException(
                detail=f"'{path}' is true or false: gt, ge, lt and le do not apply (RFC 7644 "
                       "§3.4.2.2); use eq or ne.")
        value = coerce_value(binding, node.value, node.op)
        column = spec.column
        if isinstance(value, str) and not binding.case_exact:
            value = fold(value) or ""
            if not spec.folded:
                column = func.lower(column)
        return binding, spec, column, value

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        binding, spec, column, value = self._operand(node)
        return self._wrap(spec, self._compare(spec.column, column, node.op, value,
                                              exact=binding.case_exact))

    def equality(self) -> Equality | None:
        """The filter as an :class:`Equality` if it is one ``attribute eq "text"`` on a
        column of the resource's own row (what provisioning clients send), else None."""
        node = self.filter.ast
        if not isinstance(node, Comparison) or node.op != CompareOperator.eq:
            return None
        binding, spec, column, value = self._operand(node)
        if spec.related is not None or not isinstance(value, str):
            return None
        lowered = column is not spec.column

        def condition() -> ColumnElement[bool]:
            return self._compare(spec.column, column, CompareOperator.eq, FILTER_VALUE,
                                 exact=binding.case_exact)

        return Equality(shape=(binding.urn.casefold(), lowered), condition=condition, value=value)

    def _compare(self, raw: Any, column: Any, op: CompareOperator, value: Any,
                 *, exact: bool) -> ColumnElement[bool]:
        if value is None:
            # ``attr eq null`` is ``not (attr pr)``; ``attr ne null`` is ``attr pr``.
            if op == CompareOperator.eq:
                return raw.is_(None)
            if op == CompareOperator.ne:
                return raw.is_not(None)
            return false()
        if op == CompareOperator.ne:
            return or_(raw.is_(None), column != value)
        return and_(raw.is_not(None), self._positive(column, op, value, exact=exact))

    def _positive(self, column: Any, op: CompareOperator, value: Any,
                  *, exact: bool) -> ColumnElement[bool]:
        simple: dict[CompareOperator, Callable[[], ColumnElement[bool]]] = {
            CompareOperator.eq: lambda: column == value,
            CompareOperator.gt: lambda: column > value,
            CompareOperator.ge: lambda: column >= value,
            CompareOperator.lt: lambda: column < value,
            CompareOperator.le: lambda: column <= value,
        }
        if op in simple:
            return simple[op]()
        if not isinstance(value, str):
            return false()
        if not value:
            return true()
        if exact:
            return self._exact_substring(column, op, value)
        pattern = _like_escape(value)
        pattern = {CompareOperator.co: f"%{pattern}%", CompareOperator.sw: f"{pattern}%",
                   CompareOperator.ew: f"%{pattern}"}[op]
        return column.like(pattern, escape="\\")

    def _exact_substring(self, column: Any, op: CompareOperator, value: str) -> ColumnElement[bool]:
        # LIKE ignores case on SQLite, so case-exact attributes compare substrings.
        n = len(value)
        if op == CompareOperator.sw:
            return func.substr(column, 1, n) == value
        if op == CompareOperator.ew:
            return and_(func.length(column) >= n,
                        func.substr(column, func.length(column) - n + 1, n) == value)
        position = func.strpos(column, value) if self.dialect == "postgresql" else func.instr(column, value)
        return position > 0


#: ``attribute eq "text"`` as provisioning clients write it to find one resource by its
#: key: a bare attribute name, single spaces, and printable ASCII text holding no quote
#: or backslash, so it means what it spells and is spelt as the tree is written
#: (see :func:`plain_comparison`).
_PLAIN_EQUALITY = re.compile(r'([A-Za-z][A-Za-z0-9]*) eq "([ !#-\[\]-~]*)"')


def plain_comparison(text: str) -> Comparison | None:
    """The tree of ``text`` if it is a plain ``attribute eq "text"`` (what nearly every
    lookup is), else None. It is the tree the library's parser makes of the same text
    (``tests/unit/scim/test_plain_search.py``), built without running the parser."""
    found = _PLAIN_EQUALITY.fullmatch(text)
    if found is None:
        return None
    return Comparison(attr_path=AttrPath(attr=found[1]), op=CompareOperator.eq, value=found[2])


def check_value(node: Any) -> None:
    """A comparison's string value must be storable text (no NUL, no lone surrogate)."""
    value = getattr(node, "value", None)
    if isinstance(value, str) and UNSTORABLE.search(value):
        raise InvalidFilterException(
            detail="A value in the filter contains a NUL character (\\u0000) or an unpaired "
                   "surrogate (\\ud800-\\udfff), which no TrainMeUK attribute can hold.")


def check_complexity(scim_filter: ScimFilter[Any]) -> None:
    """Refuse a filter beyond MAX_FILTER_TERMS terms or MAX_FILTER_DEPTH levels."""
    terms = 0
    stack: list[tuple[Any, int]] = [(scim_filter.ast, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_FILTER_DEPTH:
            raise InvalidFilterException(
                detail=f"The filter nests more than {MAX_FILTER_DEPTH} levels of and/or/not "
                       "and brackets; TrainMeUK does not accept deeper filters.")
        if isinstance(node, LogicalExpr):
            stack.extend((term, depth + 1) for term in node.terms)
        elif isinstance(node, Not):
            stack.append((node.expr, depth + 1))
        elif isinstance(node, ValuePath):
            stack.append((node.val_filter, depth + 1))
        else:
            terms += 1
            check_value(node)
            if terms > MAX_FILTER_TERMS:
                raise InvalidFilterException(
                    detail=f"The filter has more than {MAX_FILTER_TERMS} comparisons; TrainMeUK "
                           f"accepts at most {MAX_FILTER_TERMS} in one query. Split it into "
                           "several queries.")


def to_sql(scim_filter: ScimFilter[Any], attributes: AttributeMap,
           dialect: str) -> ColumnElement[bool]:
    """The WHERE clause for ``scim_filter`` (already parsed and bound to its model)."""
    return SqlFilter(scim_filter, attributes, dialect).visit(scim_filter.ast)


def equality(scim_filter: ScimFilter[Any], attributes: AttributeMap,
             dialect: str) -> Equality | None:
    """``scim_filter`` as an :class:`Equality`, if it is one (see there)."""
    return SqlFilter(scim_filter, attributes, dialect).equality()


__all__ = ["MAX_FILTER_DEPTH", "MAX_FILTER_LENGTH", "MAX_FILTER_TERMS", "UNSTORABLE",
           "AttributeMap", "Column", "Equality", "FilterNode", "check_complexity", "check_value",
           "equality", "plain_comparison", "to_sql"]
