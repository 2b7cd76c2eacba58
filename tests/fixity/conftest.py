"""Fixtures of the fixity tests; the bag builders live in `tests.fixity.bags`."""

from __future__ import annotations

import pytest

from tests.fixity.bags import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()
