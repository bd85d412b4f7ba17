"""The setup generation row and the triggers that renew its token on every setup change.

The tables are those `setup_snapshot.py` reads. PostgreSQL fires one statement-level trigger
per statement (TRUNCATE included); SQLite has row-level triggers only, three per table. On the
user table only the columns a provider's name and state come from count, and only when their
value changes (a sign-in that updates last_login changes nothing here).
"""

from django.db import migrations, models

SETUP_MODELS = (
    ("scheduling", "Location"),
    ("scheduling", "OpeningHours"),
    ("scheduling", "Room"),
    ("scheduling", "Provider"),
    ("scheduling", "AppointmentType"),
    ("scheduling", "AvailabilityTemplate"),
    ("scheduling", "TemplateBlock"),
    ("scheduling", "AvailabilityException"),
    ("scheduling", "HolidayOverride"),
)
USER_COLUMNS = ("is_active", "display_name", "first_name", "last_name", "username")
FUNCTION = "scheduling_setup_changed"
PG_RENEW = (
    "INSERT INTO scheduling_setupgeneration (id, token) VALUES (1, gen_random_uuid()::text) "
    "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token"
)
SQLITE_RENEW = (
    "INSERT INTO scheduling_setupgeneration (id, token) VALUES (1, lower(hex(randomblob(16)))) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
)


def setup_tables(apps) -> list[str]:
    """The setup tables, the many-to-many tables between them included."""
    tables = []
    for app, name in SETUP_MODELS:
        meta = apps.get_model(app, name)._meta
        tables.append(meta.db_table)
        tables += [field.remote_field.through._meta.db_table for field in meta.local_many_to_many]
    return tables


def _user_table(apps) -> str:
    return apps.get_model("accounts", "User")._meta.db_table


def add(apps, schema_editor):
    execute = schema_editor.execute
    tables = setup_tables(apps)
    user = _user_table(apps)
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in USER_COLUMNS)
    if schema_editor.connection.vendor == "postgresql":
        execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {PG_RENEW}; RETURN NULL; END $$"
        )
        for table in tables:
            execute(
                f"CREATE TRIGGER {FUNCTION} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
        execute(
            f"CREATE TRIGGER {FUNCTION} AFTER UPDATE OF {', '.join(USER_COLUMNS)} ON {user} "
            f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {FUNCTION}()"
        )
    else:
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER {FUNCTION}_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {SQLITE_RENEW}; END"
                )
        sqlite_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in USER_COLUMNS)
        execute(
            f"CREATE TRIGGER {FUNCTION}_{user}_update AFTER UPDATE OF {', '.join(USER_COLUMNS)} ON {user} "
            f"WHEN {sqlite_changed} BEGIN {SQLITE_RENEW}; END"
        )
    execute(PG_RENEW if schema_editor.connection.vendor == "postgresql" else SQLITE_RENEW)


def remove(apps, schema_editor):
    execute = schema_editor.execute
    tables = setup_tables(apps)
    user = _user_table(apps)
    if schema_editor.connection.vendor == "postgresql":
        for table in [*tables, user]:
            execute(f"DROP TRIGGER IF EXISTS {FUNCTION} ON {table}")
        execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    else:
        for table in tables:
            for event in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS {FUNCTION}_{table}_{event}")
        execute(f"DROP TRIGGER IF EXISTS {FUNCTION}_{user}_update")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("scheduling", "0003_no_overlapping_bookings"),
    ]

    operations = [
        migrations.CreateModel(
            name="SetupGeneration",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=64)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(id=1), name="sched_setup_generation_one_row")
                ],
            },
        ),
        migrations.RunPython(add, remove),
    ]
