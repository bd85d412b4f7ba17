"""A NUL or another control character refuses its row, named by line and column, on both databases.

Before, a NUL stopped the whole import on PostgreSQL (which cannot store it) and was stored as-is
on SQLite. And the rejects file, which people open in a spreadsheet, wrote formula cells as they
were; it now escapes them, and importing the fixed rejects file reads them back unescaped.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from clinicdesk.patients.models import Patient
from clinicdesk.patients.patient_import import patient_import

HEADER = "id,first,last,dob,sex,mobile,alerts,old_notes\n"


def _file(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _rejects(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _stored_text() -> str:
    """Every text value of every imported patient, joined: to look for what must not be there."""
    fields = ["external_id", "first_name", "last_name", "alerts"]
    return "|".join(str(v) for row in Patient.objects.values_list(*fields) for v in row)


def test_a_row_with_a_nul_is_refused_naming_line_and_column_and_the_others_are_imported(db, tmp_path):
    path = _file(
        tmp_path / "p.csv",
        "A1,Ann,Lee,1990-01-02,F,,,\n",
        "A2,Bo\x00b,Ray,1985-02-03,M,,,\n",
        "A3\x00,Cy,Ho,2001-05-06,M,,,\n",
        "A4,Di,Ng,1970-07-08,F,,,notes\x00from the old system\n",  # an ignored column: not stored
    )
    rejects = tmp_path / "r.csv"
    result = patient_import(actor=None, system="system:test", path=path, rejects=rejects)
    assert (result.rows, result.created, result.rejected) == (4, 2, 2)
    assert sorted(Patient.objects.values_list("external_id", flat=True)) == ["A1", "A4"]
    rows = _rejects(rejects)
    assert [(r["row"], r["column"]) for r in rows] == [("3", "first_name"), ("4", "external_id")]
    assert rows[0]["reason"].startswith("It contains the invisible control character U+0000 (NUL) at character 3")
    assert "\x00" not in _stored_text()


@pytest.mark.parametrize(
    "char,name",
    [("\x1b", "U+001B (ESC)"), ("\x07", "U+0007 (BEL)"), ("\x7f", "U+007F (DEL)"), ("\x85", "U+0085"), ("\t", "TAB")],
    ids=["esc", "bel", "del", "c1-next-line", "tab-inside-a-name"],
)
def test_other_control_characters_in_a_name_are_refused_too(db, tmp_path, char, name):
    path = _file(tmp_path / "p.csv", "A1,Ann,Lee,1990-01-02,F,,,\n", f"A2,Bob,Ra{char}y,1985-02-03,M,,,\n")
    rejects = tmp_path / "r.csv"
    result = patient_import(actor=None, path=path, rejects=rejects)
    assert (result.created, result.rejected) == (1, 1)
    [row] = _rejects(rejects)
    assert (row["row"], row["column"]) == ("3", "last_name") and name in row["reason"]
    assert list(Patient.objects.values_list("external_id", flat=True)) == ["A1"]


def test_line_breaks_and_tabs_stay_in_alerts_where_they_mean_something(db, tmp_path):
    path = _file(tmp_path / "p.csv", 'A1,Ann,Lee,1990-01-02,F,,"Latex allergy.\nUses a wheelchair:\tramp door",\n')
    result = patient_import(actor=None, path=path, rejects=tmp_path / "r.csv")
    assert result.created == 1
    assert Patient.objects.get().alerts == "Latex allergy.\nUses a wheelchair:\tramp door"


def test_the_command_reports_the_refused_row_and_imports_the_rest(db, tmp_path):
    path = _file(tmp_path / "p.csv", "A1,Ann,Lee,1990-01-02,F,,,\n", "A2,Bo\x00b,Ray,1985-02-03,M,,,\n")
    out = io.StringIO()
    call_command("import", "patients", str(path), "--no-progress", stdout=out)
    assert out.getvalue().startswith("2 rows: 1 patients created, 0 already imported, 1 rejected")
    assert [(r["row"], r["column"]) for r in _rejects(tmp_path / "p.rejects.csv")] == [("3", "first_name")]


def test_the_rejects_file_escapes_formulas_and_imports_again_as_they_were(db, tmp_path):
    """A spreadsheet would run these cells; the rejects file protects them, and the fixed file imports."""
    path = tmp_path / "p.csv"
    path.write_text(
        'id,first,last,dob,sex,mobile,=HYPERLINK("http://evil")\n'
        'A1,=HYPERLINK("http://evil"),@Lee,1990-02-30,F,+1 (518) 555-0101,-2+3\n',
        encoding="utf-8",
    )
    rejects = tmp_path / "p.rejects.csv"
    assert patient_import(actor=None, path=path, rejects=rejects).rejected == 1
    lines = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert lines[0][-1] == '\'=HYPERLINK("http://evil")'  # an unknown column's header too
    assert lines[1][3:] == [
        "A1", "'=HYPERLINK(\"http://evil\")", "'@Lee", "1990-02-30", "F", "'+1 (518) 555-0101", "'-2+3",
    ]  # fmt: skip
    # The person fixes the date in the rejects file and imports that file itself.
    rejects.write_text(rejects.read_text(encoding="utf-8").replace("1990-02-30", "1990-02-28"), encoding="utf-8")
    again = patient_import(actor=None, path=rejects, rejects=tmp_path / "again.csv")
    assert (again.created, again.rejected) == (1, 0)
    patient = Patient.objects.get()
    assert (patient.first_name, patient.last_name) == ('=HYPERLINK("http://evil")', "@Lee")
    assert patient.phones.get().number == "+15185550101"
