from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "clinicdesk.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Importing it registers the demo practice setup (locations, rooms, providers, visit types).
        from . import demo  # noqa: F401
