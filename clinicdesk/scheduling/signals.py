"""Signals scheduling sends to the apps above it (DESIGN: a lower app never imports a higher one).

appointment_booked: sent inside the booking's transaction, after the appointment and its audit
event are written, with `appointment` and `actor`. A receiver's writes commit or roll back with
the booking (the clinical app closes a matching recall this way).
"""

from django.dispatch import Signal

appointment_booked = Signal()
