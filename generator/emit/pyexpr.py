"""Emit: compile IR values and condition trees to Python expression source.

Every piece of spec data reaches the output through `pysrc` (literals) or a
`Names` table (identifiers chosen by `pysrc.Namespace`); this module only adds
fixed syntax around them. The expressions read from three local names of the
generated step functions: `state` (inputs and step outputs), `response` and
`body` (the step's HTTP response and its parsed JSON).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from generator import ir, pysrc
from generator.emit.imports import Imports
from generator.expressions import (
    And,
    Compare,
    Cond,
    Index,
    InputRef,
    Lit,
    Method,
    Not,
    Or,
    OutputRef,
    Prop,
    RequestRef,
    ResponseRef,
    RuntimeExpr,
    StatusCode,
    StepRef,
    Template,
    Url,
    WorkflowRef,
)
from generator.expressions.nodes import CompareOp


class EmitError(Exception):
    """An IR node the emitter cannot compile; the checks stage should prevent this."""


@dataclass(frozen=True)
class Names:
    """Python names chosen for one workflow's inputs, steps and step outputs."""

    inputs: dict[str, str]  # input name -> state field
    steps: dict[str, str]  # step id -> state field holding its outputs
    outputs: dict[tuple[str, str], str]  # (step id, output name) -> TypedDict key
    optional_inputs: frozenset[str]  # inputs the caller may leave out
    next_step: dict[str, str]  # step id -> the step after it in document order
    dependencies: dict[str, str] = field(default_factory=dict)  # workflow id -> state field
    dependency_keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (id, output)
    call_keys: dict[str, str] = field(default_factory=dict)  # a workflow step's callee outputs
    step_classes: dict[str, str] = field(default_factory=dict)  # step id -> outputs TypedDict
    package: str = ""  # the workflow's own package (calls into others import by module)
    retry_steps: frozenset[str] = frozenset()  # the steps a retry runs first
    loops: bool = False  # a goto to a step: a step may run again after it had outputs
    #: In a step that runs a workflow: `$statusCode` is that of the last response the
    #: called workflow got (`int | None`, in `_State`), compared by `_compare`.
    called: bool = False


def tokens(pointer: tuple[str, ...]) -> str:
    """A tuple literal of JSON pointer tokens, e.g. `("Contact", "Id")`."""
    items = [pysrc.literal(token) for token in pointer]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _with_pointer(source: str, pointer: tuple[str, ...] | None) -> str:
    return f"_pointer({source}, {tokens(pointer)})" if pointer else source


def expression(expr: RuntimeExpr | Template, names: Names) -> str:
    """Python source for the value of a runtime expression."""
    if isinstance(expr, Template):
        parts = ", ".join(
            pysrc.literal(p) if isinstance(p, str) else expression(p, names) for p in expr.parts
        )
        return f"_text({parts})"
    if isinstance(expr, StatusCode):
        return "state.called_status" if names.called else "response.status_code"
    if isinstance(expr, Url):
        return "str(response.url)"
    if isinstance(expr, Method):
        return "response.request.method"
    if isinstance(expr, InputRef):
        return _with_pointer(f"state.{names.inputs[expr.name]}", expr.pointer)
    if isinstance(expr, StepRef):
        step_field = names.steps[expr.step_id]
        key = pysrc.literal(names.outputs[(expr.step_id, expr.name)])
        ran = f"_ran(state.{step_field}, {pysrc.literal(expr.step_id)})[{key}]"
        return _with_pointer(ran, expr.pointer)
    if isinstance(expr, OutputRef):  # in a workflow step: the callee's outputs
        key = pysrc.literal(names.call_keys[expr.name])
        return _with_pointer(f"outputs[{key}]", expr.pointer)
    if isinstance(expr, WorkflowRef):  # a dependency's outputs
        field_name = names.dependencies[expr.workflow_id]
        key = pysrc.literal(names.dependency_keys[(expr.workflow_id, expr.name)])
        ran = f"_ran(state.{field_name}, {pysrc.literal(expr.workflow_id)})[{key}]"
        return _with_pointer(ran, expr.pointer)
    if isinstance(expr, RequestRef):  # the request this step sent, read back from httpx
        return _request_value(expr)
    if isinstance(expr, ResponseRef) and expr.source == "header":
        return f"response.headers.get({pysrc.literal(expr.name)})"
    if isinstance(expr, ResponseRef):
        return _with_pointer("body", expr.pointer)
    raise EmitError(f"cannot compile {expr}")


def _request_value(expr: RequestRef) -> str:
    name = pysrc.literal(expr.name)
    if expr.source == "header":
        return f"response.request.headers.get({name})"
    if expr.source == "query":
        return f"response.request.url.params.get({name})"
    if expr.source == "path":
        return f"_sent_path(response.request, {name})"
    return _with_pointer("_read_sent_body(response.request)", expr.pointer)


def value(node: ir.Value, names: Names) -> str:
    """Python source for an IR value (constants, objects, arrays, expressions)."""
    if isinstance(node, ir.Const):
        return pysrc.literal(node.value)
    if isinstance(node, ir.ObjectValue):
        members = ", ".join(f"{pysrc.literal(k)}: {value(v, names)}" for k, v in node.members)
        return "{" + members + "}"
    if isinstance(node, ir.ArrayValue):
        return "[" + ", ".join(value(item, names) for item in node.items) + "]"
    return expression(node, names)


# --- criteria ------------------------------------------------------------------------
#
# A simple condition compiles to a Python `bool` expression. Comparisons whose
# operand types are known when generating stay plain Python (`response.status_code
# == 200`, `x is None`); every other comparison calls the runtime's `_compare`
# (templates/runtime/criteria.py.jinja), which applies Arazzo's loose rules. Regex,
# JSONPath and XPath criteria call one runtime helper each, with the pattern or
# query compiled once in a module-level constant (`criteria_constants`).

_MIRRORED: dict[CompareOp, CompareOp] = {
    "==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="
}  # fmt: skip
_NEGATED: dict[CompareOp, CompareOp] = {
    "==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"
}  # fmt: skip
#: A string that spells a JSON number (the runtime's `_NUMBER`).
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_QUERY_HELPERS = {
    "regex": "_regex_search",
    "jsonpath": "_jsonpath_selects",
    "xpath": "_xpath_holds",
}
_XPATH_PARSERS = {
    "xpath-10": ("elementpath", "XPath1Parser"),
    "xpath-20": ("elementpath", "XPath2Parser"),
    "xpath-30": ("elementpath.xpath3", "XPath30Parser"),
    "xpath-31": ("elementpath.xpath3", "XPath31Parser"),
}


def criterion(node: ir.Criterion, names: Names) -> str:
    """Python source for a compiled Criterion Object, as a `bool` expression."""
    if isinstance(node, ir.QueryCriterion):
        return _query(node, names)
    return condition(node.condition, names)


def criteria_needs(workflow: ir.Workflow, imports: Imports) -> list[str]:
    """Runtime features (templates/runtime/<name>.py.jinja) and imports the workflow's
    criteria need: none when every comparison compiles to plain Python."""
    features: set[str] = set()
    for node, called in _all_criteria(workflow):
        if not isinstance(node, ir.QueryCriterion):
            if _needs_compare(node.condition, called):
                features.add("criteria")
                imports.need("re")
            continue
        if _constant_name(node) is not None:
            features.add("criteria_constants")
        if node.kind == "regex":
            features.add("criteria_regex")
            imports.need("re")
        elif node.kind == "jsonpath" and node.path is not None:
            features.add("criteria_jsonpath")
        elif node.kind == "jsonpath":
            features.add("criteria_jsonpath_query")
            imports.need("jsonpath_rfc9535")
        else:
            features.add("criteria_xpath")
            imports.need("elementpath")
            imports.need("xml.etree", "ElementTree")
            module, parser = _XPATH_PARSERS[node.dialect]
            if module != "elementpath":
                imports.need(module, parser)
    return sorted(features)


def criteria_constants(workflow: ir.Workflow) -> list[str]:
    """Module-level definitions of the workflow's compiled patterns and queries, one per
    distinct query, so each is compiled once, when the module is imported."""
    lines: dict[str, str] = {}
    for node, _ in _all_criteria(workflow):
        name = _constant_name(node)
        if name is None or not isinstance(node, ir.QueryCriterion):
            continue
        query = pysrc.literal(node.query)
        if node.kind == "regex":
            made = f"re.compile({query})"
        elif node.kind == "jsonpath":
            made = f"jsonpath_rfc9535.compile({query})"
        else:
            module, parser = _XPATH_PARSERS[node.dialect]
            parser = f"elementpath.{parser}" if module == "elementpath" else parser
            made = f"elementpath.Selector({query}, parser={parser})"
        comment = pysrc.comment(f"{node.kind} ({node.dialect}): {node.query}")
        lines[name] = f"{comment}\n{name}: Final = {made}"
    return [lines[name] for name in sorted(lines)]


def _all_criteria(workflow: ir.Workflow) -> list[tuple[ir.Criterion, bool]]:
    """Every criterion, and whether its step runs a workflow (see `Names.called`)."""
    found: list[tuple[ir.Criterion, bool]] = []
    for step in workflow.steps:
        criteria = [*step.success_criteria]
        for action in (*step.on_success, *step.on_failure):
            criteria += action.criteria
        found += [(c, step.call is not None) for c in criteria]
    return found


def _constant_name(node: ir.Criterion) -> str | None:
    """The module constant holding a criterion's compiled pattern or query, named by a
    digest of the query (so equal queries share it); None when it needs none."""
    if not isinstance(node, ir.QueryCriterion) or node.path is not None:
        return None
    digest = hashlib.sha256(f"{node.dialect}\0{node.query}".encode()).hexdigest()
    return f"_{node.kind.upper()}_{digest[:8].upper()}"


def _query(node: ir.QueryCriterion, names: Names) -> str:
    context = node.condition
    if isinstance(context, (Lit, Compare, And, Or, Not, Index, Prop)):
        raise EmitError(f"the context of {node.describe()} is not a runtime expression")
    value = expression(context, names)
    if node.path is not None:
        path = [pysrc.literal(step) for step in node.path]
        return f"_has_node({value}, ({', '.join(path)}{',' if len(path) == 1 else ''}))"
    return f"{_QUERY_HELPERS[node.kind]}({_constant_name(node)}, {value})"


def condition(node: Cond, names: Names) -> str:
    """Python source for a simple condition, as a `bool` expression."""
    if isinstance(node, Compare):
        return _compare(node, names)
    if isinstance(node, And):
        return f"({condition(node.left, names)} and {condition(node.right, names)})"
    if isinstance(node, Or):
        return f"({condition(node.left, names)} or {condition(node.right, names)})"
    if isinstance(node, Not):
        return _negation(node.operand, names)
    if isinstance(node, Lit):
        return "True" if node.value else "False"  # Python truthiness, as for other values
    return f"bool({operand(node, names)})"


def _negation(node: Cond, names: Names) -> str:
    """`!node`, written the way ruff wants it (`x is not None`, `a != b`, no `not not`)."""
    if isinstance(node, Not):
        return condition(node.operand, names)
    if isinstance(node, Compare) and _plain(node, names.called) is not None:
        return _compare(Compare(_NEGATED[node.op], node.left, node.right), names)
    if isinstance(node, Lit):
        return "False" if node.value else "True"
    if isinstance(node, (Compare, And, Or)):
        return f"not {condition(node, names)}"
    return f"not {operand(node, names)}"


def operand(node: Cond, names: Names) -> str:
    """Python source for a value inside a condition."""
    if isinstance(node, Lit):
        return pysrc.literal(node.value)
    if isinstance(node, (Index, Prop)):
        base, path = _access_path(node)
        folded = _with_path(base, path)
        if folded is not None:
            return expression(folded, names)
        return f"_pointer({operand(base, names)}, {tokens(path)})"
    if isinstance(node, (Compare, And, Or, Not)):
        return f"({condition(node, names)})"
    return expression(node, names)


def _access_path(node: Cond) -> tuple[Cond, tuple[str, ...]]:
    """`x[0].name` as its base `x` and the pointer tokens `("0", "name")`."""
    path: list[str] = []
    while isinstance(node, (Index, Prop)):
        path.append(str(node.index) if isinstance(node, Index) else node.name)
        node = node.target
    return node, tuple(reversed(path))


def _with_path(base: Cond, path: tuple[str, ...]) -> RuntimeExpr | None:
    """`base` with `path` appended to its JSON pointer, where it has one."""
    if isinstance(base, ResponseRef) and base.source == "body":
        return replace(base, pointer=(*(base.pointer or ()), *path))
    if isinstance(base, (InputRef, StepRef, OutputRef, WorkflowRef)):
        return replace(base, pointer=(*(base.pointer or ()), *path))
    return None


def _compare(node: Compare, names: Names) -> str:
    plain = _plain(node, names.called)
    if plain is None:
        left, right = operand(node.left, names), operand(node.right, names)
        return f"_compare({left}, {pysrc.literal(node.op)}, {right})"
    subject, op, literal = plain
    if isinstance(subject, StatusCode):
        return f"response.status_code {op} {pysrc.literal(literal)}"
    return f"{operand(subject, names)} {'is' if op == '==' else 'is not'} {pysrc.literal(literal)}"


def _plain(node: Compare, called: bool) -> tuple[Cond, CompareOp, bool | int | float | None] | None:
    """A comparison that needs no `_compare`, as (subject, operator, literal): the
    status code of a response against a number, or a value of unknown type (`Any`)
    against null or a boolean, which `_compare` would also test by identity. None for
    any other (`called`: the status code is a called workflow's, perhaps None)."""
    subject, op, other = node.left, node.op, node.right
    if isinstance(subject, Lit) and not isinstance(other, Lit):
        subject, op, other = other, _MIRRORED[op], subject
    if not isinstance(other, Lit) or isinstance(subject, Lit):
        return None
    literal = other.value
    if isinstance(subject, StatusCode) and called:
        return None
    if isinstance(subject, StatusCode):
        if isinstance(literal, str) and _NUMBER.fullmatch(literal):
            literal = int(literal) if literal.lstrip("-").isdigit() else float(literal)
        if isinstance(literal, (int, float)) and not isinstance(literal, bool):
            return subject, op, literal
        return None
    if op not in ("==", "!="):
        return None
    if literal is None and _may_be_none(subject):
        return subject, op, None
    if isinstance(literal, bool) and _is_any(subject):
        return subject, op, literal
    return None


def _is_any(node: Cond) -> bool:
    """Whether the Python type of `node`'s value is `Any` (parsed JSON)."""
    if isinstance(node, (Index, Prop)):
        return True
    if isinstance(node, ResponseRef):
        return node.source == "body"
    if isinstance(node, (InputRef, StepRef, OutputRef, WorkflowRef)):
        return bool(node.pointer)
    return False


def _may_be_none(node: Cond) -> bool:
    """Whether `node is None` type-checks: its type is `Any` or includes None."""
    return _is_any(node) or (isinstance(node, ResponseRef) and node.source == "header")


def _needs_compare(node: Cond, called: bool) -> bool:
    """Whether the compiled condition calls the runtime's `_compare`."""
    if isinstance(node, Compare):
        if _plain(node, called) is None:
            return True
        return _needs_compare(node.left, called) or _needs_compare(node.right, called)
    if isinstance(node, (And, Or)):
        return _needs_compare(node.left, called) or _needs_compare(node.right, called)
    if isinstance(node, Not):
        return _needs_compare(node.operand, called)
    if isinstance(node, (Index, Prop)):
        return _needs_compare(node.target, called)
    return False
