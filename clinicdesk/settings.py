"""ClinicDesk settings, read from the environment.

Everything an operator may change comes from environment variables (see docs/configuration.md).
Development works with none set: the secret key and encryption keys are generated into
``var/`` on first use and never committed. Production (``CLINICDESK_ENV=production``) refuses
to start without explicit keys.
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CLINICDESK_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
CLINICDESK_ENV = env.str("CLINICDESK_ENV", default="development")
PRODUCTION = CLINICDESK_ENV == "production"
DEMO = env.bool("CLINICDESK_DEMO", default=False)


def _generated_secret(name: str, make) -> str:
    """Read a development secret from var/, creating it on first use.

    Production never reaches this: a missing key there is a configuration error.
    """
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be set in production.")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name.lower()
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


def _new_encryption_key() -> str:
    return "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = env.str("CLINICDESK_SECRET_KEY", default="") or _generated_secret(
    "CLINICDESK_SECRET_KEY", lambda: secrets.token_urlsafe(50)
)
# Ordered key list "id:base64key,id:base64key", newest first. The newest encrypts; all decrypt.
CLINICDESK_ENCRYPTION_KEYS = env.str("CLINICDESK_ENCRYPTION_KEYS", default="") or _generated_secret(
    "CLINICDESK_ENCRYPTION_KEYS", _new_encryption_key
)
# Key of the HMAC blind indexes. It never rotates with the encryption keys, because every
# index value would have to be recomputed from plaintext at once.
CLINICDESK_BLIND_INDEX_KEY = env.str("CLINICDESK_BLIND_INDEX_KEY", default="") or _generated_secret(
    "CLINICDESK_BLIND_INDEX_KEY", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
)

# Key of the backup archives (docs/backup-and-restore.md): base64url of 32 bytes, or several
# comma-separated, newest first (the newest encrypts new archives, every one opens old ones).
# Apart from the database key ring, so that a stolen archive and a stolen database host do not
# share one secret. Development generates one into var/; production has none unless given
# (here or as a file in CLINICDESK_BACKUP_KEY_FILE), and `clinicdesk backup` then refuses.
CLINICDESK_BACKUP_KEY_FILE = env.str("CLINICDESK_BACKUP_KEY_FILE", default="")
CLINICDESK_BACKUP_KEY = env.str("CLINICDESK_BACKUP_KEY", default="") or (
    ""
    if PRODUCTION or CLINICDESK_BACKUP_KEY_FILE
    else _generated_secret("CLINICDESK_BACKUP_KEY", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
)
# Where `clinicdesk backup` writes its archives, and how many it keeps there (0: all).
CLINICDESK_BACKUP_DIR = Path(env.str("CLINICDESK_BACKUP_DIR", default=str(VAR_DIR / "backups")))
CLINICDESK_BACKUP_KEEP = env.int("CLINICDESK_BACKUP_KEEP", default=14)
# Uploaded files (scanned documents and the like); backups carry them beside the database.
MEDIA_ROOT = Path(env.str("CLINICDESK_MEDIA_ROOT", default=str(VAR_DIR / "media")))

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "clinicdesk.core",
    "clinicdesk.audit",
    "clinicdesk.accounts",
    "clinicdesk.patients",
    "clinicdesk.patients.search",
    "clinicdesk.codes",
    "clinicdesk.scheduling",
    "clinicdesk.clinical",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clinicdesk.core.middleware.RequestContextMiddleware",
    "clinicdesk.core.middleware.ApiProblemMiddleware",
    "clinicdesk.core.middleware.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinicdesk.accounts.middleware.SessionLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "clinicdesk.accounts.middleware.MfaRequiredMiddleware",
    # Before any view reads a value: no NUL character reaches a view, a lookup or the lockout log.
    "clinicdesk.core.nul_guard.NulRefusalMiddleware",
    "axes.middleware.AxesMiddleware",
    # A restricted record opened without emergency access goes to the break-the-glass form.
    "clinicdesk.accounts.emergency.EmergencyAccessMiddleware",
]

ROOT_URLCONF = "clinicdesk.urls"
WSGI_APPLICATION = "clinicdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "clinicdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "clinicdesk.core.context_processors.shell",
            ],
            # People's dates and times (|date_text, |datetime_text, ...) in every template.
            "builtins": ["clinicdesk.core.templatetags.datetimes"],
        },
    }
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clinicdesk.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction begins, so two writers never both read
    # the chain head or a free slot and then collide on commit.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    DATABASES["default"].setdefault("TEST", {})
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "first_name", "last_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django's hook for every password change, which ends the owner's API tokens.
    {"NAME": "clinicdesk.accounts.validators.CredentialsEpoch"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# allauth: staff are created by the office manager; nobody signs up.
ACCOUNT_ADAPTER = "clinicdesk.accounts.adapters.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_RATE_LIMITS = False  # django-axes owns lockout; two limiters would disagree.
MFA_ADAPTER = "clinicdesk.accounts.adapters.StaffMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ClinicDesk"
MFA_RECOVERY_CODE_COUNT = 10
# The code forms refuse every code while the account is locked (accounts/lockout.py).
MFA_FORMS = {
    "authenticate": "clinicdesk.accounts.forms.SecondFactorForm",
    "reauthenticate": "clinicdesk.accounts.forms.SecondFactorReauthForm",
}
# Every role must enrol MFA. The demo may relax it; production may not.
CLINICDESK_MFA_REQUIRED = env.bool("CLINICDESK_MFA_REQUIRED", default=not DEMO)

# Lockout: 5 failures within 15 minutes locks the username for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "clinicdesk.accounts.lockout.lockout_username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Wrong second-factor codes count too; axes keeps the posted form of each failure, so the
# code is masked there like the password.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
# Lockout is per account, as the policy says; axes warns that IP is not part of it, which is
# intended: staff share an office IP, and locking that would lock out the whole front desk.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_IPWARE_PROXY_COUNT = env.int("CLINICDESK_PROXY_COUNT", default=0)

# Sessions: 15 minutes idle, 12 hours at most, server-side (database) so logout really ends them.
SESSION_ENGINE = "clinicdesk.accounts.sessions"  # Django's database sessions, on the project clock
CLINICDESK_IDLE_TIMEOUT = timedelta(minutes=env.int("CLINICDESK_IDLE_MINUTES", default=15))
CLINICDESK_SESSION_MAX_AGE = timedelta(hours=env.int("CLINICDESK_SESSION_HOURS", default=12))
SESSION_COOKIE_AGE = int(CLINICDESK_IDLE_TIMEOUT.total_seconds())
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Emergency ("break the glass") access lasts this long.
CLINICDESK_EMERGENCY_ACCESS = timedelta(minutes=env.int("CLINICDESK_EMERGENCY_MINUTES", default=60))
CLINICDESK_API_TOKEN_MAX_DAYS = env.int("CLINICDESK_API_TOKEN_MAX_DAYS", default=365)
# Longest path plus query string accepted (bytes); longer ones get 414 (core/middleware.py).
# Request bodies other than file uploads are limited by Django's DATA_UPLOAD_MAX_MEMORY_SIZE
# (2.5 MB), and a form by DATA_UPLOAD_MAX_NUMBER_FIELDS (1000); beyond them, 413.
CLINICDESK_MAX_URL_BYTES = env.int("CLINICDESK_MAX_URL_BYTES", default=8192)
# Where `clinicdesk audit anchor` appends the audit chain's head (docs/security.md), and an
# address that receives each anchor by mail too (blank: none). Both are meant to be out of
# reach of whoever can rewrite the database.
CLINICDESK_AUDIT_ANCHOR_FILE = Path(env.str("CLINICDESK_AUDIT_ANCHOR_FILE", default=str(VAR_DIR / "audit-anchors.log")))
CLINICDESK_AUDIT_ANCHOR_EMAIL = env.str("CLINICDESK_AUDIT_ANCHOR_EMAIL", default="")
# Defaults of a new location's public holidays (keys of the `holidays` package, e.g. US / NY).
CLINICDESK_HOLIDAY_COUNTRY = env.str("CLINICDESK_HOLIDAY_COUNTRY", default="US")
CLINICDESK_HOLIDAY_SUBDIVISION = env.str("CLINICDESK_HOLIDAY_SUBDIVISION", default="")
# A cancellation closer than this to the start counts as late (no-show / late-cancel policies).
CLINICDESK_LATE_CANCEL_HOURS = env.int("CLINICDESK_LATE_CANCEL_HOURS", default=24)
# Each process keeps the practice setup in memory for bookings (scheduling/setup_snapshot.py),
# checked against a token that database triggers renew on every setup change; False reads the
# setup from the database every time. It holds availability exceptions and holiday overrides
# from this many days back; a question about an earlier day reads the database.
CLINICDESK_SETUP_SNAPSHOT = env.bool("CLINICDESK_SETUP_SNAPSHOT", default=True)
CLINICDESK_SETUP_SNAPSHOT_PAST_DAYS = env.int("CLINICDESK_SETUP_SNAPSHOT_PAST_DAYS", default=2)
# Notes of nurse practitioners, physician assistants and residents need another clinician's
# co-signature (by the provider's taxonomy code) when the practice turns this on.
CLINICDESK_NOTE_COSIGN = env.bool("CLINICDESK_NOTE_COSIGN", default=False)
# Flow board: a patient waiting (waiting room, or exam room for the provider) longer than these
# many minutes turns amber, then red; the board reloads itself every CLINICDESK_FLOW_REFRESH_SECONDS.
CLINICDESK_FLOW_WAIT_AMBER_MINUTES = env.int("CLINICDESK_FLOW_WAIT_AMBER_MINUTES", default=15)
CLINICDESK_FLOW_WAIT_RED_MINUTES = env.int("CLINICDESK_FLOW_WAIT_RED_MINUTES", default=30)
CLINICDESK_FLOW_REFRESH_SECONDS = env.int("CLINICDESK_FLOW_REFRESH_SECONDS", default=5)
# A flow step clicked by mistake can be undone (once) for this many minutes after it.
CLINICDESK_FLOW_UNDO_MINUTES = env.int("CLINICDESK_FLOW_UNDO_MINUTES", default=30)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("CLINICDESK_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    MFA_TRUST_COOKIE_SECURE = True

# Strict CSP: our own scripts and styles only; inline scripts need the nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("CLINICDESK_TIME_ZONE", default="America/New_York")
# Heads patient-facing documents (the right-of-access PDF; statements and letters later).
CLINICDESK_PRACTICE_NAME = env.str("CLINICDESK_PRACTICE_NAME", default="ClinicDesk demo practice")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Collected static files. A container image collects them at build time into its own folder
# (CLINICDESK_STATIC_ROOT), apart from the data folder that app servers and workers share.
STATIC_ROOT = Path(env.str("CLINICDESK_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "clinicdesk" / "static"]
if not PRODUCTION:
    # WhiteNoise serves from the app folders in development but warns when STATIC_ROOT is absent.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

EMAIL_BACKEND = env.str("CLINICDESK_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("CLINICDESK_SMTP_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("CLINICDESK_SMTP_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("CLINICDESK_FROM_EMAIL", default="clinicdesk@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("CLINICDESK_LOG_LEVEL", default="WARNING")},
}
