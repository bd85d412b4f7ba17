"""URLs of the clinical note pages (joined into the clinical namespace by clinical/urls.py)."""

from django.urls import path

from . import note_views as views

_NOTE = "encounters/<uuid:public_id>/note/"

urlpatterns: list = [
    path(_NOTE, views.note_page, name="note"),
    path(f"{_NOTE}start/", views.note_start_view, name="note_start"),
    path(f"{_NOTE}draft/", views.note_save_view, name="note_save"),
    path(f"{_NOTE}sign/", views.note_sign_view, name="note_sign"),
    path(f"{_NOTE}cosign/", views.note_cosign_view, name="note_cosign"),
    path(f"{_NOTE}addenda/new/", views.addendum_new, name="addendum_new"),
    path("patients/<str:mrn>/amendments/", views.amendment_list, name="amendments"),
    path("patients/<str:mrn>/amendments/new/", views.amendment_new, name="amendment_new"),
    path("amendments/<uuid:public_id>/", views.amendment_detail, name="amendment"),
    path("amendments/<uuid:public_id>/accept/", views.amendment_accept_view, name="amendment_accept"),
    path("amendments/<uuid:public_id>/deny/", views.amendment_deny_view, name="amendment_deny"),
]
