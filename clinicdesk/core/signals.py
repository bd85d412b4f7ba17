from django.dispatch import Signal

# Sent when a signed-in person is refused a route for lack of a capability.
# The audit app records it (core sits below audit and cannot import it).
route_denied = Signal()  # kwargs: request, capability

# Sent when `clinicdesk backup` (or the periodic job) finished, successfully or not, and when
# `clinicdesk restore` finished writing a database; the audit app records them.
backup_finished = Signal()  # kwargs: archive (file name), outcome ("success" | "failure"), detail
restore_finished = Signal()  # kwargs: archive, outcome, detail
