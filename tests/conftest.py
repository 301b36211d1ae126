"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_connect import FakeConnect

# --- Fake Amazon Connect server (see tests/fake_connect.py) -----------------


@pytest.fixture
def connect_server() -> Iterator[FakeConnect]:
    """A running FakeConnect on 127.0.0.1; stopped when the test ends."""
    with FakeConnect() as fake:
        yield fake
