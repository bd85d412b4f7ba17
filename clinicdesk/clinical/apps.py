from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinicdesk.clinical"
    label = "clinical"
    verbose_name = "Clinical documentation"
