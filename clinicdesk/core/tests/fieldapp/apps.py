from django.apps import AppConfig


class FieldAppConfig(AppConfig):
    name = "clinicdesk.core.tests.fieldapp"
    label = "fieldapp"
    verbose_name = "Encrypted field tests"
    default_auto_field = "django.db.models.BigAutoField"
