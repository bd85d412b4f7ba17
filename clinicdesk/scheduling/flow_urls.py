"""Calendar views and the patient flow, under /scheduling/ (practice setup is /scheduling/setup/)."""

from django.urls import path

from . import calendar_views, flow_views

app_name = "scheduling_flow"

urlpatterns = [
    path("calendar/day/", calendar_views.day_view, name="day"),
    path("calendar/day.pdf", calendar_views.day_pdf, name="day_pdf"),
    path("calendar/week/", calendar_views.week_view, name="week"),
    path("flow/", flow_views.flow_board_page, name="board"),
    path("flow/board/", flow_views.flow_board_fragment, name="board_fragment"),
    path("flow/<uuid:public_id>/", flow_views.appointment_flow, name="appointment"),
    path("flow/<uuid:public_id>/move/", flow_views.flow_move, name="move"),
    path("flow/<uuid:public_id>/check-in/", flow_views.flow_check_in, name="check_in"),
    path("flow/<uuid:public_id>/no-show/", flow_views.flow_no_show, name="no_show"),
    path("flow/<uuid:public_id>/undo/", flow_views.flow_undo, name="undo"),
    path("flow/<uuid:public_id>/confirmation/", flow_views.confirmation_change, name="confirmation"),
]
