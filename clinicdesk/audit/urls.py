from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.report, name="report"),
    path("csv/", views.report_csv, name="report_csv"),
    path("patient-access/", views.patient_access, name="patient_access"),
]
