from django.urls import path

from . import views

app_name = "patient_search"

urlpatterns = [
    path("", views.patient_search_page, name="search"),
    path("pick/", views.patient_pick, name="pick"),
]
