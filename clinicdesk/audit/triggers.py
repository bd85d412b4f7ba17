"""Triggers that make the audit table append-only, per database.

Used by the migration that installs them and by the test helper that clears the table
between transactional tests (it drops them, deletes, and puts them back in one transaction).
"""

from __future__ import annotations

TABLE = "audit_auditevent"
MESSAGE = "audit events are append-only"

SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]

POSTGRES_INSTALL = [
    # Truncating an empty table loses nothing; allowing it lets test databases be flushed.
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
    f"IF TG_OP = 'TRUNCATE' AND NOT EXISTS (SELECT 1 FROM {TABLE}) THEN RETURN NULL; END IF; "
    f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END; $$;",
    f"CREATE OR REPLACE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
    f"CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_no_update ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE};",
]


def install_statements(vendor: str) -> list[str]:
    return POSTGRES_INSTALL if vendor == "postgresql" else SQLITE_INSTALL


def drop_statements(vendor: str) -> list[str]:
    return POSTGRES_DROP if vendor == "postgresql" else SQLITE_DROP
