"""Scheduling tests ask about days in 2026 with a `now` in the past; the setup snapshot holds
their exceptions when it keeps ten years of them (production keeps two days)."""

import pytest


@pytest.fixture(autouse=True)
def _setup_snapshot_holds_the_test_years(settings):
    settings.CLINICDESK_SETUP_SNAPSHOT_PAST_DAYS = 3650
