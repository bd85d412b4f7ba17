"""Settings for the test suite: the real settings, plus fast hashing and synchronous tasks."""

import os

from clinicdesk.settings import *  # noqa: F403
from clinicdesk.settings import DATABASES, INSTALLED_APPS, PASSWORD_HASHERS, VAR_DIR

# Argon2 at full cost makes hundreds of test logins slow; production hashing is tested on its own.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: S303
# A test-only model with encrypted fields (clinicdesk/core/tests/fieldapp).
INSTALLED_APPS = [*INSTALLED_APPS, "clinicdesk.core.tests.fieldapp"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# A file, not SQLite's shared-cache memory database: concurrency tests need real separate
# connections with WAL and busy timeouts, exactly as in production. One file per test run,
# so two runs on one machine never share it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-clinicdesk-{os.getpid()}.sqlite3")}

# `make test-clock` runs the whole suite with every test starting at an awkward moment (an ISO
# datetime with its offset); the application's clock (clinicdesk/core/clock.py) reads it.
CLINICDESK_TEST_NOW = os.environ.get("CLINICDESK_TEST_NOW", "")
