"""Control characters in text people send us: which ones, and how to say so.

PostgreSQL cannot store NUL (U+0000) in text at all, and SQLite stores it silently, so the same
input would fail on one database and pass on the other; the other control characters (C0, DEL,
C1) are invisible, break printouts and CSV files, and are never part of a name, an address or a
phone number. Free text that may span lines (an alert, a note) keeps tab, line feed and
carriage return.
"""

from __future__ import annotations

NUL = "\x00"
LINE_BREAKS_AND_TABS = frozenset("\t\n\r")

# Names people may look up; the rest are shown by code point only.
_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BS",
    0x09: "TAB",
    0x0A: "LF, line feed",
    0x0B: "VT",
    0x0C: "FF, form feed",
    0x0D: "CR, carriage return",
    0x1A: "SUB",
    0x1B: "ESC",
    0x7F: "DEL",
}


def is_control(char: str) -> bool:
    """True for C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F)."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def character_name(char: str) -> str:
    """ "U+0000 (NUL)", "U+001B (ESC)", "U+0085"."""
    code = ord(char)
    name = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def control_character(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """(1-based position, character) of the first control character `text` may not hold, or None.

    With `multiline`, tab, line feed and carriage return are allowed.
    """
    if text.isascii() and text.isprintable():
        return None  # the common case, without a loop in Python
    allowed = LINE_BREAKS_AND_TABS if multiline else frozenset()
    for position, char in enumerate(text, start=1):
        if is_control(char) and char not in allowed:
            return position, char
    return None


def control_character_problem(text: str, *, multiline: bool = False) -> str | None:
    """A sentence saying which control character `text` holds and where, or None when it holds none."""
    found = control_character(text, multiline=multiline)
    if found is None:
        return None
    position, char = found
    return (
        f"It contains the invisible control character {character_name(char)} at character {position}, "
        "which cannot be stored (often left by a copy from another program). Remove it and try again."
    )


def sentence(text: str) -> str:
    """`text` ending in exactly one full stop: a sentence that ends with a name ("… for Bowen,
    Fatima B.") or an abbreviation keeps its own period instead of gaining a second one."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."
