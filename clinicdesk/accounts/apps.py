from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clinicdesk.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from clinicdesk.core.scheduler import daily

        from . import demo, home_panels, receivers  # noqa: F401  (sign-in auditing; demo staff; home panels)
        from .housekeeping import sessions_clear_expired

        daily(name="accounts.sessions_cleanup", at="03:15", task=sessions_clear_expired)
