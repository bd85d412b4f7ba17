"""URLs of the clinical encounter pages (joined into the clinical namespace by clinical/urls.py)."""

urlpatterns: list = []
