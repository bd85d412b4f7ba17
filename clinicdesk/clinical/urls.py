"""Clinical pages under /clinical/: one namespace, the patterns of each part joined here."""

from . import chart_urls, encounter_urls, list_urls, note_urls, recall_urls, worklist_urls

app_name = "clinical"

urlpatterns = [
    *chart_urls.urlpatterns,
    *encounter_urls.urlpatterns,
    *note_urls.urlpatterns,
    *list_urls.urlpatterns,
    *recall_urls.urlpatterns,
    *worklist_urls.urlpatterns,
]
