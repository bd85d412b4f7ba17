from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clinicdesk.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from clinicdesk.core.scheduler import daily

        from . import demo, receivers  # noqa: F401  (login/logout/lockout auditing; demo staff step)
        from .housekeeping import sessions_clear_expired

        daily(name="accounts.sessions_cleanup", at="03:15", task=sessions_clear_expired)
