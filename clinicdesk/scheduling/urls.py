from django.urls import path

from . import views

app_name = "scheduling_setup"

urlpatterns = [
    path("", views.setup_index, name="index"),
    path("locations/", views.location_list_view, name="locations"),
    path("locations/new/", views.location_new, name="location_new"),
    path("locations/<uuid:public_id>/", views.location_detail, name="location"),
    path("locations/<uuid:public_id>/edit/", views.location_edit, name="location_edit"),
    path("locations/<uuid:public_id>/rooms/new/", views.room_new, name="room_new"),
    path("rooms/<uuid:public_id>/edit/", views.room_edit, name="room_edit"),
    path("providers/", views.provider_list_view, name="providers"),
    path("providers/new/", views.provider_new, name="provider_new"),
    path("providers/<uuid:public_id>/edit/", views.provider_edit, name="provider_edit"),
    path("appointment-types/", views.appointment_type_list_view, name="appointment_types"),
    path("appointment-types/new/", views.appointment_type_new, name="appointment_type_new"),
    path("appointment-types/<uuid:public_id>/edit/", views.appointment_type_edit, name="appointment_type_edit"),
]
