from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.accounts.services import staff_create
from clinicdesk.core.capabilities import Role

# One login per role. The password is printed by `make run`; it is for the demo database only.
DEMO_PASSWORD = "demo-clinic-2026"
DEMO_STAFF = (
    ("dana", "Dana Whitfield", Role.OFFICE_MANAGER),
    ("luis", "Luis Moreno", Role.FRONT_DESK),
    ("okafor", "Dr. Amara Okafor", Role.CLINICIAN),
    ("sam", "Sam Patel", Role.NURSE),
    ("priya", "Priya Raman", Role.BILLER),
    ("audra", "Audra Kim", Role.AUDITOR),
    ("admin", "Alex Admin", Role.ADMIN),
)


class Command(BaseCommand):
    help = "Load the demo practice (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Load without printing the logins.")

    def handle(self, *args, **options):
        created = 0
        with transaction.atomic():
            for username, name, role in DEMO_STAFF:
                if User.objects.filter(username=username).exists():
                    continue
                staff_create(
                    actor=None,
                    system="system:demo",
                    username=username,
                    role=role,
                    password=DEMO_PASSWORD,
                    display_name=name,
                    email=f"{username}@demo.clinicdesk.test",
                )
                created += 1
        if options["quiet"]:
            return
        self.stdout.write(f"Demo practice ready ({created} account(s) created now).")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, name, role in DEMO_STAFF:
            self.stdout.write(f"  {username:<8} {Role(role).label:<28} {name}")
