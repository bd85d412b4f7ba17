from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "clinicdesk.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from . import demo  # noqa: F401  (registers the demo patients step)
