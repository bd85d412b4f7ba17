from django.apps import AppConfig


class CodesConfig(AppConfig):
    """Medical code sets (ICD-10-CM so far): tables loaded by `clinicdesk codes`, searched as you type."""

    name = "clinicdesk.codes"
    label = "codes"
    verbose_name = "Code sets"

    def ready(self) -> None:
        # Importing registers the demo step that loads ICD-10-CM into an empty table.
        from . import demo  # noqa: F401
