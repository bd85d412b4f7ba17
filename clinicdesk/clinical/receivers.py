"""What the clinical app does when scheduling announces something (scheduling/signals.py).

Scheduling sits below clinical and may not import it, so it sends signals and we listen here.
Receivers only hand over to a service; the rules live in the services.
"""

from __future__ import annotations

from django.dispatch import receiver

from clinicdesk.scheduling.models import Appointment
from clinicdesk.scheduling.signals import appointment_booked

from .recalls import recall_match_booking


@receiver(appointment_booked, sender=Appointment, dispatch_uid="clinical.recall_scheduled_by_booking")
def recall_scheduled_by_booking(sender, appointment: Appointment, actor=None, **kwargs) -> None:
    """A booking of the recall's type marks the patient's oldest matching open recall scheduled.

    Runs inside the booking's transaction: if the booking rolls back, so does the recall.
    """
    recall_match_booking(actor=actor, appointment=appointment)
