"""Bulk import into the database: good rows in, bad rows to rejects, re-runs and crashes harmless."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from clinicdesk.audit.models import AuditEvent
from clinicdesk.audit.verify import audit_verify
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
         tuple(p.phones.values_list("kind", "number")))
        for p in Patient.objects.prefetch_related("phones")
    )  # fmt: skip


def test_good_rows_are_imported_and_bad_rows_rejected_with_reasons(db, tmp_path):
    path = make_file(tmp_path / "p.csv", 25, bad_every=10)
    rejects = tmp_path / "rejects.csv"
    result = patient_import(actor=None, system="system:test", path=path, rejects=rejects, batch_size=7)
    assert (result.rows, result.created, result.rejected, result.skipped) == (25, 23, 2, 0)
    assert Patient.objects.count() == 23
    assert Patient.objects.get(external_id="A1").phones.get().number == "+15185550101"
    from django.utils import timezone

    from clinicdesk.patients.search.query import parse_query
    from clinicdesk.patients.search.selectors import patient_search

    today = timezone.localdate()
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
