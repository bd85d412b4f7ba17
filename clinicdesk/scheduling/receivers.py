"""What scheduling does when a lower app reports an event (connected in apps.ready)."""

from __future__ import annotations

from django.dispatch import receiver

from clinicdesk.accounts.models import User
from clinicdesk.accounts.signals import staff_deactivated

from .feeds import feeds_revoke_all
from .models import Provider


@receiver(staff_deactivated)
def on_staff_deactivated(sender, user: User, actor: User | None = None, **kwargs) -> None:
    """A deactivated person's calendar feeds are revoked with the deactivation (same transaction)."""
    provider = Provider.objects.filter(user=user).first()
    if provider is not None:
        feeds_revoke_all(actor=actor, provider=provider, why="staff account deactivated")
