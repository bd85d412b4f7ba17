"""URLs of the clinical recall pages (joined into the clinical namespace by clinical/urls.py)."""

from django.urls import path

from . import recall_views as views

urlpatterns: list = [
    path("recalls/", views.recall_worklist, name="recalls"),
    path("recalls/<uuid:public_id>/", views.recall_detail, name="recall"),
    path("recalls/<uuid:public_id>/contact/", views.recall_contact, name="recall_contact"),
    path("recalls/<uuid:public_id>/close/", views.recall_close, name="recall_close"),
    path("encounters/<uuid:public_id>/recalls/new/", views.recall_new, name="recall_new"),
    path("patients/<str:mrn>/recalls/new/", views.recall_new_for_patient, name="recall_new_patient"),
]
