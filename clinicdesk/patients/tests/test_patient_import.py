"""Bulk import into the database: good rows in, bad rows to rejects, re-runs and crashes harmless."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from clinicdesk.audit.models import AuditEvent
from clinicdesk.audit.verify import audit_verify
from clinicdesk.core import clock as app_clock
from clinicdesk.patients.models import Patient
from clinicdesk.patients.patient_import import patient_import

ROOT = Path(__file__).resolve().parents[3]
GOOD = "A{n},First{n},Last{n},1980-01-{day:02d},F,(518) 555-01{two:02d},12207\n"


def make_file(path: Path, rows: int, *, bad_every: int = 0) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        out.write("id,first,last,dob,sex,mobile,zip\n")
        for n in range(1, rows + 1):
            if bad_every and n % bad_every == 0:
                out.write(f"A{n},First{n},Last{n},1980-02-30,F,,12207\n")
            else:
                out.write(GOOD.format(n=n, day=n % 28 + 1, two=n % 100))
    return path


def snapshot() -> list[tuple]:
    """What an import leaves, without the random MRNs: each patient's data and phones."""
    return sorted(
        (p.external_id, p.first_name, p.last_name, p.date_of_birth, p.zip_code,
         tuple(sorted(p.phones.values_list("kind", "number"))))
        for p in Patient.objects.prefetch_related("phones")
    )  # fmt: skip


def test_good_rows_are_imported_and_bad_rows_rejected_with_reasons(db, tmp_path):
    path = make_file(tmp_path / "p.csv", 25, bad_every=10)
    rejects = tmp_path / "rejects.csv"
    result = patient_import(actor=None, system="system:test", path=path, rejects=rejects, batch_size=7)
    assert (result.rows, result.created, result.rejected, result.skipped) == (25, 23, 2, 0)
    assert Patient.objects.count() == 23
    assert Patient.objects.get(external_id="A1").phones.get().number == "+15185550101"

    from clinicdesk.patients.search.query import parse_query
    from clinicdesk.patients.search.selectors import patient_search

    today = app_clock.today()
    found = patient_search(query=parse_query("first7 last7", today=today), today=today)
    assert [hit.mrn for hit in found.hits] == [
        Patient.objects.get(external_id="A7").mrn
    ]  # imported rows are searchable
    rows = list(csv.DictReader(io.StringIO(rejects.read_text())))
    assert [(r["row"], r["column"]) for r in rows] == [("11", "date_of_birth"), ("21", "date_of_birth")]
    assert rows[0]["id"] == "A10"
    # One audit event per batch of up to 7 good rows, and the chain stays intact.
    assert AuditEvent.objects.filter(object_type="patient_import").count() == 4
    assert audit_verify().ok


def test_running_the_same_file_again_imports_nothing_new(db, tmp_path):
    path = make_file(tmp_path / "p.csv", 12)
    patient_import(actor=None, path=path, rejects=tmp_path / "r.csv", batch_size=5)
    before = snapshot()
    again = patient_import(actor=None, path=path, rejects=tmp_path / "r.csv", batch_size=5)
    assert (again.created, again.skipped) == (0, 12) and snapshot() == before


def test_the_same_id_twice_in_one_file_is_rejected_not_doubled(db, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,first,last,dob,sex\nX1,Ann,Lee,1990-01-02,F\nX1,Ann,Lee,1990-01-02,F\n")
    result = patient_import(actor=None, path=path, rejects=tmp_path / "r.csv")
    assert (result.created, result.rejected) == (1, 1) and "line 2 already" in (tmp_path / "r.csv").read_text()


def test_a_file_that_is_not_utf8_imports_nothing(db, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,first,last,dob,sex\nA1,Zoë,B,2000-01-01,F\n".encode("latin-1"))
    with pytest.raises(CommandError, match="Nothing was imported: The file is not UTF-8"):
        call_command("import", "patients", str(path), "--no-progress")
    assert not Patient.objects.exists()


def test_the_command_reports_what_happened(db, tmp_path):
    path = make_file(tmp_path / "p.csv", 10, bad_every=5)
    out = io.StringIO()
    call_command("import", "patients", str(path), "--no-progress", stdout=out)
    assert "10 rows: 8 patients created, 0 already imported, 2 rejected (see" in out.getvalue()
    assert (tmp_path / "p.rejects.csv").exists()


def _run_import(path: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "clinicdesk", "import", "patients", str(path), "--no-progress", "--batch-size", "200"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_killing_the_import_half_way_and_running_it_again_ends_as_one_clean_run(committed_db, tmp_path):
    """kill -9 in the middle of a real import process, run it again: the same patients, once each."""
    from django.db import connection

    path = make_file(tmp_path / "big.csv", 6000)
    settings_dict = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinicdesk.settings_test"}
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{settings_dict['NAME']}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{settings_dict['USER']}:{settings_dict.get('PASSWORD') or ''}"
            f"@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
        )
    process = _run_import(path, env)
    deadline = time.monotonic() + 60
    while Patient.objects.count() < 400 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed; make the file bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = Patient.objects.count()
    assert 0 < partial < 6000 and partial % 200 == 0  # only whole batches ever commit
    finish = _run_import(path, env)
    out, err = finish.communicate(timeout=300)
    assert finish.returncode == 0, err.decode()
    assert f"{6000 - partial} patients created, {partial} already imported" in out.decode()
    expected = [(f"A{n}", f"First{n}", f"Last{n}") for n in range(1, 6001)]
    assert sorted((e, f, last) for e, f, last, *_ in snapshot()) == sorted(expected)
    assert audit_verify().ok


RICH = (
    "id,first,middle,last,preferred_name,dob,sex,ssn,mobile,home_phone,email,address,city,state,zip,language\n"
    "R1,Zoë,Ann,Núñez-García,Zo,1962-03-14,F,123-45-6789,(518) 555-0101,518.555.0102,Zoe@Example.com,"
    "1 Main St,Albany,ny,12207-1234,Spanish\n"
    "R2,William,,O'Brien,Bill,03/14/1962,M,,+1 518 555 0103,,,,,,,\n"
    "R3,Bad,,Zip,,1970-01-01,F,,,,,,,NY,1220,\n"
    "R4,Bad,,Phone,,1970-01-01,F,,(518) 555-01,,,,,,,\n"
)


def _rich_import(tmp_path: Path) -> tuple:
    from clinicdesk.patients.search.query import parse_query
    from clinicdesk.patients.search.selectors import patient_search

    path = tmp_path / "rich.csv"
    path.write_text(RICH, encoding="utf-8")
    result = patient_import(actor=None, system="system:test", path=path, rejects=tmp_path / "r.csv", batch_size=1)
    zoe = Patient.objects.get(external_id="R1")
    today = date(2026, 1, 1)
    found = {
        text: [h.mrn for h in patient_search(query=parse_query(text, today=today), today=today).hits]
        for text in ("nunez zoe", "bill obrien", "123-45-6789", "(518) 555-0103")
    }
    stored = (
        (zoe.ssn, zoe.ssn_last4, zoe.email, zoe.state, zoe.zip_code, zoe.preferred_language, zoe.status),
        sorted(zoe.phones.values_list("kind", "number")),
        Patient.objects.filter_by_blind_index("ssn", "123-45-6789").get().external_id,
    )
    mrns = {p.external_id: p.mrn for p in Patient.objects.all()}
    searched = {text: [next(e for e, m in mrns.items() if m == mrn) for mrn in hits] for text, hits in found.items()}
    rejected = [(r["row"], r["column"]) for r in csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text()))]
    return (result.created, result.rejected), tuple(snapshot()), stored, searched, rejected


EXPECTED_RICH = (
    (2, 2),
    (
        (
            "R1",
            "Zoë",
            "Núñez-García",
            date(1962, 3, 14),
            "12207-1234",
            (("home", "+15185550102"), ("mobile", "+15185550101")),
        ),
        ("R2", "William", "O'Brien", date(1962, 3, 14), "", (("mobile", "+15185550103"),)),
    ),
    (
        ("123-45-6789", "6789", "zoe@example.com", "NY", "12207-1234", "Spanish", "active"),
        [("home", "+15185550102"), ("mobile", "+15185550101")],
        "R1",
    ),
    {"nunez zoe": ["R1"], "bill obrien": ["R2"], "123-45-6789": ["R1"], "(518) 555-0103": ["R2"]},
    [("4", "zip_code"), ("5", "phone_mobile")],
)


def test_every_column_lands_as_registration_would_store_it(db, tmp_path):
    """Inside a transaction the batches are written on the caller's connection."""
    assert _rich_import(tmp_path) == EXPECTED_RICH


def test_the_writer_thread_stores_the_same_as_the_callers_transaction(committed_db, tmp_path):
    """Outside a transaction a second thread writes the batches: same end state, same rejects."""
    assert _rich_import(tmp_path) == EXPECTED_RICH
    assert audit_verify().ok


@pytest.fixture
def refuse_boom(committed_db):
    """A real database error for rows named Boom: a trigger the row checks cannot foresee."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN IF NEW.first_name = 'Boom' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$"
            )
            cursor.execute("CREATE TRIGGER boom BEFORE INSERT ON patients_patient FOR EACH ROW EXECUTE FUNCTION boom()")
        else:
            cursor.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON patients_patient WHEN NEW.first_name = 'Boom' "
                "BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
            )
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER boom ON patients_patient" if connection.vendor == "postgresql" else "DROP TRIGGER boom"
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION boom()")


def test_a_batch_the_database_refuses_stops_the_import_and_keeps_the_batches_before_it(refuse_boom, tmp_path):
    from django.db import DatabaseError

    path = make_file(tmp_path / "p.csv", 30)
    with open(path, "a", encoding="utf-8") as out:
        out.write("B1,Boom,Row,1980-01-01,F,,12207\n")
        for n in range(31, 61):
            out.write(GOOD.format(n=n, day=n % 28 + 1, two=n % 100))
    with pytest.raises(DatabaseError, match="boom refused"):
        patient_import(actor=None, path=path, rejects=tmp_path / "r.csv", batch_size=10)
    # Rows 1-30 were three whole batches before it; the refused batch left nothing behind.
    assert sorted(Patient.objects.values_list("external_id", flat=True)) == sorted(f"A{n}" for n in range(1, 31))
    assert audit_verify().ok
