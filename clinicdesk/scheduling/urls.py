from django.urls import path

from . import availability_views, views

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
    # Availability (office manager) and slot search (front desk): availability_views.py
    path("availability/", availability_views.availability_index, name="availability_index"),
    path("providers/<uuid:public_id>/availability/", availability_views.provider_availability, name="availability"),
    path(
        "providers/<uuid:public_id>/availability/new/",
        availability_views.template_new,
        name="availability_template_new",
    ),
    path(
        "availability/versions/<uuid:public_id>/delete/",
        availability_views.template_delete,
        name="availability_template_delete",
    ),
    path(
        "providers/<uuid:public_id>/availability/exceptions/",
        availability_views.exception_new,
        name="availability_exception_new",
    ),
    path(
        "availability/exceptions/<uuid:public_id>/delete/",
        availability_views.exception_delete,
        name="availability_exception_delete",
    ),
    path(
        "providers/<uuid:public_id>/availability/holidays/",
        availability_views.holiday_toggle,
        name="availability_holiday",
    ),
    path("slots/", availability_views.slot_search_view, name="slots"),
]
