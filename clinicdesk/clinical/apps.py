from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinicdesk.clinical"
    label = "clinical"
    verbose_name = "Clinical documentation"

    def ready(self) -> None:
        # Importing these connects the booking signal (a booking schedules its recall),
        # registers the clinical steps of a patient merge and the demo's clinical records.
        from . import demo, merge_steps, receivers  # noqa: F401
