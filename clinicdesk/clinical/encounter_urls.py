"""URLs of the clinical encounter pages (joined into the clinical namespace by clinical/urls.py)."""

from django.urls import path

from . import encounter_views as views

urlpatterns: list = [
    path("today/", views.today, name="today"),
    path("today/unscheduled/", views.encounter_new_unscheduled, name="encounter_new_unscheduled"),
    path("appointments/<uuid:public_id>/encounter/", views.encounter_open_view, name="encounter_open"),
    path("encounters/<uuid:public_id>/", views.encounter_page, name="encounter"),
    path("encounters/<uuid:public_id>/vitals/", views.vitals_record_view, name="vitals_record"),
    path(
        "encounters/<uuid:public_id>/vitals/<uuid:vitals_id>/in-error/",
        views.vitals_in_error_view,
        name="vitals_in_error",
    ),
    path("vitals/convert/", views.vitals_convert, name="vitals_convert"),
    path("templates/", views.template_list, name="templates"),
    path("templates/default/", views.template_edit, name="template_default"),
    path("templates/<uuid:type_id>/", views.template_edit, name="template_edit"),
]
