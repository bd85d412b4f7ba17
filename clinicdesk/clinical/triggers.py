"""The triggers that keep signed notes, their addenda and their encounters unchanged, per database.

Notes and addenda: installed by migration 0002 (`install_statements`). They refuse:
- an UPDATE of a signed note that changes a column its signature covers (COVERED), or that
  rewrites a co-signature already written;
- a DELETE of a signed note;
- any UPDATE or DELETE of an addendum (addenda are signed when written).
The error text starts with "signed record" so the services can say so in words. As with the
audit table, TRUNCATE (an owner's maintenance statement, not an application write) is not
guarded; the test suite empties these tables between transactional tests with the triggers
briefly dropped (conftest.committed_db).

Encounters: installed by migration 0004 (`encounter_install_statements`). Once an encounter has
a signed note, the encounter row is part of what was signed: the signature names the encounter
(its public id), and the encounter says whose visit it was, with whom, where, when and why. So
they refuse, for an encounter with a signed note:
- an UPDATE of any column of ENCOUNTER_COVERED — the patient (moving the note to another
  patient's chart), provider, appointment, location, date of service, reason, who opened it and
  when, and its ids;
- a status change to anything but signed or amended (never back to open);
- a DELETE.
`updated_at` and the signed → amended step (an addendum) stay free. A patient merge legitimately
moves a duplicate record's encounters to the survivor: it lifts this guard inside its own
transaction only (core/row_guards.py, clinical/merge_steps.py), as key rotation lifts the note
guard; a raw UPDATE anywhere else is refused.
"""

from __future__ import annotations

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
ENCOUNTER = "clinical_encounter"
# Every column of an encounter but `status` (checked apart) and `updated_at`.
ENCOUNTER_COVERED = (
    "id",
    "public_id",
    "patient_id",
    "appointment_id",
    "provider_id",
    "location_id",
    "date_of_service",
    "reason",
    "unscheduled_reason",
    "opened_by_id",
    "opened_at",
)
ENCOUNTER_MESSAGE = (
    "signed record: the encounter of a signed note cannot be moved to another patient, changed or deleted"
)
ADDENDUM_MESSAGE = "signed record: an addendum cannot be changed or deleted"


def install_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in COVERED)
        return [
            f"""CREATE OR REPLACE FUNCTION clinical_note_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF OLD.status = 'signed' THEN
                IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{NOTE_MESSAGE}' USING ERRCODE = 'P0001'; END IF;
                IF {changed}
                   OR (OLD.cosigned_at IS NOT NULL AND (NEW.cosigned_at IS DISTINCT FROM OLD.cosigned_at
                       OR NEW.cosigned_by_id IS DISTINCT FROM OLD.cosigned_by_id)) THEN
                  RAISE EXCEPTION '{NOTE_MESSAGE}' USING ERRCODE = 'P0001';
                END IF;
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$""",
            f"CREATE TRIGGER clinical_note_guard BEFORE UPDATE OR DELETE ON {NOTE} "
            "FOR EACH ROW EXECUTE FUNCTION clinical_note_guard()",
            f"""CREATE OR REPLACE FUNCTION clinical_addendum_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{ADDENDUM_MESSAGE}' USING ERRCODE = 'P0001'; END $$""",
            f"CREATE TRIGGER clinical_addendum_guard BEFORE UPDATE OR DELETE ON {ADDENDUM} "
            "FOR EACH ROW EXECUTE FUNCTION clinical_addendum_guard()",
        ]
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COVERED)
    return [
        f"CREATE TRIGGER clinical_note_guard_update BEFORE UPDATE ON {NOTE} "
        f"WHEN OLD.status = 'signed' AND ({changed} OR (OLD.cosigned_at IS NOT NULL AND "
        "(NEW.cosigned_at IS NOT OLD.cosigned_at OR NEW.cosigned_by_id IS NOT OLD.cosigned_by_id))) "
        f"BEGIN SELECT RAISE(ABORT, '{NOTE_MESSAGE}'); END",
        f"CREATE TRIGGER clinical_note_guard_delete BEFORE DELETE ON {NOTE} WHEN OLD.status = 'signed' "
        f"BEGIN SELECT RAISE(ABORT, '{NOTE_MESSAGE}'); END",
        *(
            f"CREATE TRIGGER clinical_addendum_guard_{event.lower()} BEFORE {event} ON {ADDENDUM} "
            f"BEGIN SELECT RAISE(ABORT, '{ADDENDUM_MESSAGE}'); END"
            for event in ("UPDATE", "DELETE")
        ),
    ]


def drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS clinical_note_guard ON {NOTE}",
            f"DROP TRIGGER IF EXISTS clinical_addendum_guard ON {ADDENDUM}",
            "DROP FUNCTION IF EXISTS clinical_note_guard()",
            "DROP FUNCTION IF EXISTS clinical_addendum_guard()",
        ]
    names = ("note_guard_update", "note_guard_delete", "addendum_guard_update", "addendum_guard_delete")
    return [f"DROP TRIGGER IF EXISTS clinical_{name}" for name in names]


def encounter_install_statements(vendor: str) -> list[str]:
    """The encounter guard (see the module docstring): one trigger function on PostgreSQL, two triggers on SQLite."""
    signed = f"EXISTS (SELECT 1 FROM {NOTE} WHERE encounter_id = OLD.id AND status = 'signed')"  # noqa: S608  (constant names)
    if vendor == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in ENCOUNTER_COVERED)
        return [
            f"""CREATE OR REPLACE FUNCTION clinical_encounter_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF {signed} THEN
                IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{ENCOUNTER_MESSAGE}' USING ERRCODE = 'P0001'; END IF;
                IF {changed}
                   OR (NEW.status IS DISTINCT FROM OLD.status AND NEW.status NOT IN ('signed', 'amended')) THEN
                  RAISE EXCEPTION '{ENCOUNTER_MESSAGE}' USING ERRCODE = 'P0001';
                END IF;
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$""",
            f"CREATE TRIGGER clinical_encounter_guard BEFORE UPDATE OR DELETE ON {ENCOUNTER} "
            "FOR EACH ROW EXECUTE FUNCTION clinical_encounter_guard()",
        ]
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ENCOUNTER_COVERED)
    return [
        f"CREATE TRIGGER clinical_encounter_guard_update BEFORE UPDATE ON {ENCOUNTER} "
        f"WHEN ({changed} OR (NEW.status IS NOT OLD.status AND NEW.status NOT IN ('signed', 'amended'))) "
        f"AND {signed} BEGIN SELECT RAISE(ABORT, '{ENCOUNTER_MESSAGE}'); END",
        f"CREATE TRIGGER clinical_encounter_guard_delete BEFORE DELETE ON {ENCOUNTER} WHEN {signed} "
        f"BEGIN SELECT RAISE(ABORT, '{ENCOUNTER_MESSAGE}'); END",
    ]


def encounter_drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS clinical_encounter_guard ON {ENCOUNTER}",
            "DROP FUNCTION IF EXISTS clinical_encounter_guard()",
        ]
    return [f"DROP TRIGGER IF EXISTS clinical_encounter_guard_{event}" for event in ("update", "delete")]
