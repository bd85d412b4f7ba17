from django.urls import path

from . import coverage_views as views

app_name = "payers"

urlpatterns = [
    path("", views.payer_list_view, name="list"),
    path("new/", views.payer_new, name="new"),
    path("<uuid:public_id>/edit/", views.payer_edit, name="edit"),
]
