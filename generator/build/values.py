"""Build: read document values (parameter values, payloads, outputs) into IR values.

Strings that start with `$` are runtime expressions and strings with `{$...}` are
templates; both are parsed here, at generation time. A malformed expression is
reported at its own line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from generator import ir
from generator.build.positions import scalar_span
from generator.diagnostics import Diagnostics, Span
from generator.expressions import (
    Cond,
    ExpressionError,
    Pointer,
    RuntimeExpr,
    StepRef,
    WorkflowRef,
    parse_condition,
    parse_expression,
    parse_value,
    unparse,
)
from generator.load import Document, join_pointer


def shifted(span: Span, offset: int) -> Span:
    """The span `offset` characters into a scalar that starts at `span`."""
    if not span.line:
        return span
    return Span(span.file, span.line, span.col + offset, span.pointer)


def expression_error(diagnostics: Diagnostics, span: Span, text: str, exc: ExpressionError) -> None:
    diagnostics.error(
        "AG400",
        shifted(span, exc.offset),
        f"invalid runtime expression {text!r}: {exc.message}",
        "see 'Runtime Expressions' in the Arazzo specification for the syntax",
    )


def unsupported(diagnostics: Diagnostics, span: Span, what: str, instead: str = "") -> None:
    """AG500: `what` is valid Arazzo that arazzo-gen cannot compile yet, so the workflow
    gets no module; `instead` says what the document could write."""
    hint = "arazzo-gen does not generate this workflow rather than emit code that ignores it"
    diagnostics.error(
        "AG500", span, f"{what} is not supported yet", f"{hint}; {instead}" if instead else hint
    )


def read_value(doc: Document, pointer: str, raw: Any, diagnostics: Diagnostics) -> ir.Value | None:
    """The IR value of a document value; None (after reporting) when it is invalid."""
    if isinstance(raw, str):
        try:
            parsed = parse_value(raw)
        except ExpressionError as exc:
            expression_error(diagnostics, doc.span(pointer), raw, exc)
            return None
        return ir.Const(parsed) if isinstance(parsed, str) else parsed
    if isinstance(raw, dict):
        members = []
        for key, item in raw.items():
            if isinstance(key, str) and "{$" in key:  # a literal key would be sent as written
                what = f"an embedded expression in the member name {key!r}"
                span = doc.span(join_pointer(pointer, key))
                unsupported(diagnostics, span, what, "write the name as plain text")
                return None
            value = read_value(doc, join_pointer(pointer, key), item, diagnostics)
            if value is None:
                return None
            members.append((key, value))
        return ir.ObjectValue(tuple(members))
    if isinstance(raw, list):
        items = []
        for index, item in enumerate(raw):
            value = read_value(doc, join_pointer(pointer, index), item, diagnostics)
            if value is None:
                return None
            items.append(value)
        return ir.ArrayValue(tuple(items))
    return ir.Const(raw)


def read_expression(
    span: Span, raw: Any, diagnostics: Diagnostics, what: str
) -> RuntimeExpr | None:
    """A value that must be a single runtime expression (outputs, contexts)."""
    if not isinstance(raw, str):
        diagnostics.error(
            "AG401",
            span,
            f"{what} must be a runtime expression string, not {raw!r}"[:200],
            "write a runtime expression such as '$response.body#/id'",
        )
        return None
    try:
        return parse_expression(raw)
    except ExpressionError as exc:
        expression_error(diagnostics, span, raw, exc)
        return None


def read_condition(span: Span, text: str, diagnostics: Diagnostics) -> Cond | None:
    try:
        return parse_condition(text)
    except ExpressionError as exc:
        diagnostics.error(
            "AG402",
            shifted(span, exc.offset),
            f"invalid condition {text!r}: {exc.message}",
            "simple conditions combine expressions and literals with == != < <= > >= ! && ||",
        )
        return None


# --- real-world leniency ----------------------------------------------------------
#
# Real documents use a few non-standard forms whose meaning is unambiguous. Before a
# document is read, `normalize` rewrites each of them (in the loaded data) into the
# standard form and warns at its line and column, naming that form:
#
# * AG420, runtime expressions:
#   - `$response.body.a.b` and `$response.body/a/b` (also `$request.body`) for
#     `$response.body#/a/b` (`items[0]` in the dotted form is `/items/0`);
#   - `$steps.<id>.<name>` without `.outputs.`, where step <id> defines output
#     <name>, for `$steps.<id>.outputs.<name>`;
#   - `$steps.<id>.outputs.<name>.a.b`, where step <id> defines output <name> but
#     no output is named `<name>.a.b`, for `$steps.<id>.outputs.<name>#/a/b`;
#   - `$steps.<id>.outputs.<name>` where step <id> runs a workflow of this document
#     and declares no outputs of that name but the workflow has output <name>: the
#     step is read as if it declared `<name>: $outputs.<name>`;
# * AG421, simple conditions: a string literal in double quotes without quotes or
#   backslashes inside, `"done"`, for `'done'`;
# * AG422 (nothing is rewritten): text that is not a runtime expression but holds
#   one, `Bearer $inputs.token`, is sent as the text it is; the warning says how to
#   embed the value (`Bearer {$inputs.token}`).
#
# * AG114 (nothing is rewritten): a workflowId or stepId outside the characters
#   the specification recommends (`[A-Za-z0-9_\-]+`), or an output name outside
#   those it requires (`^[a-zA-Z0-9.\-_]+$`); the names are used as they are.
#
# Everything else stays as written, so a form that is ambiguous (a dotted path with
# an empty segment, `$steps.<id>.<name>` where the step has no such output, an
# unknown expression root such as `$faker` or `$dependencies`) is an error where the
# document is read.

_BODY_FORM = re.compile(r"\$(response|request)\.body([./])(.*)", re.DOTALL)
_DOTTED_TOKEN = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")
_STEPS_FORM = re.compile(r"\$steps\.([^.#]+)\.(.+)", re.DOTALL)
#: Where a runtime expression ends inside a simple condition (as its parser decides).
_CONDITION_EXPRESSION = re.compile(r"\$(?:[^\s()\[\],=<>!&|]|!(?!=)|&(?!&)|\|(?!\|))*")
_ROOTS = (
    "inputs|outputs|steps|workflows|response|request|sourceDescriptions|components"
    "|statusCode|url|method|dependencies|faker"
)
_EMBEDDED = re.compile(rf"(?<![{{$\w])\$(?:{_ROOTS})\b[^\s\"',;)}}\]]*")
#: Keys whose strings are not values: names, ids, references, JSON pointers, prose.
_NOT_VALUES = frozenset(
    {
        "stepId",
        "workflowId",
        "operationId",
        "operationPath",
        "name",
        "in",
        "type",
        "version",
        "target",
        "contentType",
        "reference",
        "dependsOn",
        "description",
        "summary",
        "title",
        "url",
    }
)
_RECOMMENDED_ID = re.compile(r"[A-Za-z0-9_\-]+")
_OUTPUT_NAME = re.compile(r"[a-zA-Z0-9.\-_]+")
_MAX_REWRITES = 64  # per string: each pass fixes one spot, so a bound is needed


@dataclass(frozen=True)
class _Step:
    outputs: frozenset[str]
    workflow_id: str | None  # the workflow a workflow step runs (in this document)


@dataclass
class _Normalizer:
    doc: Document
    diagnostics: Diagnostics
    #: workflowId -> its output names (for steps that run a workflow of this document)
    workflow_outputs: dict[str, frozenset[str]]
    #: the steps of the workflow being walked, by stepId, and their raw data
    steps: dict[str, _Step] = field(default_factory=dict)
    step_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the raw data of the workflow being walked (None under `components`)
    workflow: dict[str, Any] | None = None

    def warn(
        self, code: str, pointer: str, text: str, offset: int, message: str, hint: str
    ) -> None:
        fallback = shifted(self.doc.span(pointer), offset)
        span = scalar_span(self.doc, pointer, text, offset, fallback)
        self.diagnostics.warning(code, span, message, hint)

    # -- one runtime expression ----------------------------------------------------

    def expression(self, text: str, pointer: str, whole: str, at: int) -> str:
        """`text` (at offset `at` of the string `whole` at `pointer`) in its standard form."""
        try:
            parsed: RuntimeExpr | None = parse_expression(text)
        except ExpressionError:
            parsed = None
        if isinstance(parsed, WorkflowRef):
            self._implicit_dependency(parsed, pointer, whole, at)
        if parsed is not None and not isinstance(parsed, StepRef):
            return text
        if isinstance(parsed, StepRef) and parsed.field == "outputs":
            step = self.steps.get(parsed.step_id)
            if step is None or parsed.name in step.outputs:
                return text
            if self._passes_through(parsed.step_id, step, parsed.name):
                callee = step.workflow_id
                self.warn(
                    "AG420",
                    pointer,
                    whole,
                    at,
                    f"'{text}': step {parsed.step_id!r} declares no output {parsed.name!r}; "
                    f"read as the output {parsed.name!r} of the workflow it runs ({callee!r})",
                    f"declare it on the step: outputs: {{{parsed.name}: "
                    f"$outputs.{parsed.name}}}",
                )
                return text
        standard, why = self._standard(text, parsed)
        if standard is None or standard == text:
            return text
        try:
            parse_expression(standard)
        except ExpressionError:
            return text
        self.warn(
            "AG420",
            pointer,
            whole,
            at,
            f"non-standard runtime expression '{text}'; read as '{standard}'",
            f"{why}: write '{standard}'",
        )
        return standard

    def _standard(self, text: str, parsed: RuntimeExpr | None) -> tuple[str | None, str]:
        """The standard form of a non-standard expression, and why; None if there is
        none (or more than one could be meant)."""
        if parsed is None and (body := _BODY_FORM.fullmatch(text)):
            root, separator, rest = body.groups()
            tokens = _dotted_tokens(rest) if separator == "." else rest.split("/")
            if tokens is None or not rest or "#" in rest:
                return None, ""
            path = "/".join(_escape(t) for t in tokens) if separator == "." else rest
            return (
                f"${root}.body#/{path}",
                f"a path into the {root} body is a JSON pointer after '#'",
            )
        steps = _STEPS_FORM.fullmatch(text)
        step = self.steps.get(steps.group(1)) if steps else None
        if steps is None or step is None:
            return None, ""
        step_id, rest = steps.groups()
        if isinstance(parsed, StepRef) and parsed.field == "outputs":
            return self._output_path(step_id, step, parsed.name, parsed.pointer)
        if rest == "outputs" or rest.startswith("outputs."):
            return None, ""
        name, hash_sign, fragment = rest.partition("#")  # `rest` is what `.outputs.` would precede
        if name in step.outputs:
            return (
                f"$steps.{step_id}.outputs.{name}{hash_sign}{fragment}",
                "a step's values are read through its outputs",
            )
        if hash_sign:
            return None, ""
        found, why = self._output_path(step_id, step, name, None)
        return found, (f"a step's values are read through its outputs; {why}" if found else "")

    def _output_path(
        self, step_id: str, step: _Step, name: str, pointer: Pointer | None
    ) -> tuple[str | None, str]:
        """`<output>.a.b` as output `<output>` and the path `/a/b`, where the step
        defines `<output>` but no output is called `<output>.a.b`."""
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:cut])
            tokens = _dotted_tokens(".".join(parts[cut:]))
            if head in step.outputs and tokens is not None:
                path = "/".join(_escape(t) for t in (*tokens, *(pointer or ())))
                return (
                    f"$steps.{step_id}.outputs.{head}#/{path}",
                    f"step {step_id!r} defines output {head!r}, not {name!r}, and a path "
                    "into an output is a JSON pointer after '#'",
                )
        return None, ""

    def _passes_through(self, step_id: str, step: _Step, name: str) -> bool:
        """Whether a workflow step runs a workflow of this document that has output
        `name`; if so the step is given `name: $outputs.<name>` (in the data)."""
        callee = self.workflow_outputs.get(step.workflow_id or "")
        data = self.step_data.get(step_id)
        if callee is None or name not in callee or data is None:
            return False
        outputs = data.setdefault("outputs", {})
        if not isinstance(outputs, dict) or name in outputs:
            return False
        outputs[name] = f"$outputs.{name}"
        self.steps[step_id] = _Step(step.outputs | {name}, step.workflow_id)
        return True

    def _implicit_dependency(self, ref: WorkflowRef, pointer: str, whole: str, at: int) -> None:
        """`$workflows.<id>.outputs.<name>` where the workflow does not list <id> (a
        workflow of this document) in dependsOn: <id> is added to its dependsOn (in the
        data), since only a workflow that ran first has outputs to read."""
        owner = self.workflow
        if owner is None or ref.field != "outputs" or ref.workflow_id not in self.workflow_outputs:
            return
        if ref.workflow_id == owner.get("workflowId"):
            return  # a workflow cannot run before itself (AG611 where it is checked)
        listed = owner.setdefault("dependsOn", [])
        if not isinstance(listed, list) or ref.workflow_id in listed:
            return
        listed.append(ref.workflow_id)
        self.warn(
            "AG424",
            pointer,
            whole,
            at,
            f"'{unparse(ref)}' reads workflow {ref.workflow_id!r}, which workflow "
            f"{owner.get('workflowId')!r} does not list in dependsOn; read as depending on "
            f"it: {ref.workflow_id!r} runs first, with the inputs of the same names",
            f"add it: dependsOn: [{', '.join(str(w) for w in listed)}]",
        )

    # -- strings of each kind --------------------------------------------------------

    def value(self, text: str, pointer: str) -> str:
        """A parameter value, payload string, output or context."""
        if text.startswith("$"):
            return self.expression(text, pointer, text, 0)
        if "{$" in text:
            return self.template(text, pointer)
        match = _EMBEDDED.search(text)
        if match is not None:
            embedded = match.group(0)
            if embedded.startswith(("$dependencies", "$faker")):
                hint = (
                    "'$dependencies' is not Arazzo: a dependency's output is "
                    "{$workflows.<workflowId>.outputs.<name>}"
                    if embedded.startswith("$dependencies")
                    else "'$faker' is not Arazzo: pass the value as a workflow input"
                )
            else:
                embedded_form = text[: match.start()] + "{" + embedded + "}" + text[match.end() :]
                hint = f"to send its value, embed it: '{_shorten(embedded_form)}'"
            self.warn(
                "AG422",
                pointer,
                text,
                match.start(),
                f"'{embedded}' in {_shorten(text)!r} is literal text, not a runtime "
                "expression: it is sent as written",
                hint,
            )
        return text

    def template(self, text: str, pointer: str) -> str:
        out: list[str] = []
        position = 0
        while (start := text.find("{$", position)) != -1:
            end = text.find("}", start)
            if end == -1:
                break
            inner = text[start + 1 : end]
            out += [text[position : start + 1], self.expression(inner, pointer, text, start + 1)]
            position = end
        return "".join(out) + text[position:]

    def condition(self, text: str, pointer: str) -> str:
        """A simple condition: its runtime expressions, then double-quoted strings."""
        out: list[str] = []
        position = 0
        for match in _CONDITION_EXPRESSION.finditer(text):
            if _in_single_quotes(text, match.start()):
                continue
            out += [
                text[position : match.start()],
                self.expression(match.group(0), pointer, text, match.start()),
            ]
            position = match.end()
        current = "".join(out) + text[position:]
        original = text
        search_from = 0
        for _ in range(_MAX_REWRITES):
            try:
                parse_condition(current)
                break
            except RecursionError:
                break  # reported where the condition is compiled
            except ExpressionError as exc:
                if not exc.message.startswith("string literals must use single quotes"):
                    break
                end = current.find('"', exc.offset + 1)
                inner = current[exc.offset + 1 : end]
                if end == -1 or "\\" in inner or "'" in inner:
                    break
                quoted = current[exc.offset : end + 1]
                at = original.find(quoted, search_from)
                at = exc.offset if at == -1 else at
                search_from = at + 1
                self.warn(
                    "AG421",
                    pointer,
                    original,
                    at,
                    f"string literal {quoted} in double quotes; read as '{inner}'",
                    f"strings in conditions use single quotes: write '{inner}'",
                )
                current = current[: exc.offset] + f"'{inner}'" + current[end + 1 :]
        return current


def normalize(doc: Document, diagnostics: Diagnostics) -> None:
    """Rewrite the non-standard forms of the block comment above in `doc.data`."""
    data = doc.data
    if not isinstance(data, dict):
        return
    workflows = data.get("workflows")
    workflows = workflows if isinstance(workflows, list) else []
    outputs = {
        w["workflowId"]: frozenset(_outputs(w))
        for w in workflows
        if isinstance(w, dict) and isinstance(w.get("workflowId"), str)
    }
    normalizer = _Normalizer(doc, diagnostics, outputs)
    for index, workflow in enumerate(workflows):
        if not isinstance(workflow, dict):
            continue
        _check_names(doc, diagnostics, workflow, join_pointer("/workflows", index), "workflowId")
        normalizer.steps, normalizer.step_data = {}, {}
        normalizer.workflow = workflow
        steps = workflow.get("steps")
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, dict) and isinstance(step.get("stepId"), str):
                called = step.get("workflowId")
                normalizer.steps[step["stepId"]] = _Step(
                    frozenset(_outputs(step)), called if isinstance(called, str) else None
                )
                normalizer.step_data[step["stepId"]] = step
        for number, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict):
                at = join_pointer("/workflows", index, "steps", number)
                _check_names(doc, diagnostics, step, at, "stepId")
        _walk(normalizer, workflow, join_pointer("/workflows", index))
    normalizer.steps, normalizer.step_data, normalizer.workflow = {}, {}, None
    if isinstance(data.get("components"), dict):
        _walk(normalizer, data["components"], "/components")


def _walk(normalizer: _Normalizer, root: Any, pointer: str) -> None:
    """Rewrite every value string under `root`, iteratively (depth is not bounded here).

    Structural keys (names, ids, references, prose) are skipped; below `value`,
    `payload` and `outputs` every string is a value, whatever its key."""
    stack: list[tuple[Any, str, bool]] = [(root, pointer, False)]
    while stack:
        node, at, in_value = stack.pop()
        items: list[tuple[str | int, Any]] = []
        if isinstance(node, dict):
            items = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        simple = not isinstance(node, dict) or node.get("type", "simple") == "simple"
        for name, item in items:
            if (
                not in_value
                and isinstance(name, str)
                and (name in _NOT_VALUES or name == "inputs" or name.startswith("x-"))
            ):
                continue
            child = join_pointer(at, name)
            if not isinstance(item, str):
                stack.append((item, child, in_value or name in ("value", "payload", "outputs")))
                continue
            if name == "condition" and not in_value:
                new = normalizer.condition(item, child) if simple else item
            else:
                new = normalizer.value(item, child)
            if new != item:
                node[name] = new


def _check_names(
    doc: Document, diagnostics: Diagnostics, owner: dict[str, Any], pointer: str, id_key: str
) -> None:
    """AG114 for an id outside the recommended characters and for output names
    outside the required ones."""
    identifier = owner.get(id_key)
    if isinstance(identifier, str) and not _RECOMMENDED_ID.fullmatch(identifier):
        diagnostics.warning(
            "AG114",
            doc.span(join_pointer(pointer, id_key)),
            f"{id_key} {identifier!r} does not match [A-Za-z0-9_\\-]+, which the "
            "specification recommends; it is used as it is",
            "use letters, digits, '_' and '-' only",
        )
    for name in _outputs(owner):
        if not _OUTPUT_NAME.fullmatch(name):
            diagnostics.warning(
                "AG114",
                doc.span(join_pointer(pointer, "outputs", name)),
                f"output name {name!r} does not match ^[a-zA-Z0-9\\.\\-_]+$, which the "
                "specification requires; it is used as it is",
                "use letters, digits, '.', '-' and '_' only",
            )


def _outputs(owner: dict[str, Any]) -> list[str]:
    found = owner.get("outputs")
    return [k for k in found if isinstance(k, str)] if isinstance(found, dict) else []


def _dotted_tokens(text: str) -> list[str] | None:
    """`a.b[0].c` as pointer tokens `a`, `b`, `0`, `c`; None if a segment is empty."""
    tokens: list[str] = []
    for segment in text.split("."):
        match = _DOTTED_TOKEN.fullmatch(segment)
        if match is None:
            return None
        tokens.append(match.group(1))
        tokens += re.findall(r"\d+", match.group(2))
    return tokens


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _in_single_quotes(text: str, offset: int) -> bool:
    return text.count("'", 0, offset) % 2 == 1


def _shorten(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
