from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action
from clinicdesk.audit.services import audit_record
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
        from django.contrib.auth.password_validation import validate_password

        if User.objects.filter(username__iexact=options["username"]).exists():
            raise CommandError(f"username {options['username']!r} is taken")
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("the two passwords differ")
        user = User(
            username=options["username"], role=options["role"], display_name=options["name"], email=options["email"]
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("password: " + " ".join(exc.messages)) from exc
        with transaction.atomic():
            user.set_password(password)
            user.save()
            audit_record(
                actor=None,
                actor_username="system:createstaff",
                action=Action.CREATE,
                object_type="staff",
                object_id=str(user.public_id),
                changed_fields=["username", "role", "password"],
                detail=f"role {user.role}",
            )
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({user.role_label})."))
