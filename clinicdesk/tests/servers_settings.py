"""Settings of the app servers and workers that the multi-process tests start.

The test settings (fast password hashing, the test-only apps), but tasks go through the real
database queue, and a heartbeat job with a period of a few seconds is registered.
"""

from clinicdesk.settings_test import *  # noqa: F403
from clinicdesk.settings_test import INSTALLED_APPS

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
INSTALLED_APPS = [*INSTALLED_APPS, "clinicdesk.tests.heartbeat"]
