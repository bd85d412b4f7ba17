from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clinicdesk.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from . import demo, receivers  # noqa: F401  (login/logout/lockout auditing; demo staff step)
