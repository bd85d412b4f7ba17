from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clinicdesk.core"
    label = "core"
    verbose_name = "ClinicDesk core"

    def ready(self) -> None:
        from django.conf import settings

        from . import (
            crypto,  # noqa: F401  (registers the key-list system check)
            jobs,
        )

        jobs.register()

        # Only the test settings define this: processes a test starts (app servers, workers)
        # follow the same moment as the test process.
        moment = getattr(settings, "CLINICDESK_TEST_NOW", "")
        if moment:
            from datetime import datetime

            from . import clock

            clock.install(clock.TickingClock(datetime.fromisoformat(moment)))
