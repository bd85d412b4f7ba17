"""Where ICD-10-CM code sets come from: the simple-icd-10-cm package, or a CMS order file.

Both give a list of `CodeEntry` (categories and every code below them; no chapters or
blocks), checked here before anything is written: `icd10_load` stores whatever it is given.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from .text import chapter_of, code_compact, code_dotted, code_is_well_formed

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")  # fmt: skip


@dataclass(frozen=True)
class CodeEntry:
    code: str  # dotted
    description: str
    billable: bool
    parent: str  # dotted, "" for a category
    chapter: int


class OrderFileError(ValueError):
    """A line of an order file that cannot be loaded; says which line and why."""

    def __init__(self, line: int, why: str):
        self.line, self.why = line, why
        super().__init__(f"line {line}: {why}")


def package_release() -> str:
    """The CMS fiscal-year release of the packaged data, from its file name.

    "code-list-April-2026.txt" is the April update of fiscal year 2026; October to December
    files open the next fiscal year ("October-2025" is 2026), as CMS names its own files.
    """
    for item in resources.files("simple_icd_10_cm.data").iterdir():
        if match := re.fullmatch(r"code-list-([A-Za-z]+)-(\d{4})\.txt", item.name):
            month = _MONTHS.index(match[1].lower()) + 1 if match[1].lower() in _MONTHS else 1
            return str(int(match[2]) + (1 if month >= 10 else 0))
    raise RuntimeError("simple-icd-10-cm ships no code-list-<Month>-<Year>.txt; cannot tell its release")


def package_entries(*, chapters: Iterable[int] | None = None) -> list[CodeEntry]:
    """Every category and code of the packaged ICD-10-CM, in the package's (tabular) order.

    `chapters` limits the list to those chapter numbers. Importing the package parses its XML
    (about 2 s), so it happens here and never at import time of this module.
    """
    with warnings.catch_warnings():
        # The package reads its data with importlib.resources calls that Python 3.11 deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    wanted = set(chapters) if chapters is not None else None
    entries: list[CodeEntry] = []
    seen: set[str] = set()
    for code in cm.get_all_codes(with_dots=True):
        # A block holding a single category has the category's name ("B99"): the name means the
        # category, which the package reports as one, and it is listed once.
        if code in seen or not cm.is_category_or_subcategory(code):
            continue
        seen.add(code)
        chapter = int(cm.get_ancestors(code)[-1])
        if wanted is not None and chapter not in wanted:
            continue
        entries.append(
            CodeEntry(
                code=code,
                description=cm.get_description(code),
                billable=cm.is_leaf(code),
                parent="" if cm.is_category(code) else cm.get_parent(code),
                chapter=chapter,
            )
        )
    return entries


def _order_line(number: int, raw: str) -> tuple[str, bool, str]:
    """(compact code, billable, long description) of one order-file line; raises OrderFileError."""
    line = raw.rstrip("\r\n")
    if len(line) < 78:
        raise OrderFileError(
            number, f"too short ({len(line)} characters); an order-file line has the long description from column 78"
        )
    order, code, flag, long = line[0:5], line[6:13].strip(), line[14], line[77:].strip()
    if not order.strip().isdigit():
        raise OrderFileError(number, f"columns 1-5 should be the order number, found {order!r}")
    if line[5] != " " or line[13] != " " or line[15] != " ":
        raise OrderFileError(
            number, "columns 6, 14 and 16 should be blank; is this the fixed-width icd10cm_order file?"
        )
    if not code_is_well_formed(code):
        raise OrderFileError(number, f"{code!r} in columns 7-13 is not an ICD-10-CM code")
    if flag not in "01":
        raise OrderFileError(number, f"column 15 should be 0 (header) or 1 (billable), found {flag!r}")
    if not long:
        raise OrderFileError(number, f"{code_dotted(code)} has no long description (column 78 on)")
    return code, flag == "1", long


def order_file_entries(lines: Iterable[str | bytes]) -> list[CodeEntry]:
    """Parse a CMS ICD-10-CM order file (icd10cm_order_YYYY.txt), fixed-width columns:

    order number 1-5, code 7-13 (undotted), 15: 1 = billable / 0 = header, short description
    17-76, long description from 78. Blank lines are skipped. Raises OrderFileError naming the
    first bad line: a malformed line, a code listed twice, a code whose category is missing,
    a billable code with codes below it.
    """
    rows: dict[str, tuple[int, bool, str]] = {}
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise OrderFileError(number, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        if not raw.strip():
            continue
        code, billable, long = _order_line(number, raw)
        if code in rows:
            raise OrderFileError(number, f"{code_dotted(code)} is listed twice (first on line {rows[code][0]})")
        if chapter_of(code) is None:
            raise OrderFileError(number, f"{code_dotted(code)} is in no ICD-10-CM chapter")
        rows[code] = (number, billable, long)
    entries: list[CodeEntry] = []
    for code, (number, billable, long) in rows.items():
        parent = ""
        if len(code) > 3:
            # The nearest shorter code in the file: "S72001A" -> "S72001", "T360X1" -> "T360"
            # (placeholder X codes such as "T360X" are not codes of their own).
            parent = next((code[:n] for n in range(len(code) - 1, 2, -1) if code[:n] in rows), "")
            if not parent:
                raise OrderFileError(number, f"{code_dotted(code)} has no category: {code[:3]} is not in the file")
            parent_line, parent_billable, _ = rows[parent]
            if parent_billable:
                raise OrderFileError(
                    parent_line, f"{code_dotted(parent)} is marked billable (1) but {code_dotted(code)} is below it"
                )
        entries.append(
            CodeEntry(
                code=code_dotted(code),
                description=long,
                billable=billable,
                parent=code_dotted(parent) if parent else "",
                chapter=chapter_of(code) or 0,
            )
        )
    if not entries:
        raise OrderFileError(0, "the file holds no codes")
    return entries


def entries_check(entries: list[CodeEntry]) -> None:
    """Refuse a code set with a malformed or repeated code, or no description (any source)."""
    seen: set[str] = set()
    for entry in entries:
        compact = code_compact(entry.code)
        if not code_is_well_formed(compact) or code_dotted(compact) != entry.code:
            raise ValueError(f"{entry.code!r} is not a dotted ICD-10-CM code")
        if compact in seen:
            raise ValueError(f"{entry.code} is listed twice")
        if not entry.description.strip():
            raise ValueError(f"{entry.code} has no description")
        seen.add(compact)
