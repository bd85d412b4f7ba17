from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clinicdesk.core"
    label = "core"
    verbose_name = "ClinicDesk core"

    def ready(self) -> None:
        from . import crypto  # noqa: F401  (registers the key-list system check)
