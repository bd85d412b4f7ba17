"""The real URLconf plus one page with a bug, to show that real errors still log tracebacks."""

from __future__ import annotations

from django.urls import path

from clinicdesk.core.guards import PUBLIC, mark
from clinicdesk.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def _page_with_a_bug(request):
    raise ZeroDivisionError("a real bug")


urlpatterns = [path("bug/", mark(_page_with_a_bug, PUBLIC)), *urlpatterns]
