from django.apps import AppConfig


class PatientSearchConfig(AppConfig):
    """The patient search index: its own tables, kept in step by the patients services."""

    name = "clinicdesk.patients.search"
    label = "patient_search"
    verbose_name = "Patient search"

    def ready(self) -> None:
        from clinicdesk.patients.models import Coverage

        from .selectors import member_id_finder_register

        def by_member_id(member_id: str):
            """Patients with a coverage (active or past) under this member id."""
            return Coverage.objects.filter(member_id=member_id).values_list("patient_id", flat=True)

        member_id_finder_register(by_member_id)
