"""Every CSV file the product writes goes through here, so no cell runs as a spreadsheet formula.

A cell that starts with = + - @ (or a tab or carriage return, which some spreadsheets skip
before looking) is read by Excel, LibreOffice and Google Sheets as a formula: a patient named
`=HYPERLINK("http://…")` or an audit reason `=cmd|' /C calc'!A0` would run on the office
computer that opens the download. Such a cell is written with a leading apostrophe, which the
spreadsheet shows as text (OWASP, "CSV Injection"). Plain numbers ("-12.50", "+12025550123")
are left as they are: a number runs nothing, and phones and amounts stay readable.

Files that come back to us (a rejects file of the patient import, fixed and imported again)
are read with `unescape_cell`, which takes exactly that apostrophe off again.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def escape_cell(value: Any) -> Any:
    """`value` as it may go into a CSV cell: text that a spreadsheet would run gets an apostrophe.

    Anything but text (numbers, None) is returned unchanged.
    """
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """The value `escape_cell` protected: "'=x" -> "=x". Other text, apostrophes included, is unchanged."""
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS and text[1:2] != "":
        return text[1:]
    return text


class Writable(Protocol):
    """Where CSV text goes: an open text file, a StringIO, an HttpResponse."""

    def write(self, text: str, /) -> Any: ...


class SafeWriter:
    """`csv.writer` whose every cell goes through `escape_cell`. Same `writerow`/`writerows`."""

    def __init__(self, out: Writable, **options: Any):
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([escape_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Writable, **options: Any) -> SafeWriter:
    """The CSV writer of the product (options as for `csv.writer`)."""
    return SafeWriter(out, **options)
