from django.urls import path

from . import views

app_name = "codes"

urlpatterns = [
    path("icd10/search/", views.icd10_search_fragment, name="icd10_search"),
]
