from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<str:public_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<str:public_id>/role/", views.staff_role, name="staff_role"),
    path("staff/<str:public_id>/password/", views.staff_password, name="staff_password"),
    path("staff/<str:public_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<str:public_id>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path("staff/<str:public_id>/reset-mfa/", views.staff_reset_mfa, name="staff_reset_mfa"),
    path("me/", views.my_account, name="my_account"),
    path("me/tokens/<str:public_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("emergency/review/", views.emergency_review, name="emergency_review"),
    path("emergency/review/<str:public_id>/", views.emergency_review_one, name="emergency_review_one"),
    path("emergency/<str:patient_id>/", views.emergency_access, name="emergency_access"),
]
