from __future__ import annotations

from django.dispatch import receiver

from clinicdesk.core.signals import route_denied

from .models import Action, ObjectType, Outcome
from .services import audit_record


@receiver(route_denied)
def record_route_denied(sender, request, capability: str, **kwargs) -> None:
    """A refused page is itself an access attempt the privacy officer wants to see."""
    audit_record(
        actor=request.user,
        action=Action.READ,
        object_type=ObjectType.ROUTE,
        object_id=request.path,
        outcome=Outcome.DENIED,
        detail=f"needs {capability}",
    )
