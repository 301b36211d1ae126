"""The expression tree, its syntax error and ``unparse``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

Pointer = tuple[str, ...]
RequestSource = Literal["header", "query", "path", "body"]
ResponseSource = Literal["header", "body"]
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]


class ExpressionError(Exception):
    """A syntax error; ``offset`` is the 0-based index into the parsed text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at offset {self.offset})"


class _Node:
    __slots__ = ()

    def __str__(self) -> str:
        return unparse(cast("Node", self))


@dataclass(frozen=True, slots=True)
class Url(_Node):
    pass


@dataclass(frozen=True, slots=True)
class Method(_Node):
    pass


@dataclass(frozen=True, slots=True)
class StatusCode(_Node):
    pass


@dataclass(frozen=True, slots=True)
class RequestRef(_Node):
    source: RequestSource
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class ResponseRef(_Node):
    source: ResponseSource
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class InputRef(_Node):
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class OutputRef(_Node):
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class StepRef(_Node):
    step_id: str
    field: str
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class WorkflowRef(_Node):
    workflow_id: str
    field: str
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class SourceRef(_Node):
    source_name: str
    rest: str


@dataclass(frozen=True, slots=True)
class ComponentRef(_Node):
    kind: str
    name: str


RuntimeExpr = (
    Url
    | Method
    | StatusCode
    | RequestRef
    | ResponseRef
    | InputRef
    | OutputRef
    | StepRef
    | WorkflowRef
    | SourceRef
    | ComponentRef
)
_RUNTIME_TYPES = get_args(RuntimeExpr)


@dataclass(frozen=True, slots=True)
class Template(_Node):
    parts: tuple[str | RuntimeExpr, ...]


@dataclass(frozen=True, slots=True)
class Lit(_Node):
    value: bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class Compare(_Node):
    op: CompareOp
    left: Cond
    right: Cond


@dataclass(frozen=True, slots=True)
class Not(_Node):
    operand: Cond


@dataclass(frozen=True, slots=True)
class And(_Node):
    left: Cond
    right: Cond


@dataclass(frozen=True, slots=True)
class Or(_Node):
    left: Cond
    right: Cond


@dataclass(frozen=True, slots=True)
class Index(_Node):
    target: Cond
    index: int


@dataclass(frozen=True, slots=True)
class Prop(_Node):
    target: Cond
    name: str


Cond = RuntimeExpr | Lit | Compare | Not | And | Or | Index | Prop
Node = RuntimeExpr | Template | Cond


def _pointer_text(pointer: Pointer | None) -> str:
    if pointer is None:
        return ""
    return "#" + "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in pointer)


def _unparse_expression(node: RuntimeExpr) -> str:
    match node:
        case Url():
            return "$url"
        case Method():
            return "$method"
        case StatusCode():
            return "$statusCode"
        case RequestRef(source, name, pointer) | ResponseRef(source, name, pointer):
            root = "$request" if isinstance(node, RequestRef) else "$response"
            member = "body" if source == "body" else f"{source}.{name}"
            return f"{root}.{member}{_pointer_text(pointer)}"
        case InputRef(name, pointer):
            return f"$inputs.{name}{_pointer_text(pointer)}"
        case OutputRef(name, pointer):
            return f"$outputs.{name}{_pointer_text(pointer)}"
        case StepRef(owner, field, name, pointer):
            return f"$steps.{owner}.{field}.{name}{_pointer_text(pointer)}"
        case WorkflowRef(owner, field, name, pointer):
            return f"$workflows.{owner}.{field}.{name}{_pointer_text(pointer)}"
        case SourceRef(name, rest):
            return f"$sourceDescriptions.{name}" + (f".{rest}" if rest else "")
        case ComponentRef(kind, name):
            return f"$components.{kind}.{name}"


def _literal_text(value: bool | int | float | str | None) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _precedence(node: Cond) -> int:
    kinds = (Or, And, Compare, Not)
    return next((i for i, kind in enumerate(kinds, 1) if isinstance(node, kind)), 5)


def _operand(node: Cond, minimum: int) -> str:
    text = unparse(node)
    return text if _precedence(node) >= minimum else f"({text})"


def _target(node: Cond, bare: tuple[type, ...]) -> str:
    text = unparse(node)
    return text if isinstance(node, bare) else f"({text})"


def _template_part(part: str | RuntimeExpr) -> str:
    return part if isinstance(part, str) else f"{{{unparse(part)}}}"


def unparse(node: Node) -> str:
    """Render ``node`` in canonical Arazzo syntax."""
    match node:
        case Template(parts):
            return "".join(_template_part(part) for part in parts)
        case Lit(value):
            return _literal_text(value)
        case Compare(op, left, right):
            return f"{_operand(left, 4)} {op} {_operand(right, 4)}"
        case Not(operand):
            return "!" + _operand(operand, 4)
        case And(left, right):
            return f"{_operand(left, 2)} && {_operand(right, 3)}"
        case Or(left, right):
            return f"{_operand(left, 1)} || {_operand(right, 2)}"
        case Index(target, index):
            return f"{_target(target, (Index, Prop, *_RUNTIME_TYPES))}[{index}]"
        case Prop(target, name):
            return f"{_target(target, (Index, Prop))}.{name}"
        case _:
            return _unparse_expression(node)
