from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinicdesk.accounts.models import User
from clinicdesk.accounts.services import staff_create
from clinicdesk.core.capabilities import Role


class Command(BaseCommand):
    help = "Create a staff account from the command line (the first office manager or administrator)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="", help="Full name shown in the app.")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args, **options):
        if User.objects.filter(username__iexact=options["username"]).exists():
            raise CommandError(f"username {options['username']!r} is taken")
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("the two passwords differ")
        try:
            user = staff_create(
                actor=None,
                system="system:createstaff",
                username=options["username"],
                role=options["role"],
                password=password,
                display_name=options["name"],
                email=options["email"],
            )
        except ValidationError as exc:
            raise CommandError(
                " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({user.role_label})."))
