"""Registers the shared test-support plugins (fixtures that start real servers), and owns the
idle event loop of the test session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.support.envtest",
    "tests.support.moto_server",
    "tests.support.prometheus",
]


@pytest.fixture(scope="session", autouse=True)
def idle_event_loop() -> Iterator[None]:
    """One current event loop for the whole session, closed at its end.

    pytest-asyncio remembers the current loop around each async test with
    ``asyncio.get_event_loop()``, which on Python 3.11 *creates* a loop when there is none and
    leaves it unclosed; whenever the garbage collector later finds it, the ResourceWarning
    (an error here) lands on whichever test happens to be running. Owning that loop, and
    closing it, removes the leak at its source.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()
