from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinicdesk.clinical"
    label = "clinical"
    verbose_name = "Clinical documentation"

    def ready(self) -> None:
        # Importing these connects the booking signal (a booking schedules its recall) and
        # registers the clinical steps of a patient merge.
        from . import merge_steps, receivers  # noqa: F401
