"""URLs of the clinical note pages (joined into the clinical namespace by clinical/urls.py)."""

urlpatterns: list = []
