"""URLs of the clinical list pages (joined into the clinical namespace by clinical/urls.py)."""

from django.urls import path

from . import list_views as views

_P = "patients/<str:mrn>/"

urlpatterns: list = [
    path(f"{_P}problems/", views.problems, name="problems"),
    path(f"{_P}problems/add/", views.problem_add, name="problem_add"),
    path(f"{_P}problems/<uuid:problem_id>/resolve/", views.problem_resolve, name="problem_resolve"),
    path(f"{_P}problems/<uuid:problem_id>/reactivate/", views.problem_reactivate, name="problem_reactivate"),
    path(f"{_P}problems/<uuid:problem_id>/in-error/", views.problem_in_error, name="problem_in_error"),
    path("encounters/<uuid:encounter_id>/diagnoses/", views.encounter_diagnoses, name="encounter_diagnoses"),
    path(
        "encounters/<uuid:encounter_id>/diagnoses/edit/",
        views.encounter_diagnoses_edit,
        name="encounter_diagnoses_edit",
    ),
    path(f"{_P}medications/", views.medications, name="medications"),
    path(f"{_P}medications/add/", views.medication_add, name="medication_add"),
    path(f"{_P}medications/<uuid:medication_id>/stop/", views.medication_stop, name="medication_stop"),
    path(f"{_P}medications/<uuid:medication_id>/in-error/", views.medication_in_error, name="medication_in_error"),
    path(f"{_P}medications/<uuid:medication_id>/prescribe/", views.prescription_new, name="prescription_new"),
    path(f"{_P}prescriptions/<uuid:prescription_id>/pdf/", views.prescription_download, name="prescription_pdf"),
    path(f"{_P}allergies/", views.allergies, name="allergies"),
    path(f"{_P}allergies/add/", views.allergy_add, name="allergy_add"),
    path(f"{_P}allergies/no-known-allergies/", views.allergy_nka, name="allergy_nka"),
    path(f"{_P}allergies/<uuid:allergy_id>/inactivate/", views.allergy_inactivate, name="allergy_inactivate"),
    path(f"{_P}allergies/<uuid:allergy_id>/in-error/", views.allergy_in_error, name="allergy_in_error"),
]
