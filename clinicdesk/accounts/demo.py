"""Demo staff: one login per role. The password is for the demo database only."""

from __future__ import annotations

from django.db import transaction

from clinicdesk.core.capabilities import Role
from clinicdesk.core.demo import DemoOptions, register

from .models import User
from .services import staff_create

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


@register(name="staff", order=10)
def demo_staff(options: DemoOptions) -> str:
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
    options.lines.append(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    options.lines.extend(f"  {username:<8} {Role(role).label:<28} {name}" for username, name, role in DEMO_STAFF)
    return f"{created} staff account(s) created"
