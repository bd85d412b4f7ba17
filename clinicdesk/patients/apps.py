from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "clinicdesk.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        # Importing these registers the demo steps and the privacy paperwork merge steps.
        from clinicdesk.core import patient_refs

        from . import demo, demo_coverage, paperwork_merge  # noqa: F401
        from .selectors import patient_ref_resolve

        # The apps below this one (restricted records, the audit trail) look patients up through it.
        patient_refs.resolver_register(patient_ref_resolve)
