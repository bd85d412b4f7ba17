"""Reading an import file: whole-file checks and row conversion (no database needed)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from clinicdesk.patients.importing import FileRejected, RejectsWriter, RowProblem, check_file, read_rows, row_to_input

HEADER = "Patient ID,First,Last,DOB,Sex,Mobile,ZIP,Favourite colour\n"


def write(tmp_path, content: bytes | str, name: str = "p.csv"):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_a_good_file_maps_synonyms_and_reports_unknown_columns(tmp_path):
    path = write(
        tmp_path, HEADER + "A1,José,Núñez,1985-07-04,M,(518) 555-0177,12207,blue\n\nA2,Ann,Lee,03/14/1962,f,,,\n"
    )
    info = check_file(path)
    assert info.rows == 2 and info.ignored == ["Favourite colour"]
    assert info.mapping["DOB"] == "date_of_birth" and info.mapping["Mobile"] == "phone_mobile"
    rows = list(read_rows(path, info))
    assert [line for line, _, _ in rows] == [2, 4]
    external_id, data = row_to_input(rows[0][1])
    assert external_id == "A1" and data.values["first_name"] == "José" and data.phones == {"mobile": "(518) 555-0177"}
    assert row_to_input(rows[1][1])[1].values["date_of_birth"] == date(1962, 3, 14)


def test_a_byte_order_mark_is_fine(tmp_path):
    assert check_file(write(tmp_path, b"\xef\xbb\xbf" + HEADER.encode() + b"A1,A,B,2000-01-01,F,,,\n")).rows == 1


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "The file is empty."),
        (HEADER.encode(), "has no patients in it"),
        (b"\n\nA1,A,B\n", "The first line is empty"),
        (b"id,first,last\nA1,A,B\n", "no column for: date_of_birth, sex"),
        (b"id,patient_id,first,last,dob,sex\n", "both mean external_id"),
        (
            "id,first,last,dob,sex\nA1,Zoë,B,2000-01-01,F\n".encode("latin-1"),
            r"not UTF-8 text \(first bad byte at position 27\)",
        ),
        (HEADER.encode() + b"A1,A,B,2000-01-01,F,,,\n" + "A2,Zoë,B,2000-01-01,F,,,\n".encode("cp1252"), "not UTF-8"),
    ],
    ids=["empty", "header-only", "blank-header", "missing-columns", "duplicate-columns", "latin-1", "mixed-encodings"],
)
def test_a_bad_file_gets_one_clear_error(tmp_path, content, message):
    with pytest.raises(FileRejected, match=message):
        check_file(write(tmp_path, content))


@pytest.mark.parametrize(
    "row,column,reason",
    [
        (
            {"external_id": "A1", "first_name": "A", "last_name": "B", "date_of_birth": "1985-02-30", "sex": "F"},
            "date_of_birth",
            "is not a date",
        ),
        (
            {"external_id": "A1", "first_name": "A", "last_name": "B", "date_of_birth": "1985-02-03", "sex": "Q"},
            "sex",
            "is not F, M or U",
        ),
        (
            {"external_id": "", "first_name": "A", "last_name": "B", "date_of_birth": "1985-02-03", "sex": "F"},
            "external_id",
            "needs the id",
        ),
    ],
)
def test_a_bad_row_names_its_column(row, column, reason):
    with pytest.raises(RowProblem) as info:
        row_to_input(row)
    assert info.value.column == column and reason in info.value.reason


def test_rejects_keep_the_row_as_it_was():
    out = io.StringIO()
    rejects = RejectsWriter(out, ["Patient ID", "DOB"])
    rejects.reject(7, "date_of_birth", "“02/30/1985” is not a date", {"Patient ID": "A9", "DOB": "02/30/1985"})
    assert out.getvalue().splitlines() == [
        "row,column,reason,Patient ID,DOB",
        "7,date_of_birth,“02/30/1985” is not a date,A9,02/30/1985",
    ]
    assert rejects.count == 1
