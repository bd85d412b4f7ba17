"""URLs of the clinical chart (joined into the clinical namespace by clinical/urls.py)."""

from django.urls import path

from . import chart_views

urlpatterns = [
    path("patients/<str:mrn>/chart/", chart_views.chart_view, name="chart"),
    path("encounters/<uuid:public_id>/summary.pdf", chart_views.visit_summary, name="visit_summary"),
]
