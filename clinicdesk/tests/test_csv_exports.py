"""Every CSV the product writes, by every route and command, escapes cells a spreadsheet would run.

One helper writes them all (core/csvsafe.py). The first test finds every module that writes CSV
or answers with it, so a new export that bypasses the helper, or is not walked below, fails here.
"""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock as app_clock
from clinicdesk.core.csvsafe import FORMULA_STARTS, escape_cell, unescape_cell

PACKAGE = Path(__file__).resolve().parents[1]
HELPER = "core/csvsafe.py"

# Each module that writes CSV (or starts what does), and the test below that walks it.
PRODUCERS = {
    "audit/export.py": "write_csv: test_the_audit_report_download_… and test_the_audit_export_command_…",
    "audit/views.py": "test_the_audit_report_download_escapes_every_cell",
    "audit/management/commands/audit.py": "test_the_audit_export_command_escapes_every_cell",
    "patients/importing.py": "RejectsWriter: both rejects tests",
    "patients/patient_import.py": "patient_import: both rejects tests",
    "patients/management/commands/import.py": "test_the_import_command_rejects_file_escapes_every_cell",
    "patients/import_jobs.py": "test_the_rejects_download_of_a_web_import_escapes_every_cell",
    "patients/import_views.py": "test_the_rejects_download_of_a_web_import_escapes_every_cell",
}
# What writing CSV looks like in a module: the helper, the two writers built on it, the import
# that fills a rejects file, and a CSV answer.
CSV_MARKERS = ("csvsafe.writer(", "write_csv(", "RejectsWriter(", "patient_import(", "text/csv")
HOSTILE = ["=1+2", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "\t=1", "\r=1", '=HYPERLINK("http://evil")']


def _product_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in relative:
            continue
        yield relative, path.read_text(encoding="utf-8")


def _writes_csv_directly(source: str) -> bool:
    """True when the module calls csv.writer / csv.DictWriter itself."""
    names = ("writer", "DictWriter")
    for node in ast.walk(ast.parse(source)):
        named = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "csv"
        if named and node.attr in names:  # type: ignore[attr-defined]  # `named` narrowed node to an ast.Attribute; mypy does not follow a variable
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "csv" and any(a.name in names for a in node.names):
            return True
    return False


def _produces_csv(source: str) -> bool:
    return any(marker in source for marker in CSV_MARKERS)


def test_every_csv_goes_through_the_one_helper_and_every_producer_is_walked():
    direct = [
        relative for relative, source in _product_modules() if relative != HELPER and _writes_csv_directly(source)
    ]
    assert direct == [], "write CSV with clinicdesk.core.csvsafe.writer, not csv.writer"
    found = {relative for relative, source in _product_modules() if relative != HELPER and _produces_csv(source)}
    assert found == set(PRODUCERS), "a CSV producer was added or removed: walk it in this file and list it in PRODUCERS"


def _assert_no_formula(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    running = [cell for row in rows for cell in row if escape_cell(cell) != cell]
    assert running == [], f"cells a spreadsheet would run: {running}"
    return rows


def _hostile_events(actor) -> None:
    for value in HOSTILE:
        audit_record(
            actor=actor,
            action=Action.READ,
            object_type=ObjectType.PATIENT,  # a fixed member: only the free-text fields can be hostile
            object_id=value,
            reason=value,
            changed_fields=[value],
            detail=value,
        )
    audit_record(
        actor=None, actor_username="=system", action=Action.EXECUTE, object_type=ObjectType.AUDIT_TRAIL, detail="@x"
    )


def test_the_audit_report_download_escapes_every_cell(as_user, auditor):
    _hostile_events(auditor)
    response = as_user(auditor).get("/audit/csv/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _assert_no_formula(response.content.decode())
    reasons = {row[8] for row in rows[1:]}  # seq, at, actor_username, actor_role, action, type, id, patient, reason
    assert {unescape_cell(r) for r in reasons} >= set(HOSTILE)  # escaped, not lost


def test_the_audit_export_command_escapes_every_cell(auditor, tmp_path):
    _hostile_events(auditor)
    out = tmp_path / "audit.csv"
    today = app_clock.today().isoformat()
    call_command("audit", "export", "--from", today, "--to", today, "-o", str(out), stderr=io.StringIO())
    rows = _assert_no_formula(out.read_text(encoding="utf-8"))
    assert len(rows) == 1 + len(HOSTILE) + 1
    assert "'=system" in [row[2] for row in rows]


def _hostile_patient_file(path: Path) -> Path:
    """Every row is rejected (no date of birth that exists) and every cell would run as a formula."""
    header = ["id", "first", "last", "dob", "sex", "mobile", "=notes"]
    lines = [header] + [
        [f"{value}{n}", value, value, "1990-02-30", "F", value, value] for n, value in enumerate(HOSTILE)
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)  # the old system's own file, as it came
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_the_import_command_rejects_file_escapes_every_cell(db, tmp_path):
    path = _hostile_patient_file(tmp_path / "old.csv")
    call_command("import", "patients", str(path), "--no-progress", stdout=io.StringIO())
    rows = _assert_no_formula((tmp_path / "old.rejects.csv").read_text(encoding="utf-8"))
    assert len(rows) > len(HOSTILE)  # a line per problem, each row rejected


def test_the_rejects_download_of_a_web_import_escapes_every_cell(
    as_user, office_manager, settings, tmp_path, django_capture_on_commit_callbacks
):
    from clinicdesk.patients.models import ImportJob

    settings.VAR_DIR = tmp_path
    client = as_user(office_manager)
    upload = SimpleUploadedFile("old.csv", _hostile_patient_file(tmp_path / "old.csv").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/patients/import/", {"file": upload})
    job = ImportJob.objects.get()
    response = client.get(f"/patients/import/{job.public_id}/rejects.csv")
    assert response.status_code == 200
    _assert_no_formula(response.content.decode())


@pytest.mark.parametrize("value", [*HOSTILE, "plain", "", "-12.50", "+12025550123", "O'Brien"])
def test_escaping_is_undone_exactly(value):
    escaped = escape_cell(value)
    assert escape_cell(escaped) == escaped  # escaping twice changes nothing
    assert escaped[:1] not in FORMULA_STARTS or escaped in ("-12.50", "+12025550123")
    assert unescape_cell(escaped) == value


def test_a_rejects_file_written_before_escaping_is_escaped_on_download(
    as_user, office_manager, settings, tmp_path, django_capture_on_commit_callbacks
):
    from clinicdesk.patients.models import ImportJob

    settings.VAR_DIR = tmp_path
    client = as_user(office_manager)
    upload = SimpleUploadedFile("old.csv", _hostile_patient_file(tmp_path / "old.csv").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/patients/import/", {"file": upload})
    job = ImportJob.objects.get()
    # As an older version left it on disk: the cells exactly as they were.
    Path(job.rejects_path).write_text(
        'row,column,reason,id\n2,date_of_birth,bad,"=HYPERLINK(""x"")"\n', encoding="utf-8"
    )
    rows = _assert_no_formula(client.get(f"/patients/import/{job.public_id}/rejects.csv").content.decode())
    assert rows[1][3] == '\'=HYPERLINK("x")'
