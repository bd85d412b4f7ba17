from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "clinicdesk.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        # Importing these registers the demo steps and the privacy paperwork merge steps.
        from . import demo, demo_coverage, paperwork_merge  # noqa: F401
