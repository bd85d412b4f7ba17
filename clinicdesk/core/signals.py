from django.dispatch import Signal

# Sent when a signed-in person is refused a route for lack of a capability.
# The audit app records it (core sits below audit and cannot import it).
route_denied = Signal()  # kwargs: request, capability
