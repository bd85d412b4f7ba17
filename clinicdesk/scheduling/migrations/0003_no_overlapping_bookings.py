"""No two appointments that hold time may overlap for one provider, one room or one patient.

PostgreSQL enforces it itself with exclusion constraints over the booked block (buffers
included) as a half-open range, so back-to-back visits (one ends 10:00, the next starts 10:00)
are allowed. btree_gist lets the equality on the id sit in the same GiST index as the range.
SQLite has no such constraint: there the booking service checks for overlap inside its
IMMEDIATE transaction, which holds the database's write lock (see scheduling/booking.py).
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

HOLDS_TIME = "status NOT IN ('no_show', 'cancelled')"
# An overbooking shares its provider's time on purpose (and takes no room until roomed), but
# a patient is never in two places at once.
CONSTRAINTS = {
    "sched_appt_provider_no_overlap": ("provider_id", f"{HOLDS_TIME} AND NOT overbooked"),
    "sched_appt_room_no_overlap": ("room_id", f"room_id IS NOT NULL AND {HOLDS_TIME} AND NOT overbooked"),
    "sched_appt_patient_no_overlap": ("patient_id", HOLDS_TIME),
}


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (column, condition) in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(block_start, block_end, '[)') WITH &&) WHERE ({condition})"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_availability_and_appointments")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add, remove),
    ]
