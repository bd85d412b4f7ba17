"""Fixtures of the backup tests: a backup key, a small real practice, and an empty database to
restore into (a new SQLite file, or a PostgreSQL database created here and dropped afterwards)."""

from __future__ import annotations

import base64
import copy
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.utils import load_backend

RESTORED = "restored"


def new_backup_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def backup_key(settings) -> str:
    """A fresh backup key in the settings (the subprocesses get it through the environment)."""
    key = new_backup_key()
    settings.CLINICDESK_BACKUP_KEY = key
    settings.CLINICDESK_BACKUP_KEY_FILE = ""
    return key


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """The uploaded-files folder of the practice under test (empty to begin with)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def small_practice(committed_db, clock, office_manager, front_desk, clinician):
    """A practice made through the real services and committed: two patients (one with an SSN),
    a booked appointment, and a signed visit note. The clock stands on Monday 2 March 2026."""
    from clinicdesk.clinical import encounters, notes
    from clinicdesk.patients.services import PatientInput, patient_register
    from clinicdesk.scheduling.booking import BookingInput, appointment_book
    from clinicdesk.scheduling.tests.factories import make_weekday_practice

    clock.set(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    practice = make_weekday_practice(office_manager, front_desk, clinician)
    values = {"first_name": "Rosa", "last_name": "Quintero", "date_of_birth": date(1971, 6, 5), "sex_at_birth": "F"}
    rosa = patient_register(actor=front_desk, data=PatientInput(values=values, ssn="219-09-9999"))
    appointment = appointment_book(
        actor=front_desk,
        data=BookingInput(
            patient=practice.jane,
            provider=practice.provider,
            location=practice.location,
            appointment_type=practice.kind,
            starts_at=datetime(2026, 3, 9, 15, 0, tzinfo=UTC),  # Monday morning in New York
        ),
    )
    encounter = encounters.encounter_open_unscheduled(
        actor=clinician,
        patient=rosa,
        provider=practice.provider,
        location=practice.location,
        date_of_service=date(2026, 3, 2),
        reason="Cough",
        unscheduled_reason="Walk-in",
    )
    note = notes.note_start(actor=clinician, encounter=encounter)
    note = notes.note_save_draft(
        actor=clinician,
        note=note,
        version=note.version,
        subjective="Cough for three days, worse at night.",
        objective="Lungs clear.",
        assessment="Viral bronchitis.",
        plan="Fluids, rest.",
    )
    notes.note_sign(actor=clinician, note=note)
    return SimpleNamespace(**vars(practice), rosa=rosa, appointment=appointment, encounter=encounter, note=note)


@dataclass
class EmptyDatabase:
    """A database with nothing in it yet, and how to reach it from a subprocess or from here."""

    url: str
    settings_dict: dict
    media_root: Path

    def open(self) -> str:
        """Make the database reachable here as the alias "restored"; returns the alias.

        The connection is made directly rather than added to the settings: Django's test case
        refuses aliases of the settings that the test did not declare, and allows made ones.
        """
        if getattr(connections._connections, RESTORED, None) is None:  # type: ignore[attr-defined]  # the handler keeps its connections there; asking publicly would open one
            backend = load_backend(self.settings_dict["ENGINE"])
            connections[RESTORED] = backend.DatabaseWrapper(self.settings_dict, RESTORED)
        return RESTORED

    def table_names(self) -> list[str]:
        if connection.vendor == "sqlite":
            import sqlite3

            path = Path(self.settings_dict["NAME"])
            if not path.exists():
                return []
            with sqlite3.connect(path) as reader:
                return [row[0] for row in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname = %s", [self.settings_dict["NAME"]])
            assert cursor.fetchone(), "the test database vanished"
        alias = self.open()
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return [row[0] for row in cursor.fetchall()]


def _close_alias() -> None:
    opened = getattr(connections._connections, RESTORED, None)  # type: ignore[attr-defined]  # as above: look without opening
    if opened is not None:
        opened.close()
        del connections[RESTORED]


@pytest.fixture
def empty_database(committed_db, tmp_path):
    """A new SQLite file path, or a PostgreSQL database created for this test and dropped after it."""
    source = connection.settings_dict
    target = copy.deepcopy(source)
    target.pop("TEST", None)
    media = tmp_path / "restored-media"
    if connection.vendor == "sqlite":
        path = tmp_path / "restored" / "clinicdesk.sqlite3"
        target["NAME"] = str(path)
        yield EmptyDatabase(f"sqlite:///{path}", target, media)
        _close_alias()
        return
    name = f"{source['NAME']}_restore_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    target["NAME"] = name
    credentials = quote(source["USER"] or "") + (f":{quote(source['PASSWORD'])}" if source["PASSWORD"] else "")
    url = f"postgres://{credentials}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 5432}/{name}"
    try:
        yield EmptyDatabase(url, target, media)
    finally:
        _close_alias()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clinicdesk_command(backup_key):
    """`clinicdesk_command(*args, database=EmptyDatabase, **env)`: run the real command line in a
    new process against that database, as an operator would; returns the CompletedProcess."""

    def run(*args: str, database: EmptyDatabase, **extra_env: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "clinicdesk.settings_test",
            "DATABASE_URL": database.url,
            "CLINICDESK_VAR_DIR": str(settings.VAR_DIR),
            "CLINICDESK_MEDIA_ROOT": str(database.media_root),
            "CLINICDESK_BACKUP_KEY": backup_key,
            **extra_env,
        }
        return subprocess.run(
            [sys.executable, "-m", "clinicdesk", *args],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )

    return run
