"""Parsers for Arazzo 1.0.1 runtime expressions, templates and simple conditions.

Three small hand-written recursive-descent parsers share one tree of frozen
dataclasses:

* ``parse_expression`` reads one runtime expression (the "Runtime Expressions"
  ABNF of the spec),
* ``parse_template`` reads a string with embedded ``{$...}`` expressions,
* ``parse_condition`` reads a "simple" Criterion Object condition.

``unparse`` (also ``str(node)``) prints any node back in canonical syntax, so
``parse_expression(unparse(e)) == e`` and ``parse_condition(unparse(c)) == c``.
Syntax errors raise ``ExpressionError`` with a 0-based ``offset`` into the text
given to the parser. Layout: ``nodes`` (tree, error, ``unparse``), ``runtime``
(expressions, templates, ``parse_value``), ``conditions`` (lexer and parser).

Lexing decisions (where the ABNF is ambiguous or silent):

* ABNF literals are case-insensitive (RFC 5234 section 2.3), so ``$StatusCode``
  and ``$request.Header.x`` are accepted; the tree keeps only the canonical
  spelling. Names are case-preserved.
* ``name = *(CHAR)`` is greedy: inside ``parse_expression`` a name runs to the
  end of the text, or to ``#`` where a JSON pointer may follow (request and
  response body, ``$inputs``, ``$outputs``, ``$steps``, ``$workflows``). Step
  and workflow ids, the field after them, source description names and
  component types end at the first ``.``; the final name may contain dots
  (``$steps.a.outputs.b.c`` has name ``b.c``). Query and path names and
  component names have no pointer: a ``#`` in them is part of the name.
* Names must be non-empty and ASCII (ABNF ``CHAR``, %x01-7F); the ABNF allows an
  empty name, but it can never refer to anything, so it is rejected.
* Header names are RFC 9110 ``token`` characters and must be non-empty.
* A JSON pointer after ``#`` is empty (the whole document, ``()``) or starts
  with ``/``; ``~0`` and ``~1`` are the only escapes. ``#/`` is the one-token
  pointer ``("",)`` as in RFC 6901, not the whole document.
* ``$steps`` and ``$workflows`` fields and ``$components`` types are not
  restricted to the names the spec defines; later passes check them.
* In a template an expression runs from ``{$`` to the next ``}`` and the text
  between the braces must be exactly one expression. A ``{`` not followed by
  ``$`` and a lone ``}`` are literal text. There is no escape for ``{$``.
* In a condition a runtime expression ends at whitespace, at ``( ) [ ] , = < >``
  or where ``!=``, ``&&`` or ``||`` begins, so ``$statusCode==200`` works and in
  ``$response.body#/items[0]`` the ``[0]`` is an index. A lone ``=``, ``&`` or
  ``|`` outside an expression is an error (did you mean ``==``?). So names and
  pointers used in a condition cannot contain those characters. ``$[?...]``
  (JSONPath) is not a runtime expression and is rejected.
* Condition literals: ``true``, ``false``, ``null`` (lower case), JSON numbers
  (integers stay ``int``), single-quoted strings with ``''`` for a quote.
  ``[N]`` takes a non-negative integer. ``.name`` (letters, digits, ``_``,
  ``-``) may follow only ``]``, ``)`` or another ``.name``; ``[N]`` may follow
  anything but a bare literal. Comparisons do not chain.
"""

from generator.expressions.conditions import parse_condition
from generator.expressions.nodes import (
    And,
    Compare,
    ComponentRef,
    Cond,
    ExpressionError,
    Index,
    InputRef,
    Lit,
    Method,
    Node,
    Not,
    Or,
    OutputRef,
    Pointer,
    Prop,
    RequestRef,
    ResponseRef,
    RuntimeExpr,
    SourceRef,
    StatusCode,
    StepRef,
    Template,
    Url,
    WorkflowRef,
    unparse,
)
from generator.expressions.runtime import parse_expression, parse_template, parse_value

__all__ = [
    "And",
    "Compare",
    "ComponentRef",
    "Cond",
    "ExpressionError",
    "Index",
    "InputRef",
    "Lit",
    "Method",
    "Node",
    "Not",
    "Or",
    "OutputRef",
    "Pointer",
    "Prop",
    "RequestRef",
    "ResponseRef",
    "RuntimeExpr",
    "SourceRef",
    "StatusCode",
    "StepRef",
    "Template",
    "Url",
    "WorkflowRef",
    "parse_condition",
    "parse_expression",
    "parse_template",
    "parse_value",
    "unparse",
]
