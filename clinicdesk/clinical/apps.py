from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinicdesk.clinical"
    label = "clinical"
    verbose_name = "Clinical documentation"

    def ready(self) -> None:
        # Importing these connects the booking signal (a booking schedules its recall),
        # registers the clinical steps of a patient merge, the demo's clinical records and the
        # clinical panels of the home page.
        from clinicdesk.core import row_guards

        # The whole-record copy of the right of access carries the clinical record (never the
        # registration-only copy, which roles that may not read note text also make).
        from clinicdesk.patients.export.sections import ExportScope, export_section_register

        from . import demo, home_panels, merge_steps, receivers, triggers  # noqa: F401
        from .record_export import clinical_sections

        export_section_register("clinical", clinical_sections, scope=ExportScope.FULL, order=100)

        # Key rotation may re-seal signed notes and addenda (same text, new ciphertext).
        row_guards.register(
            name="clinical signed records",
            tables={triggers.NOTE, triggers.ADDENDUM},
            drop=triggers.drop_statements,
            install=triggers.install_statements,
        )
        # A patient merge moves the duplicate's signed encounters to the survivor (merge_steps.py).
        row_guards.register(
            name="clinical signed encounters",
            tables={triggers.ENCOUNTER},
            drop=triggers.encounter_drop_statements,
            install=triggers.encounter_install_statements,
        )
