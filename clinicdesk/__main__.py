"""The `clinicdesk` command: Django's management commands with ClinicDesk's settings.

clinicdesk serve | worker | migrate | createstaff | demo | audit verify | audit export
clinicdesk rotate-keys | backup [verify FILE] | restore FILE | check --deploy | <any Django command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["clinicdesk", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
