"""Running a generated workflow from a test: sync or async, with an injected clock."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any


class Clock:
    """An injected `sleep` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def sleep_async(self, seconds: float) -> None:
        self.waits.append(seconds)


def run_workflow(
    module: ModuleType, name: str, is_async: bool, clock: Clock | None = None, **arguments: Any
) -> Any:
    """The outputs of `module.<name>` (or its `_async` twin), waits recorded on `clock`."""
    if clock is not None:
        arguments["sleep"] = clock.sleep_async if is_async else clock.sleep
    if is_async:
        return asyncio.run(getattr(module, name + "_async")(**arguments))
    return getattr(module, name)(**arguments)
