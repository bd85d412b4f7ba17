"""Fixtures of the project-wide tests."""

from __future__ import annotations

import pytest

from .processes import Processes


@pytest.fixture
def processes(committed_db, tmp_path):
    """Start real processes on the committed test database; all are stopped when the test ends."""
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
