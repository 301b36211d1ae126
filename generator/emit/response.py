"""Emit: the statements of a step's response function, `_<step>_response(state, response)`.

It checks the success criteria. On success it stores the step's outputs and
returns the next step: the first success action whose criteria hold, else the
next step in order (the specification's default). On failure it takes the
first failure action whose criteria hold (`retry` while retries remain, `goto`,
`end`); with none, the step fails with `StepFailedError`.

A step that runs a workflow (`emit.calls.call_check_lines`) has the outputs that
workflow returned instead of a response: it failed when the workflow raised or
its criteria do not hold on those outputs. With no failure action taken, the
workflow's error propagates, or the step raises `WorkflowStepFailedError`.
"""

from __future__ import annotations

import textwrap

from generator import ir, pysrc
from generator.checks import HTTP_ONLY, iter_expressions, response_expressions
from generator.emit import pyexpr
from generator.emit.calls import call_check_lines, call_expression
from generator.expressions import ResponseRef

_NOT_2XX = "the step has no successCriteria and the status is not 2xx"
_INDENT = "    "
#: The reason of a StepFailedError, in a response function with failure actions.
_UNMET = "'success criterion not met: ' + unmet"


def response_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    lines = _unsent_lines(step, names) if answers_unsent(step) else []
    lines += ["body = _read_body(response)"] if _uses_body(step) else []
    if step.call is None:
        lines += _failure_lines(step, names) if step.on_failure else _raise_lines(step, names)
    else:  # its workflow returned (or raised) and the criteria hold on what it returned
        checks, after = call_check_lines(step, names)
        lines += checks
        actions, always = _taken(step.on_failure)
        failed = [a for action in actions for a in _action_lines(action, "onFailure", step, names)]
        failed = _forget_lines(step, names) + failed
        lines += [_INDENT + line for line in failed + ([] if always else after)] if after else []
    if step.outputs:
        items = ", ".join(
            f"{pysrc.literal(o.py_name)}: {_output(step, o, names)}" for o in step.outputs
        )
        lines.append(f"state.{names.steps[step.step_id]} = {{{items}}}")
    if step.retries:
        lines.append(f"_reset_retries(state.retries, {pysrc.literal(step.step_id)})")
    actions, always = _taken(step.on_success)
    for action in actions:
        lines += _action_lines(action, "onSuccess", step, names)
    return lines if always else [*lines, f"return {_default_next(step, names)}"]


def _forget_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    """A failed step has no outputs, not those of an earlier run (in a goto loop)."""
    if not (step.outputs and names.loops):
        return []
    return [f"state.{names.steps[step.step_id]} = None  # not those of an earlier run"]


def _taken(actions: tuple[ir.Action, ...]) -> tuple[tuple[ir.Action, ...], bool]:
    """The actions that may be taken, in order: up to the first one that always is (no
    criteria, not a retry, which may have run out); and whether there is such a one."""
    for index, action in enumerate(actions):
        if not action.criteria and action.kind != "retry":
            return actions[: index + 1], True
    return actions, False


def _raise_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    """Without failure actions: each unmet success criterion fails the step."""
    step_id = pysrc.literal(step.step_id)
    if not step.success_criteria:
        return [
            "if not response.is_success:",
            f"    raise StepFailedError({step_id}, response, {pysrc.literal(_NOT_2XX)})",
        ]
    lines = []
    for criterion in step.success_criteria:
        lines += [
            f"if not {pyexpr.criterion(criterion, names)}:",
            f"    raise StepFailedError({step_id}, response, "
            f"{pysrc.literal('success criterion not met: ' + criterion.source)})",
        ]
    return lines


def _failure_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    """With failure actions: find the unmet criterion, then take the first matching action."""
    if step.success_criteria:
        checks = ", ".join(
            f"({pysrc.literal(c.source)}, {pyexpr.criterion(c, names)})"
            for c in step.success_criteria
        )
        lines = [f"unmet = _first_unmet({checks},)"]
    else:
        lines = [f"unmet = None if response.is_success else {pysrc.literal(_NOT_2XX)}"]
    lines.append("if unmet is not None:")
    body = _forget_lines(step, names)
    actions, always = _taken(step.on_failure)
    for action in actions:
        body += _action_lines(action, "onFailure", step, names)
    if not always:
        body.append(f"raise StepFailedError({pysrc.literal(step.step_id)}, response, {_UNMET})")
    return lines + [_INDENT + line for line in body]


def _uses_body(step: ir.Step) -> bool:
    return any(
        isinstance(e, ResponseRef) and e.source == "body" for e in response_expressions(step)
    )


def _output(step: ir.Step, output: ir.Output, names: pyexpr.Names) -> str:
    value = output.value
    if (
        isinstance(value, ResponseRef)
        and value.source == "body"
        and value.pointer
        and output.required
    ):
        where = pyexpr.tokens(value.pointer)
        return f"_require(body, {where}, {pysrc.literal(step.step_id)}, response)"
    return pyexpr.value(value, names)


def answers_unsent(step: ir.Step) -> bool:
    """Whether an operation step's failure actions may answer a request that got no
    response (`StepRequestError`): one of them reads nothing of the response."""
    return step.call is None and any(not _reads_response(a) for a in step.on_failure)


def _reads_response(action: ir.Action) -> bool:
    return any(isinstance(e, HTTP_ONLY) for c in action.criteria for e in iter_expressions(c))


def _unsent_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    """A request that got no response (`response` is its StepRequestError) fails the step:
    the failure actions whose criteria read nothing of a response may answer it."""
    actions, always = _taken(tuple(a for a in step.on_failure if not _reads_response(a)))
    body = _forget_lines(step, names)
    for action in actions:
        body += _action_lines(action, "onFailure", step, names, unsent=True)
    body += [] if always else ["raise response"]
    test = "if isinstance(response, StepRequestError):  # no response at all"
    return [test, *(_INDENT + line for line in body)]


def _action_lines(
    action: ir.Action, field: str, step: ir.Step, names: pyexpr.Names, *, unsent: bool = False
) -> list[str]:
    """An action as statements; `unsent`: answering a request that got no response."""
    conditions = [pyexpr.criterion(c, names) for c in action.criteria]
    if action.kind == "retry":
        key = pysrc.literal(step.step_id)
        limit = action.retry_limit if action.retry_limit is not None else 1
        conditions.append(
            f"_may_retry(state.retries, {key}, {pysrc.literal(action.name)}, {limit})"
        )
        delay = pysrc.literal(float(action.retry_after or 0.0))
        if step.call is None and not unsent:  # a Retry-After header of the response wins
            delay = f"_retry_delay(response, {delay})"
        other = retry_via(step, action)
        via = pysrc.literal(other) if other else "None"
        what = f"retry at most {limit} time(s), {action.retry_after or 0} s apart"
        what += f", running {other} first" if other else ""
        if action.call is not None:
            via = call_expression(action.call, names)
            what += f", after workflow {action.call.workflow_id}"
        target = f"_Retry({key}, {delay}, {via})"
    elif action.kind == "goto" and action.call is not None:
        target = call_expression(action.call, names)
        what = f"run workflow {action.call.workflow_id}, then end this one"
    elif action.kind == "goto":
        target, what = pysrc.literal(action.step_id), f"goto {action.step_id}"
    else:
        target, what = "None", "end the workflow"
    if field == "onFailure" and action.kind != "retry" and step.step_id in names.retry_steps:
        target = f"_Failed({target})"  # it leaves a retry that ran this step first
    lines = [f"return {target}"]
    if field == "onFailure" and action.kind != "retry" and step.retries:
        # the step has failed for good: entered again (a goto), it may retry anew
        lines.insert(0, f"_reset_retries(state.retries, {pysrc.literal(step.step_id)})")
    if action.kind == "end" and field == "onFailure" and step.call is None:
        # for the StepNotRunError of an output that needs a step this action skips
        failed = f"StepFailedError({pysrc.literal(step.step_id)}, response, {_UNMET})"
        failed = "response" if unsent else failed
        lines.insert(0, f"state.ended = ({pysrc.literal(action.name)}, {failed})")
    comment = _comment_lines(f"{field} {action.name}: {what}", 8 if field == "onFailure" else 4)
    if not conditions:
        return [*comment, *lines]
    return [*comment, f"if {' and '.join(conditions)}:", *(_INDENT + line for line in lines)]


def retry_via(step: ir.Step, action: ir.Action) -> str | None:
    """The step a retry action runs before retrying `step`: the one it names, unless
    that is `step` itself (then it is a plain retry)."""
    if action.kind != "retry" or action.step_id == step.step_id:
        return None
    return action.step_id


def _comment_lines(text: str, indent: int) -> list[str]:
    """`text` as comment lines that fit in 100 columns at `indent` (names can be long)."""
    comment = pysrc.comment(text)
    if indent + len(comment) <= 100:
        return [comment]
    parts = textwrap.wrap(comment.removeprefix("# "), 98 - indent, break_on_hyphens=False)
    return [pysrc.comment(part) for part in parts]


def _default_next(step: ir.Step, names: pyexpr.Names) -> str:
    following = names.next_step.get(step.step_id)
    return pysrc.literal(following) if following is not None else "None"
