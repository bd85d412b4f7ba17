"""Booking and appointment pages, and the waitlist, under /scheduling/ (namespace "scheduling")."""

from django.urls import path

from . import booking_views, confirmation_views, feed_views, patient_views, series_views, waitlist_views

app_name = "scheduling"

urlpatterns: list = [
    path("book/", booking_views.book, name="book"),
    path("appointments/<uuid:public_id>/", booking_views.appointment_page, name="appointment"),
    path("appointments/<uuid:public_id>/move/", booking_views.appointment_move_view, name="appointment_move"),
    path("appointments/<uuid:public_id>/cancel/", booking_views.appointment_cancel_view, name="appointment_cancel"),
    path("appointments/<uuid:public_id>/freed/", waitlist_views.slot_freed, name="slot_freed"),
    path("appointments/<uuid:public_id>/freed/offer/", waitlist_views.slot_offer, name="slot_offer"),
    path("patients/<str:mrn>/appointments/", patient_views.patient_appointments, name="patient_appointments"),
    path("waitlist/", waitlist_views.waitlist_page, name="waitlist"),
    path("waitlist/new/", waitlist_views.waitlist_new, name="waitlist_new"),
    path("waitlist/<uuid:public_id>/close/", waitlist_views.waitlist_close_view, name="waitlist_close"),
    path("waitlist/offers/<uuid:public_id>/accept/", waitlist_views.offer_accept_view, name="offer_accept"),
    path("waitlist/offers/<uuid:public_id>/decline/", waitlist_views.offer_decline_view, name="offer_decline"),
    path("series/new/", series_views.series_new, name="series_new"),
    path("series/<uuid:public_id>/edit/", series_views.series_edit_page, name="series_edit"),
    path("providers/<uuid:public_id>/feeds/", feed_views.feed_list, name="feeds"),
    path("confirmations/", confirmation_views.confirmation_list, name="confirmations"),
    path("my-feeds/", feed_views.my_feeds, name="my_feeds"),
    path("feeds/<uuid:public_id>/revoke/", feed_views.feed_revoke_view, name="feed_revoke"),
    path("feed/<str:token>.ics", feed_views.calendar_feed, name="calendar_feed"),
]
