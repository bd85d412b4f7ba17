"""URLs of the clinical worklists the home page links to (joined into the clinical namespace)."""

from django.urls import path

from . import worklist_views as views

urlpatterns: list = [
    path("vitals-due/", views.vitals_due, name="vitals_due"),
    path("notes/", views.note_worklist, name="note_worklist"),
]
