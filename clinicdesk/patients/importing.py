"""Reading a practice's patient list (CSV) for bulk import: file checks, column mapping, rows.

This module only reads and converts; writing to the database is `import_patients` in
`patient_import.py`. The file is read twice, streaming both times so memory stays flat: once
to prove it is readable UTF-8 with the required columns (a bad file imports nothing), then row
by row. Column names are matched case-insensitively, with spaces and dashes as underscores,
and the synonyms in COLUMN_SYNONYMS; see docs/patient-import.md.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from clinicdesk.core import csvsafe
from clinicdesk.core.text import control_character_problem

from .services import PatientInput

REQUIRED = ("external_id", "first_name", "last_name", "date_of_birth", "sex")
OPTIONAL = (
    "middle_name", "suffix", "preferred_name", "ssn", "email", "phone_mobile", "phone_home", "phone_work",
    "address_line1", "address_line2", "city", "state", "zip_code", "preferred_language",
    "emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone", "alerts",
)  # fmt: skip
COLUMN_SYNONYMS = {
    "id": "external_id", "patient_id": "external_id", "chart_number": "external_id", "account_number": "external_id",
    "first": "first_name", "given_name": "first_name", "last": "last_name", "family_name": "last_name",
    "surname": "last_name", "middle": "middle_name", "dob": "date_of_birth", "birth_date": "date_of_birth",
    "birthdate": "date_of_birth", "sex_at_birth": "sex", "gender": "sex", "mobile": "phone_mobile",
    "cell": "phone_mobile", "cell_phone": "phone_mobile", "mobile_phone": "phone_mobile", "home_phone": "phone_home",
    "phone": "phone_home", "work_phone": "phone_work", "address": "address_line1", "address1": "address_line1",
    "street": "address_line1", "address2": "address_line2", "zip": "zip_code", "postal_code": "zip_code",
    "zipcode": "zip_code", "language": "preferred_language", "social_security_number": "ssn",
}  # fmt: skip
# Free text where a line break or a tab means something (typed in the old system's notes box).
MULTILINE_COLUMNS = frozenset({"alerts"})
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%Y%m%d")
SEX_VALUES = {"f": "F", "female": "F", "m": "M", "male": "M", "u": "U", "unknown": "U", "x": "U", "": None}
CHUNK = 1 << 16


class FileRejected(Exception):
    """The whole file is unusable; the message says why and what to do. Nothing is imported."""


@dataclass
class RowProblem(Exception):
    column: str
    reason: str


@dataclass
class FileInfo:
    rows: int
    mapping: dict[str, str]  # header as in the file -> our column
    ignored: list[str] = field(default_factory=list)  # headers we do not know, reported and skipped
    headers: list[str] = field(default_factory=list)  # the first line as in the file

    def original(self, row: list[str]) -> dict[str, str]:
        """A row as in the file (header -> text), for the rejects file."""
        return dict(zip(self.headers, row, strict=False))


def _canonical(header: str) -> str:
    name = header.strip().lower().replace(" ", "_").replace("-", "_")
    return COLUMN_SYNONYMS.get(name, name)


def _map_headers(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}  # our column -> the header that gave it
    for header in headers:
        ours = _canonical(header)
        if ours in REQUIRED or ours in OPTIONAL:
            if ours in seen:
                raise FileRejected(f"The columns “{seen[ours]}” and “{header}” both mean {ours}. Keep one of them.")
            seen[ours] = header
            mapping[header] = ours
        elif header.strip():
            ignored.append(header)
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        raise FileRejected(
            f"The file has no column for: {', '.join(missing)}. The first line must name the columns; "
            "see docs/patient-import.md for the names we understand."
        )
    return mapping, ignored


def _open_text(path: Path) -> IO[str]:
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115  (closed by the caller's with)


def check_file(path: Path) -> FileInfo:
    """Prove the whole file is readable before anything is imported.

    Raises FileRejected for an empty file, text that is not UTF-8 anywhere in the file (a file
    saved partly in another encoding is caught too), or missing required columns.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as raw:
        while chunk := raw.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise FileRejected(
                    f"The file is not UTF-8 text (first bad byte at position {offset + exc.start}). "
                    "In Excel use “Save as → CSV UTF-8”, then import again."
                ) from exc
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise FileRejected("The file ends in the middle of a character: it is cut short or not UTF-8.") from exc
    if offset == 0:
        raise FileRejected("The file is empty.")
    with _open_text(path) as text:
        reader = csv.reader(text)
        headers = next(reader, None)
        if not headers or not any(h.strip() for h in headers):
            raise FileRejected("The first line is empty; it must name the columns.")
        mapping, ignored = _map_headers(headers)
        rows = sum(1 for row in reader if any(cell.strip() for cell in row))
    if rows == 0:
        raise FileRejected("The file names its columns but has no patients in it.")
    return FileInfo(rows=rows, mapping=mapping, ignored=ignored, headers=headers)


def read_rows(path: Path, info: FileInfo) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    """(line number in the file, our columns -> text, the row's cells) for each non-blank row.

    `info.original(cells)` gives the row as in the file, for a reject; built only then. A cell
    that starts with an apostrophe followed by = + - @ is read without the apostrophe (that is
    how the rejects file protects such cells, core/csvsafe.py).
    """
    unescape = csvsafe.unescape_cell
    with _open_text(path) as text:
        reader = csv.reader(text)
        headers = next(reader)
        columns = [(position, info.mapping[h]) for position, h in enumerate(headers) if h in info.mapping]
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            width = len(row)
            # A cell our own rejects file protected from spreadsheets ("'=…") is read as it was.
            ours = {name: unescape(row[position].strip()) for position, name in columns if position < width}
            yield reader.line_num, ours, row


def parse_date(text: str, column: str) -> date:
    text = text.strip()
    if len(text) == 10 and text[4] == text[7] == "-" and text.isascii():
        try:  # the usual YYYY-MM-DD, without strptime's cost
            return date.fromisoformat(text)
        except ValueError:
            pass  # 2001-02-30 still gets the message below
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a calendar date, no time)
        except ValueError:
            continue
    raise RowProblem(column, f"“{text}” is not a date; use YYYY-MM-DD or MM/DD/YYYY (and a day that exists).")


def row_to_input(row: dict[str, str]) -> tuple[str, PatientInput]:
    """The external id and the PatientInput of one row. Raises RowProblem naming the column.

    Checked first, in every column: no NUL or other control character (tab, line feed and
    carriage return only in the free-text `alerts`). PostgreSQL cannot store NUL, so without
    this one such cell stopped the whole import there and was stored as-is on SQLite; now the
    row is refused, on both, and the rows around it are imported.
    """
    for name, text in row.items():
        if problem := control_character_problem(text, multiline=name in MULTILINE_COLUMNS):
            raise RowProblem(name, problem)
    external_id = row.get("external_id", "")
    if not external_id:
        raise RowProblem("external_id", "Every row needs the id it has in the old system, so a re-run skips it.")
    if len(external_id) > 64:
        raise RowProblem("external_id", "The id is longer than 64 characters.")
    sex = SEX_VALUES.get(row.get("sex", "").strip().lower(), "?")
    if sex in (None, "?"):
        raise RowProblem("sex", f"“{row.get('sex', '')}” is not F, M or U (female, male, unknown).")
    values: dict[str, object] = {
        "first_name": row.get("first_name", ""),
        "last_name": row.get("last_name", ""),
        "date_of_birth": parse_date(row.get("date_of_birth", ""), "date_of_birth"),
        "sex_at_birth": sex,
    }
    for name in ("middle_name", "suffix", "preferred_name", "email", "address_line1", "address_line2", "city",
                 "state", "zip_code", "emergency_contact_name", "emergency_contact_relationship",
                 "emergency_contact_phone", "alerts"):  # fmt: skip
        if row.get(name):
            values[name] = row[name]
    if row.get("preferred_language"):
        values["preferred_language"] = row["preferred_language"]
    phones = {kind: row[f"phone_{kind}"] for kind in ("mobile", "home", "work") if row.get(f"phone_{kind}")}
    return external_id, PatientInput(values=values, phones=phones, ssn=row.get("ssn") or None)


class RejectsWriter:
    """rejects.csv: one line per problem, with the row number, column and reason, then the row as it was.

    Written through core/csvsafe.py: a cell a spreadsheet would run as a formula gets a leading
    apostrophe, which `read_rows` takes off again when the fixed file is imported.
    """

    def __init__(self, out: IO[str], headers: list[str]):
        self._writer = csvsafe.writer(out)
        self._writer.writerow(["row", "column", "reason", *headers])
        self._headers = headers
        self.count = 0

    def reject(self, line: int, column: str, reason: str, original: dict[str, str]) -> None:
        self._writer.writerow([line, column, reason, *(original.get(h, "") for h in self._headers)])
        self.count += 1
