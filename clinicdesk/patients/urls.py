from django.urls import path

from . import coverage_views, export_views, views

app_name = "patients"

urlpatterns = [
    path("new/", views.patient_new, name="new"),
    path("<str:mrn>/", views.patient_detail, name="detail"),
    path("<str:mrn>/edit/", views.patient_edit, name="edit"),
    path("<str:mrn>/history/", views.patient_history, name="history"),
    path("<str:mrn>/export.json", export_views.patient_export_fhir, name="export_fhir"),
    path("<str:mrn>/export.pdf", export_views.patient_export_pdf, name="export_pdf"),
    path("<str:mrn>/coverages/", coverage_views.coverage_history, name="coverage_history"),
    path("<str:mrn>/coverages/new/", coverage_views.coverage_new, name="coverage_new"),
    path("<str:mrn>/coverages/<uuid:coverage_id>/end/", coverage_views.coverage_end, name="coverage_end"),
]
