from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "clinicdesk.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from . import demo, demo_coverage  # noqa: F401  (register the demo patients and coverages steps)
