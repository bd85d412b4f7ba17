"""URLs of the clinical recall pages (joined into the clinical namespace by clinical/urls.py)."""

urlpatterns: list = []
