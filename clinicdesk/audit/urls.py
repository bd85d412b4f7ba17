from django.urls import path

from . import anomaly_views, views

app_name = "audit"

urlpatterns = [
    path("", views.report, name="report"),
    path("csv/", views.report_csv, name="report_csv"),
    path("patient-access/", views.patient_access, name="patient_access"),
    path("anomalies/", anomaly_views.anomaly_list, name="anomalies"),
]
