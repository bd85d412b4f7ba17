"""A signed note and an addendum never change, whatever writes to the table.

PostgreSQL and SQLite triggers refuse:
- an UPDATE of a signed note that changes any column the signature covers (models.SIGNED_COLUMNS),
  or that sets a co-signature already set;
- a DELETE of a signed note;
- any UPDATE or DELETE of an addendum (addenda are signed when written).
The error text starts with "signed record" so the service layer can say so in words.
"""

from django.db import migrations

NOTE = "clinical_visitnote"
ADDENDUM = "clinical_addendum"
COVERED = (
    "encounter_id",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "status",
    "signed_by_id",
    "signed_at",
    "content_sha256",
    "author_id",
    "created_at",
)
NOTE_MESSAGE = "signed record: a signed note cannot be changed or deleted; add an addendum"
ADDENDUM_MESSAGE = "signed record: an addendum cannot be changed or deleted"


def _pg_changed(prefix_old: str = "OLD", prefix_new: str = "NEW") -> str:
    return " OR ".join(f"{prefix_new}.{c} IS DISTINCT FROM {prefix_old}.{c}" for c in COVERED)


def add(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(
            f"""CREATE OR REPLACE FUNCTION clinical_note_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF OLD.status = 'signed' THEN
                IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{NOTE_MESSAGE}' USING ERRCODE = 'P0001'; END IF;
                IF {_pg_changed()}
                   OR (OLD.cosigned_at IS NOT NULL AND (NEW.cosigned_at IS DISTINCT FROM OLD.cosigned_at
                       OR NEW.cosigned_by_id IS DISTINCT FROM OLD.cosigned_by_id)) THEN
                  RAISE EXCEPTION '{NOTE_MESSAGE}' USING ERRCODE = 'P0001';
                END IF;
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$"""
        )
        execute(
            f"CREATE TRIGGER clinical_note_guard BEFORE UPDATE OR DELETE ON {NOTE} "
            "FOR EACH ROW EXECUTE FUNCTION clinical_note_guard()"
        )
        execute(
            f"""CREATE OR REPLACE FUNCTION clinical_addendum_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{ADDENDUM_MESSAGE}' USING ERRCODE = 'P0001'; END $$"""
        )
        execute(
            f"CREATE TRIGGER clinical_addendum_guard BEFORE UPDATE OR DELETE ON {ADDENDUM} "
            "FOR EACH ROW EXECUTE FUNCTION clinical_addendum_guard()"
        )
        execute(
            f"CREATE TRIGGER clinical_addendum_no_truncate BEFORE TRUNCATE ON {ADDENDUM} "
            "FOR EACH STATEMENT EXECUTE FUNCTION clinical_addendum_guard()"
        )
    else:
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COVERED)
        execute(
            f"CREATE TRIGGER clinical_note_guard_update BEFORE UPDATE ON {NOTE} "
            f"WHEN OLD.status = 'signed' AND ({changed} OR (OLD.cosigned_at IS NOT NULL AND "
            "(NEW.cosigned_at IS NOT OLD.cosigned_at OR NEW.cosigned_by_id IS NOT OLD.cosigned_by_id))) "
            f"BEGIN SELECT RAISE(ABORT, '{NOTE_MESSAGE}'); END"
        )
        execute(
            f"CREATE TRIGGER clinical_note_guard_delete BEFORE DELETE ON {NOTE} WHEN OLD.status = 'signed' "
            f"BEGIN SELECT RAISE(ABORT, '{NOTE_MESSAGE}'); END"
        )
        for event in ("UPDATE", "DELETE"):
            execute(
                f"CREATE TRIGGER clinical_addendum_guard_{event.lower()} BEFORE {event} ON {ADDENDUM} "
                f"BEGIN SELECT RAISE(ABORT, '{ADDENDUM_MESSAGE}'); END"
            )


def remove(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(f"DROP TRIGGER IF EXISTS clinical_note_guard ON {NOTE}")
        execute(f"DROP TRIGGER IF EXISTS clinical_addendum_guard ON {ADDENDUM}")
        execute(f"DROP TRIGGER IF EXISTS clinical_addendum_no_truncate ON {ADDENDUM}")
        execute("DROP FUNCTION IF EXISTS clinical_note_guard()")
        execute("DROP FUNCTION IF EXISTS clinical_addendum_guard()")
    else:
        for name in ("note_guard_update", "note_guard_delete", "addendum_guard_update", "addendum_guard_delete"):
            execute(f"DROP TRIGGER IF EXISTS clinical_{name}")


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
