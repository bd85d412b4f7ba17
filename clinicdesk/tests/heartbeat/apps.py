"""A test-only app for the processes the multi-server tests start: one job with a short period."""

from __future__ import annotations

import os
from datetime import timedelta

from django.apps import AppConfig


def beat() -> str:
    return f"beat in pid {os.getpid()}"


class HeartbeatConfig(AppConfig):
    name = "clinicdesk.tests.heartbeat"
    label = "test_heartbeat"

    def ready(self) -> None:
        from clinicdesk.core.scheduler import periodic

        seconds = int(os.environ.get("CLINICDESK_TEST_HEARTBEAT_SECONDS", "2"))
        periodic(name="test.heartbeat", every=timedelta(seconds=seconds), task=beat)
