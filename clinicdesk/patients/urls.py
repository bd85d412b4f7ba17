from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("new/", views.patient_new, name="new"),
    path("<str:mrn>/", views.patient_detail, name="detail"),
    path("<str:mrn>/edit/", views.patient_edit, name="edit"),
    path("<str:mrn>/history/", views.patient_history, name="history"),
]
