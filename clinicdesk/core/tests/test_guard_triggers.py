"""After every migration the database still holds every guard trigger.

A migration can lose a trigger without anyone noticing: on SQLite an AlterField rebuilds the
table, and the rebuilt table has none. This reads the triggers from the migrated test
database itself, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib
import re

from django.apps import apps
from django.db import connection

from clinicdesk.audit import triggers as audit_triggers
from clinicdesk.clinical import triggers as clinical_triggers

setup_generation = importlib.import_module("clinicdesk.scheduling.migrations.0004_setup_generation")
CREATED = re.compile(r"CREATE (?:OR REPLACE )?TRIGGER (?:IF NOT EXISTS )?(\w+) .*? ON (\w+)", re.S)


def _triggers_in_database() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal"
            )
        else:
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        return {(name, table) for name, table in cursor.fetchall()}


def _expected(statements: list[str]) -> set[tuple[str, str]]:
    return {(match[1], match[2]) for statement in statements for match in [CREATED.search(statement)] if match}


def test_the_audit_trail_and_signed_records_keep_their_guards(db):
    vendor = connection.vendor
    expected = _expected(
        audit_triggers.install_statements(vendor)
        + clinical_triggers.install_statements(vendor)
        + clinical_triggers.encounter_install_statements(vendor)
    )
    assert len(expected) >= 5  # two audit guards, the note, addendum and encounter guards
    missing = expected - _triggers_in_database()
    assert missing == set()


def test_every_setup_table_renews_the_setup_token(db):
    tables = setup_generation.setup_tables(apps) + [apps.get_model("accounts", "User")._meta.db_table]
    guarded = {table for name, table in _triggers_in_database() if name.startswith(setup_generation.FUNCTION)}
    assert len(tables) >= 8
    assert sorted(set(tables) - guarded) == []
