"""How codes and descriptions are written and split into searchable words. Pure functions.

ICD-10-CM codes are stored dotted ("E11.9", "S72.001A") and compared undotted ("E119"), so a
person may type either. Descriptions are split into lower-case words of letters and digits;
apostrophes are dropped first, so "Alzheimer's" is the word "alzheimers" and a search for
"alzheimer" still finds it by prefix. A few words that carry no meaning in a search ("of",
"with", ...) are neither indexed nor searched for.
"""

from __future__ import annotations

import re

WORD_MAX = 40  # IcdWord.word
STOP_WORDS = frozenset({"and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"})
_WORD = re.compile(r"[a-z0-9]+")
# A letter, then letters or digits: "E11", "e11.9", "E119", "S72.001A", "QA0", and the first
# characters of one ("E", "E1"), which are code prefixes too. Typed text counts as a code only
# when it is one letter or has a digit among its first three characters ("dia" is a word).
_CODE_LIKE = re.compile(r"[A-Z](?:[0-9A-Z]{1,2}(?:\.?[0-9A-Z]{0,4})?)?")
_COMPACT_CODE = re.compile(r"[A-Z][0-9A-Z]{2}([0-9A-Z]{1,4})?")

# The chapters of ICD-10-CM by the range of their categories (first three characters). An
# order file names no chapters, so its codes are placed with this table; a test checks it
# against the chapters of the packaged code set.
CHAPTERS: tuple[tuple[int, str, str], ...] = (
    (1, "A00", "B99"), (2, "C00", "D49"), (3, "D50", "D89"), (4, "E00", "E89"), (5, "F01", "F99"),
    (6, "G00", "G99"), (7, "H00", "H59"), (8, "H60", "H95"), (9, "I00", "I99"), (10, "J00", "J99"),
    (11, "K00", "K95"), (12, "L00", "L99"), (13, "M00", "M99"), (14, "N00", "N99"), (15, "O00", "O9A"),
    (16, "P00", "P96"), (17, "Q00", "QA0"), (18, "R00", "R99"), (19, "S00", "T88"), (20, "V00", "Y99"),
    (21, "Z00", "Z99"), (22, "U00", "U85"),
)  # fmt: skip


def code_compact(code: str) -> str:
    """ "e11.9 " -> "E119": upper case, no dot, no spaces."""
    return code.strip().upper().replace(".", "")


def code_dotted(compact: str) -> str:
    """ "E119" -> "E11.9"; a three-character category has no dot."""
    return compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"


def code_is_well_formed(compact: str) -> bool:
    """True for an undotted code of ICD-10-CM shape: a letter, two letters or digits, up to four more."""
    return bool(_COMPACT_CODE.fullmatch(compact))


def looks_like_code(text: str) -> bool:
    """True when `text` could be (the start of) a code, so a code search makes sense."""
    text = text.strip().upper()
    return bool(_CODE_LIKE.fullmatch(text)) and (len(text) == 1 or any(ch.isdigit() for ch in text[:3]))


def chapter_of(compact: str) -> int | None:
    """The chapter number whose category range holds `compact`, or None."""
    category = compact[:3]
    for number, first, last in CHAPTERS:
        if first <= category <= last:
            return number
    return None


def description_words(description: str) -> set[str]:
    """The distinct searchable words of a description (stop words left out)."""
    return {w[:WORD_MAX] for w in _WORD.findall(description.lower().replace("'", "")) if w not in STOP_WORDS}


def query_words(text: str) -> list[str]:
    """The words of a search, in the order typed, without repeats or stop words."""
    return list(
        dict.fromkeys(w[:WORD_MAX] for w in _WORD.findall(text.lower().replace("'", "")) if w not in STOP_WORDS)
    )
