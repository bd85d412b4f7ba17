"""URLs of the clinical list pages (joined into the clinical namespace by clinical/urls.py)."""

urlpatterns: list = []
