"""Two people rooming two patients into one room at the same moment: one is roomed, one is told.

Each rooming runs on its own connection. Rooming takes the room's booking lock (the one
booking takes) before it checks that nobody is in the room, so on PostgreSQL the second waits
for the first and then reads it, instead of both seeing an empty room (or deadlocking in the
room's exclusion check when their visits overlap).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connections

from clinicdesk.core import clock
from clinicdesk.scheduling import flow
from clinicdesk.scheduling.models import Appointment, AppointmentStatus
from conftest import make_staff

from .factories import make_appointment, make_patient, make_practice

S = AppointmentStatus
# Monday 4 March 2030, 10:00 in New York.
NOW = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)


def test_two_patients_roomed_into_one_room_at_once_one_is_roomed_and_one_is_refused(committed_db):
    office_manager = make_staff("om-room-race", "office_manager")
    nurse_a, nurse_b = make_staff("rn-room-a", "nurse"), make_staff("rn-room-b", "nurse")
    clinician = make_staff("dr-room-race", "clinician")
    with clock.frozen(NOW):
        practice = make_practice(office_manager, clinician)
        visits = [
            make_appointment(
                office_manager,
                patient=make_patient(office_manager, f"Room{n}", "Race"),
                provider=practice.provider,
                location=practice.location,
                kind=practice.kind,
                starts_at=NOW + timedelta(minutes=20 * n),
                status=S.ARRIVED,
                arrived_at=NOW - timedelta(minutes=5),
            )
            for n in range(2)
        ]
        room = practice.rooms[0]
        barrier = threading.Barrier(2)
        roomed, refused, failed = [], [], []

        def room_it(actor, appointment):
            try:
                barrier.wait()
                flow.flow_transition(actor=actor, appointment=appointment, to=S.ROOMED, room=room)
                roomed.append(appointment.pk)
            except ValidationError as exc:
                refused.append(exc.message_dict)
            except BaseException as exc:  # noqa: BLE001 (a deadlock or anything else fails the test)
                failed.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=room_it, args=pair) for pair in zip((nurse_a, nurse_b), visits, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert failed == []
    assert len(roomed) == 1 and len(refused) == 1
    assert "has another patient in it" in refused[0]["room"][0]
    in_room = Appointment.objects.filter(room=room, status=S.ROOMED)
    assert list(in_room.values_list("pk", flat=True)) == roomed
