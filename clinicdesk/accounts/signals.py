"""Signals accounts sends to the apps above it (DESIGN: a lower app never imports a higher one).

staff_deactivated: sent inside staff_deactivate's transaction, after the account is marked
inactive and audited, with `user` (the account) and `actor`. A receiver ends what the person
held outside their sign-in — the scheduling app revokes their calendar feeds — and its writes
commit or roll back with the deactivation.
"""

from django.dispatch import Signal

staff_deactivated = Signal()
