"""Reading the one search box: what kind of thing did the person type?

Pure functions (no database). Order of the checks matters: an 8-digit number is an MRN when
its check digit is right (and, if it also reads as MMDDYYYY, a birthday to try when no record
has that MRN) and a date only when it is not; ten digits are a phone
number; letters mixed with digits are a member id; everything else is a name, optionally
with a date of birth beside it ("doe 3/14/62").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import phonenumbers

from clinicdesk.patients.mrn import mrn_is_valid

from .names import name_tokens

MAX_QUERY = 200
MAX_NAME_TOKENS = 4


class Kind:
    EMPTY = "empty"
    MRN = "mrn"
    PHONE = "phone"
    DOB = "dob"
    SSN = "ssn"
    MEMBER_ID = "member_id"
    NAME = "name"
    NAME_DOB = "name+dob"


@dataclass
class ParsedQuery:
    kind: str
    mrn: str = ""
    phone: str = ""  # E.164
    dob: date | None = None
    ssn: str = ""
    member_id: str = ""
    names: list[str] = field(default_factory=list)
    comma_last: str = ""  # "Doe, Jane": the word before the comma is a last name
    problem: str = ""  # a plain-English hint shown with the (empty) results


_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),  # fmt: skip
        start=1,
    )
    for m in names
}
_NUMERIC_US = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]?([a-z]{3,9})\.?[ ,-]*(\d{2}|\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([a-z]{3,9})\.?[ -]?(\d{1,2})(?:st|nd|rd|th)?,?[ -]*(\d{2}|\d{4})")
_SSN = re.compile(r"\d{3}-\d{2}-\d{4}")
_PHONE_CHARS = re.compile(r"[\d\s().+-]+")
_MEMBER_ID = re.compile(r"[A-Za-z0-9-]{5,30}")


_NO_SUCH_DATE = "That date does not exist. Type a date of birth like 03/14/1962."


def _year(text: str, today: date) -> int:
    """Two-digit years are the most recent past one: in 2026, "62" is 1962 and "19" is 2019."""
    year = int(text)
    if len(text) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    return year


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str, *, today: date) -> date | None:
    """A date of birth in a form people type, or None. US order (month first) for numbers."""
    text = text.strip().lower()
    if match := _ISO.fullmatch(text):
        return _make_date(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC_US.fullmatch(text):
        return _make_date(_year(match[3], today), int(match[1]), int(match[2]))
    if re.fullmatch(r"\d{8}", text):
        return _make_date(int(text[4:]), int(text[:2]), int(text[2:4]))
    if (match := _DAY_MONTH_YEAR.fullmatch(text)) and match[2] in _MONTHS:
        return _make_date(_year(match[3], today), _MONTHS[match[2]], int(match[1]))
    if (match := _MONTH_DAY_YEAR.fullmatch(text)) and match[1] in _MONTHS:
        return _make_date(_year(match[3], today), _MONTHS[match[1]], int(match[2]))
    return None


def _phone(text: str) -> str:
    """E.164 for a US (or +country) number typed in any punctuation; "" when it is not one."""
    if not _PHONE_CHARS.fullmatch(text):
        return ""
    digits = re.sub(r"\D", "", text)
    if len(digits) < 10 or len(digits) > 15:
        return ""
    try:
        parsed = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_query(text: str, *, today: date) -> ParsedQuery:
    """Work out what `text` is. Never raises; unreadable input is a name query that finds nothing."""
    text = (text or "").replace("\x00", "")[:MAX_QUERY].strip()
    if not text:
        return ParsedQuery(Kind.EMPTY)
    if _ISO.fullmatch(text):
        born = parse_date(text, today=today)
        return ParsedQuery(Kind.DOB, dob=born) if born else ParsedQuery(Kind.DOB, problem=_NO_SUCH_DATE)
    compact = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\d{8}", compact):
        if mrn_is_valid(compact):
            # 03141962 can be both; the MRN is tried first and the birthday when no record has it.
            return ParsedQuery(Kind.MRN, mrn=compact, dob=parse_date(compact, today=today))
        born = parse_date(compact, today=today)
        if born is not None:
            return ParsedQuery(Kind.DOB, dob=born)
        return ParsedQuery(
            Kind.MRN,
            member_id=compact,
            problem="That is not a valid MRN: the last digit does not match. Check for a mistyped or swapped digit.",
        )
    if _SSN.fullmatch(text.strip()):
        return ParsedQuery(Kind.SSN, ssn=text.strip())
    born = parse_date(text, today=today)
    if born is not None:
        return ParsedQuery(Kind.DOB, dob=born)
    if _NUMERIC_US.fullmatch(text):
        return ParsedQuery(Kind.DOB, problem=_NO_SUCH_DATE)
    if phone := _phone(text):
        return ParsedQuery(Kind.PHONE, phone=phone)
    if re.fullmatch(r"[\d\s().+-]+", text) and len(re.sub(r"\D", "", text)) == 7:
        return ParsedQuery(Kind.PHONE, problem="Add the area code to search by phone, e.g. (202) 555-0123.")
    if (
        " " not in text
        and _MEMBER_ID.fullmatch(text)
        and re.search(r"\d", text)
        and (re.search(r"[A-Za-z]", text) or len(compact) >= 9)
    ):
        return ParsedQuery(Kind.MEMBER_ID, member_id=text.upper().replace("-", ""))
    return _parse_name(text, today=today)


def _parse_name(text: str, *, today: date) -> ParsedQuery:
    born = None
    words = []
    for word in text.replace(",", ", ").split():
        candidate = parse_date(word.strip(","), today=today)
        if candidate is not None and born is None:
            born = candidate
        else:
            words.append(word)
    rest = " ".join(words)
    comma_last = ""
    if "," in rest:
        before = name_tokens(rest.split(",", 1)[0])
        comma_last = before[0] if len(before) == 1 else ""
    names: list[str] = []
    for word in rest.replace(",", " ").split():
        parts = name_tokens(word)
        # "Núñez-García" as typed counts as one word: its joined form, which the index holds too.
        token = parts[-1] if parts else ""
        if token and token not in names:
            names.append(token)
    names = names[:MAX_NAME_TOKENS]
    if not names:
        if born is not None:
            return ParsedQuery(Kind.DOB, dob=born)
        return ParsedQuery(Kind.NAME, problem="Type a name, date of birth, phone number or MRN.")
    return ParsedQuery(Kind.NAME_DOB if born else Kind.NAME, dob=born, names=names, comma_last=comma_last)
