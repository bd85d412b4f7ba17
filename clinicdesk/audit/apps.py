from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "clinicdesk.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from . import backups, home_panels, jobs, receivers  # noqa: F401  (signal receivers, checks, home panel)

        jobs.register()
