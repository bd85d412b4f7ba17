from django.urls import path

from . import coverage_views, disclosure_views, export_views, import_views, merge_views, paperwork_views, views

app_name = "patients"

urlpatterns = [
    path("new/", views.patient_new, name="new"),
    path("import/", import_views.import_upload, name="import"),
    path("import/<str:public_id>/", import_views.import_job, name="import_job"),
    path("import/<str:public_id>/rejects.csv", import_views.import_rejects, name="import_rejects"),
    path("<str:mrn>/", views.patient_detail, name="detail"),
    path("<str:mrn>/edit/", views.patient_edit, name="edit"),
    path("<str:mrn>/history/", views.patient_history, name="history"),
    path("<str:mrn>/merge/", merge_views.patient_merge_page, name="merge"),
    path("<str:mrn>/export/", export_views.patient_export, name="export"),
    path("<str:mrn>/export/full/", export_views.patient_export_full, name="export_full"),
    path("<str:mrn>/disclosures/", disclosure_views.disclosure_list, name="disclosures"),
    path("<str:mrn>/disclosures/new/", disclosure_views.disclosure_new, name="disclosure_new"),
    path("<str:mrn>/disclosures.pdf", disclosure_views.disclosure_pdf, name="disclosures_pdf"),
    path("<str:mrn>/coverages/", coverage_views.coverage_history, name="coverage_history"),
    path("<str:mrn>/coverages/new/", coverage_views.coverage_new, name="coverage_new"),
    path("<str:mrn>/coverages/<uuid:coverage_id>/end/", coverage_views.coverage_end, name="coverage_end"),
    path("<str:mrn>/privacy/", paperwork_views.privacy_page, name="privacy"),
    path("<str:mrn>/privacy/npp/new/", paperwork_views.npp_new, name="npp_new"),
    path("<str:mrn>/privacy/consents/new/", paperwork_views.consent_new, name="consent_new"),
    path("<str:mrn>/privacy/consents/<uuid:consent_id>/revoke/", paperwork_views.consent_revoke, name="consent_revoke"),
    path("<str:mrn>/privacy/restrictions/new/", paperwork_views.restriction_new, name="restriction_new"),
    path(
        "<str:mrn>/privacy/restrictions/<uuid:restriction_id>/decide/",
        paperwork_views.restriction_decide,
        name="restriction_decide",
    ),
    path("<str:mrn>/communication/", paperwork_views.communication_edit, name="communication"),
    path("<str:mrn>/guarantor/", paperwork_views.guarantor_edit, name="guarantor"),
]
