from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "clinicdesk.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Importing these registers the demo practice setup (locations, rooms, providers, visit
        # types), scheduling's steps in a patient merge and its panels on the home page.
        import clinicdesk.scheduling.receivers  # noqa: F401  (a deactivated person's calendar feeds are revoked)
        from clinicdesk.core.capabilities import Cap
        from clinicdesk.patients.page_sections import PatientPageSection, patient_section_register

        from . import demo, demo_appointments, home_panels, merge_steps  # noqa: F401

        # The patient page lists the patient's appointments with a Book button (patients cannot import us).
        patient_section_register(
            PatientPageSection(
                key="appointments",
                title="Appointments",
                url_name="scheduling:patient_appointments",
                capability=Cap.SCHEDULE_READ,
                order=10,
            )
        )
